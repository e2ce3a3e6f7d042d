"""WAV prompts: read any PCM WAV as 8 kHz mono int16, write 8 kHz mono 16-bit WAV.

Reading uses the stdlib :mod:`wave` module (PCM only, format tag 1), accepts 8-, 16-, 24- and
32-bit samples and any number of channels (averaged to mono), and resamples other rates to
8 kHz with a polyphase filter (:func:`scipy.signal.resample_poly`, Kaiser window), which also
removes what lies above 4 kHz.  A file that is not such a WAV raises :class:`WavError`.
"""

from __future__ import annotations

import io
import wave
from math import gcd
from pathlib import Path
from typing import BinaryIO, Final

import numpy as np
import numpy.typing as npt
from scipy.signal import resample_poly

from .errors import ParseError
from .g711 import check_pcm

__all__ = ["WavError", "read_wav", "resample", "wav_bytes", "write_wav"]

SAMPLE_RATE: Final = 8000

Source = str | Path | BinaryIO


class WavError(ParseError):
    """A file is not a PCM WAV this module can read."""


def resample(
    pcm: npt.ArrayLike, from_rate: int, to_rate: int = SAMPLE_RATE
) -> npt.NDArray[np.int16]:
    """Resample int16 PCM from ``from_rate`` to ``to_rate`` Hz (polyphase, anti-aliased)."""
    if from_rate <= 0 or to_rate <= 0:
        raise ValueError(f"rates must be positive, got {from_rate} -> {to_rate}")
    samples = check_pcm(pcm)
    if from_rate == to_rate or samples.size == 0:
        return samples.copy()
    common = gcd(from_rate, to_rate)
    out: npt.NDArray[np.float64] = resample_poly(
        samples.astype(np.float64), to_rate // common, from_rate // common
    )
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


def _to_int16(frames: bytes, width: int) -> npt.NDArray[np.float64]:
    """Decode little-endian PCM frames of ``width`` octets to floats on the int16 scale."""
    if width == 1:  # 8-bit WAV is unsigned
        return (np.frombuffer(frames, dtype=np.uint8).astype(np.float64) - 128.0) * 256.0
    if width == 2:
        return np.frombuffer(frames, dtype="<i2").astype(np.float64)
    if width == 3:
        raw = np.frombuffer(frames, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        return value.astype(np.float64) / 256.0
    if width == 4:
        return np.frombuffer(frames, dtype="<i4").astype(np.float64) / 65536.0
    raise WavError(f"WAV sample width of {width} octets is not supported (1-4)")


def read_wav(source: Source) -> npt.NDArray[np.int16]:
    """Read a PCM WAV file (path or binary file object) as 8 kHz mono int16 samples."""
    try:
        with wave.open(str(source) if isinstance(source, Path) else source, "rb") as reader:
            channels = reader.getnchannels()
            width = reader.getsampwidth()
            rate = reader.getframerate()
            frames = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError) as exc:
        raise WavError(f"not a readable PCM WAV file: {exc or 'truncated'}") from None
    if rate <= 0:
        raise WavError(f"WAV sample rate must be positive, got {rate}")
    usable = len(frames) - len(frames) % (width * channels)
    samples = _to_int16(frames[:usable], width).reshape(-1, channels).mean(axis=1)
    mono = np.clip(np.round(samples), -32768, 32767).astype(np.int16)
    return resample(mono, rate, SAMPLE_RATE)


def write_wav(target: Source, pcm: npt.ArrayLike, *, sample_rate: int = SAMPLE_RATE) -> None:
    """Write int16 mono samples as a 16-bit PCM WAV file (path or binary file object)."""
    samples = check_pcm(pcm)
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    with wave.open(str(target) if isinstance(target, Path) else target, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.writeframes(samples.astype("<i2").tobytes())


def wav_bytes(pcm: npt.ArrayLike, *, sample_rate: int = SAMPLE_RATE) -> bytes:
    """The octets of :func:`write_wav`'s file, for tests and HTTP responses."""
    buffer = io.BytesIO()
    write_wav(buffer, pcm, sample_rate=sample_rate)
    return buffer.getvalue()
