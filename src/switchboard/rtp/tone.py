"""Call-progress and test tones at 8 kHz: sines, dual tones and cadences.

A :class:`ToneSpec` is a set of frequencies with a level and an on/off cadence.  Rendering is a
pure function of the absolute sample index (:func:`render`), so a long tone can be produced in
20 ms slices that join without clicks: :class:`ToneSource` does that for the session.

Levels are in dBm0 (ITU-T G.711: a 0 dBm0 sine has an RMS 3.14 dB below the codec's full-scale
sine, a peak of about 22 800 in int16 units).  The built-in tones follow the North American precise
tone plan (ATIS-0300012 / Bellcore), the 1 kHz test tone is the "digital milliwatt" frequency
shifted to 1000 Hz exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "BUSY",
    "CONGESTION",
    "DIAL",
    "RINGBACK",
    "RINGBACK_UK",
    "TEST_TONE",
    "ToneSource",
    "ToneSpec",
    "dbm0_to_amplitude",
    "render",
    "sine",
]

SAMPLE_RATE: Final = 8000
#: Peak int16 amplitude of a 0 dBm0 sine (full-scale sine is +3.14 dBm0).
ZERO_DBM0_PEAK: Final = 32767 * 10 ** (-3.14 / 20)


def dbm0_to_amplitude(level_dbm0: float) -> float:
    """Peak amplitude (int16 units) of a sine at ``level_dbm0``."""
    if level_dbm0 > 3.14:
        raise ValueError(f"level {level_dbm0} dBm0 exceeds the +3.14 dBm0 full scale")
    return float(ZERO_DBM0_PEAK * 10 ** (level_dbm0 / 20))


def sine(
    frequency: float, samples: int, *, amplitude: float = 8000.0, start: int = 0
) -> npt.NDArray[np.int16]:
    """``samples`` of a sine at 8 kHz, starting at absolute sample index ``start``."""
    if samples < 0:
        raise ValueError(f"samples must be >= 0, got {samples}")
    if not 0 < frequency < SAMPLE_RATE / 2:
        raise ValueError(f"frequency must be in (0, 4000) Hz, got {frequency}")
    t = (start + np.arange(samples)) / SAMPLE_RATE
    return np.clip(np.round(amplitude * np.sin(2 * np.pi * frequency * t)), -32768, 32767).astype(
        np.int16
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ToneSpec:
    """A tone: frequencies summed at one level, switched on and off by a cadence."""

    #: Short name (``"ringback"``).
    name: str
    #: One or more frequencies in Hz, each below 4000.
    frequencies: tuple[float, ...]
    #: Level of each frequency, in dBm0.
    level_dbm0: float
    #: Alternating on/off durations in milliseconds, repeated; empty means continuous.
    cadence_ms: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not self.frequencies:
            raise ValueError("a tone needs at least one frequency")
        for frequency in self.frequencies:
            if not 0 < frequency < SAMPLE_RATE / 2:
                raise ValueError(f"frequency must be in (0, 4000) Hz, got {frequency}")
        if len(self.cadence_ms) % 2:
            raise ValueError(f"cadence must be on/off pairs, got {len(self.cadence_ms)} values")
        if any(ms < 0 for ms in self.cadence_ms) or (
            self.cadence_ms and sum(self.cadence_ms[::2]) == 0
        ):
            raise ValueError(f"cadence durations must be >= 0 with some on time: {self.cadence_ms}")
        dbm0_to_amplitude(self.level_dbm0)

    @property
    def period(self) -> int:
        """Length of one cadence cycle in samples (0 for a continuous tone)."""
        return sum(self.cadence_ms) * SAMPLE_RATE // 1000

    def is_on(self, index: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """Whether each absolute sample index falls in an "on" part of the cadence."""
        if not self.cadence_ms:
            return np.ones(index.shape, dtype=bool)
        edges = np.cumsum(np.array(self.cadence_ms) * SAMPLE_RATE // 1000)
        segment = np.searchsorted(edges, index % self.period, side="right")
        on: npt.NDArray[np.bool_] = segment % 2 == 0
        return on


def render(spec: ToneSpec, samples: int, *, start: int = 0) -> npt.NDArray[np.int16]:
    """Samples ``start`` .. ``start + samples`` of ``spec`` (phase-continuous across calls)."""
    if samples < 0:
        raise ValueError(f"samples must be >= 0, got {samples}")
    index = start + np.arange(samples, dtype=np.int64)
    t = index / SAMPLE_RATE
    amplitude = dbm0_to_amplitude(spec.level_dbm0)
    signal = np.zeros(samples)
    for frequency in spec.frequencies:
        signal += amplitude * np.sin(2 * np.pi * frequency * t)
    signal *= spec.is_on(index)
    return np.clip(np.round(signal), -32768, 32767).astype(np.int16)


class ToneSource:
    """A tone as an endless (or ``samples``-long) stream of int16 samples."""

    def __init__(self, spec: ToneSpec, *, samples: int | None = None) -> None:
        if samples is not None and samples < 0:
            raise ValueError(f"samples must be >= 0, got {samples}")
        self.spec = spec
        self.remaining = samples
        self.position = 0

    def read(self, count: int) -> npt.NDArray[np.int16]:
        """The next ``count`` samples, fewer at the end of a finite tone."""
        if self.remaining is not None:
            count = min(count, self.remaining)
            self.remaining -= count
        out = render(self.spec, count, start=self.position)
        self.position += count
        return out


#: 1000 Hz at -10 dBm0, continuous: the line-up / echo-test tone.
TEST_TONE: Final = ToneSpec(name="test", frequencies=(1000.0,), level_dbm0=-10.0)
#: North American dial tone: 350 + 440 Hz at -13 dBm0 each, continuous.
DIAL: Final = ToneSpec(name="dial", frequencies=(350.0, 440.0), level_dbm0=-13.0)
#: North American audible ringing: 440 + 480 Hz at -19 dBm0, 2 s on 4 s off.
RINGBACK: Final = ToneSpec(
    name="ringback", frequencies=(440.0, 480.0), level_dbm0=-19.0, cadence_ms=(2000, 4000)
)
#: UK ringing: 400 + 450 Hz, 0.4 s on 0.2 s off 0.4 s on 2 s off.
RINGBACK_UK: Final = ToneSpec(
    name="ringback-uk", frequencies=(400.0, 450.0), level_dbm0=-19.0,
    cadence_ms=(400, 200, 400, 2000),
)
#: North American busy: 480 + 620 Hz at -24 dBm0, 0.5 s on 0.5 s off.
BUSY: Final = ToneSpec(
    name="busy", frequencies=(480.0, 620.0), level_dbm0=-24.0, cadence_ms=(500, 500)
)
#: North American reorder (congestion, fast busy): 480 + 620 Hz, 0.25 s on 0.25 s off.
CONGESTION: Final = ToneSpec(
    name="congestion", frequencies=(480.0, 620.0), level_dbm0=-24.0, cadence_ms=(250, 250)
)
