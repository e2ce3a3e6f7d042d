"""Tones (frequencies, levels, cadences, phase continuity) and WAV read/write/resample."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from switchboard.rtp.dtmf import InbandDtmfDetector
from switchboard.rtp.tone import (
    BUSY,
    CONGESTION,
    DIAL,
    RINGBACK,
    RINGBACK_UK,
    TEST_TONE,
    ToneSource,
    ToneSpec,
    dbm0_to_amplitude,
    render,
    sine,
)
from switchboard.rtp.wav import WavError, read_wav, resample, wav_bytes, write_wav


def spectrum_peaks(pcm: npt.NDArray[np.int16], rate: int = 8000, count: int = 2) -> list[float]:
    """The ``count`` strongest frequencies (Hz, 1 Hz resolution over 1 s of signal)."""
    magnitude = np.abs(np.fft.rfft(pcm[:rate].astype(np.float64)))
    frequencies = np.fft.rfftfreq(rate, 1 / rate)
    return sorted(float(f) for f in frequencies[np.argsort(magnitude)[-count:]])


def rms_dbm0(pcm: npt.NDArray[np.int16]) -> float:
    rms = np.sqrt(np.mean(pcm.astype(np.float64) ** 2))
    return float(20 * np.log10(rms / (dbm0_to_amplitude(0.0) / np.sqrt(2))))


# ---------------------------------------------------------------------------- tones


def test_test_tone_is_1_khz_at_minus_10_dbm0() -> None:
    pcm = render(TEST_TONE, 8000)
    assert spectrum_peaks(pcm, count=1) == [1000.0]
    assert rms_dbm0(pcm) == pytest.approx(-10.0, abs=0.05)


@pytest.mark.parametrize(
    ("spec", "frequencies"),
    [(DIAL, [350.0, 440.0]), (RINGBACK, [440.0, 480.0]), (BUSY, [480.0, 620.0]),
     (RINGBACK_UK, [400.0, 450.0])],
)
def test_dual_tones_have_their_two_frequencies(spec: ToneSpec, frequencies: list[float]) -> None:
    assert spectrum_peaks(render(spec, 8000)) == frequencies


def test_ringback_cadence_two_on_four_off() -> None:
    pcm = render(RINGBACK, 6 * 8000 * 2)
    on = (np.abs(pcm.reshape(-1, 80)).max(axis=1) > 0)  # 10 ms frames
    expected = np.tile(np.r_[np.ones(200, bool), np.zeros(400, bool)], 2)
    assert np.array_equal(on, expected)


@pytest.mark.parametrize(("spec", "on_ms"), [(BUSY, 500), (CONGESTION, 250)])
def test_busy_and_congestion_cadence(spec: ToneSpec, on_ms: int) -> None:
    pcm = render(spec, 8000 * 2)
    on = np.abs(pcm.reshape(-1, 80)).max(axis=1) > 0
    frames = on_ms // 10
    assert np.array_equal(on, np.tile(np.r_[np.ones(frames, bool), np.zeros(frames, bool)],
                                      on.size // (2 * frames)))


def test_uk_ringback_double_ring() -> None:
    on = np.abs(render(RINGBACK_UK, 3 * 8000).reshape(-1, 80)).max(axis=1) > 0
    expected = np.r_[np.ones(40, bool), np.zeros(20, bool), np.ones(40, bool), np.zeros(200, bool)]
    assert np.array_equal(on, expected)


def test_rendering_in_slices_equals_rendering_at_once() -> None:
    whole = render(RINGBACK_UK, 24_000)
    source = ToneSource(RINGBACK_UK)
    sliced = np.concatenate([source.read(160) for _ in range(150)])
    assert np.array_equal(whole, sliced)


def test_finite_tone_source() -> None:
    source = ToneSource(TEST_TONE, samples=400)
    assert [source.read(160).size for _ in range(4)] == [160, 160, 80, 0]


def test_sine_and_levels() -> None:
    assert spectrum_peaks(sine(1004.0, 8000), count=1) == [1004.0]
    assert dbm0_to_amplitude(3.14) == pytest.approx(32767, abs=1)
    with pytest.raises(ValueError, match=r"exceeds the \+3\.14 dBm0 full scale"):
        dbm0_to_amplitude(4.0)
    with pytest.raises(ValueError, match=r"frequency must be in \(0, 4000\) Hz, got 4000"):
        sine(4000.0, 10)
    with pytest.raises(ValueError, match="samples must be >= 0, got -1"):
        render(TEST_TONE, -1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"frequencies": ()}, "a tone needs at least one frequency"),
        ({"frequencies": (5000.0,)}, "frequency must be in"),
        ({"frequencies": (440.0,), "cadence_ms": (100,)}, "cadence must be on/off pairs, got 1"),
        ({"frequencies": (440.0,), "cadence_ms": (0, 100)}, "with some on time"),
        ({"frequencies": (440.0,), "level_dbm0": 10.0}, "exceeds"),
    ],
)
def test_tone_spec_validation(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"name": "x", "level_dbm0": -10.0}
    fields.update(kwargs)
    with pytest.raises(ValueError, match=message):
        ToneSpec(**fields)  # type: ignore[arg-type]


def test_call_progress_tones_are_not_dtmf() -> None:
    detector = InbandDtmfDetector()
    for spec in (DIAL, RINGBACK, BUSY, CONGESTION, RINGBACK_UK, TEST_TONE):
        assert detector.feed(render(spec, 16_000)) == [], spec.name


# ---------------------------------------------------------------------------- WAV


def wav_file(frames: bytes, *, rate: int, width: int, channels: int) -> io.BytesIO:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(frames)
    buffer.seek(0)
    return buffer


def test_round_trip_8k_mono(tmp_path: Path) -> None:
    pcm = render(TEST_TONE, 4000)
    path = tmp_path / "tone.wav"
    write_wav(path, pcm)
    assert np.array_equal(read_wav(path), pcm)
    assert np.array_equal(read_wav(str(path)), pcm)
    assert np.array_equal(read_wav(io.BytesIO(wav_bytes(pcm))), pcm)


def test_written_header_is_8k_mono_16_bit() -> None:
    with wave.open(io.BytesIO(wav_bytes(np.zeros(10, np.int16))), "rb") as reader:
        assert (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) == (1, 2, 8000)
        assert reader.getnframes() == 10


@pytest.mark.parametrize("rate", [16_000, 44_100, 48_000, 11_025])
def test_other_rates_are_resampled(rate: int) -> None:
    t = np.arange(rate) / rate
    pcm = np.round(10_000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    out = read_wav(wav_file(pcm.astype("<i2").tobytes(), rate=rate, width=2, channels=1))
    assert out.size == 8000
    assert spectrum_peaks(out, count=1) == [1000.0]
    core = out[200:-200].astype(np.float64)  # away from the filter's edge transients
    assert np.sqrt(np.mean(core**2)) == pytest.approx(10_000 / np.sqrt(2), rel=0.01)


def test_content_above_4_khz_is_filtered_out() -> None:
    rate = 48_000
    t = np.arange(rate) / rate
    pcm = np.round(10_000 * np.sin(2 * np.pi * 6000 * t)).astype(np.int16)
    out = resample(pcm, rate)
    # 6 kHz would alias to 2 kHz without the anti-aliasing filter.
    assert np.sqrt(np.mean(out[200:-200].astype(np.float64) ** 2)) < 100


def test_stereo_is_averaged_and_8_bit_is_unsigned() -> None:
    left = np.full(8, 1000, np.int16)
    right = np.full(8, 3000, np.int16)
    stereo = np.column_stack([left, right]).astype("<i2").tobytes()
    assert read_wav(wav_file(stereo, rate=8000, width=2, channels=2)).tolist() == [2000] * 8
    eight_bit = bytes([128, 255, 0, 192])
    assert read_wav(wav_file(eight_bit, rate=8000, width=1, channels=1)).tolist() == [
        0, 32512, -32768, 16384,
    ]


def test_24_and_32_bit() -> None:
    values = [0x123456, -0x123456, 0x7FFFFF, -0x800000]
    frames = b"".join(v.to_bytes(3, "little", signed=True) for v in values)
    assert read_wav(wav_file(frames, rate=8000, width=3, channels=1)).tolist() == [
        round(0x123456 / 256), round(-0x123456 / 256), 32768 - 1, -32768,
    ]
    frames32 = np.array([65536 * 100, -65536 * 200], dtype="<i4").tobytes()
    assert read_wav(wav_file(frames32, rate=8000, width=4, channels=1)).tolist() == [100, -200]


@pytest.mark.parametrize(
    "data",
    [b"", b"RIFF\x00\x00\x00\x00WAVE", b"not a wav file at all, just text"],
)
def test_not_a_wav(data: bytes) -> None:
    with pytest.raises(WavError, match="not a readable PCM WAV file"):
        read_wav(io.BytesIO(data))


def test_resample_validation() -> None:
    with pytest.raises(ValueError, match="rates must be positive, got 0 -> 8000"):
        resample(np.zeros(3, np.int16), 0)
    assert resample(np.zeros(0, np.int16), 16_000).size == 0
    with pytest.raises(ValueError, match="sample_rate must be positive"):
        write_wav(io.BytesIO(), np.zeros(1, np.int16), sample_rate=0)
