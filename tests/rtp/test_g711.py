"""G.711 μ-law / A-law against the formulas of ITU-T G.711 and CPython's ``audioop``."""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from switchboard.rtp.g711 import (
    CODECS,
    PCMA,
    PCMU,
    Codec,
    alaw_decode,
    alaw_encode,
    check_pcm,
    ulaw_decode,
    ulaw_encode,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # deprecated since 3.11 (PEP 594), removed in 3.13: the peer we compare with

ALL_CODES = bytes(range(256))
ALL_SAMPLES = np.arange(-32768, 32768, dtype=np.int16)


# ---- G.711 written out independently, code by code, from the Recommendation's tables --------


def g711_ulaw_value(code: int) -> int:
    """G.711 Table 2a: decoder output for a μ-law character, scaled from 14 to 16 bits.

    All eight bits are inverted on the line; after inversion bit 7 is the sign (0 = positive),
    bits 6-4 the segment e, bits 3-0 the step m; the output is (2m + 33) * 2^e - 33.
    """
    inverted = code ^ 0xFF
    e, m = (inverted >> 4) & 7, inverted & 15
    value = ((2 * m + 33) << e) - 33
    return 4 * (value if inverted < 0x80 else -value)


def g711_alaw_value(code: int) -> int:
    """G.711 Table 1a: decoder output for an A-law character, scaled from 13 to 16 bits.

    The even bits are inverted on the line (XOR 0x55); bit 7 is the sign (1 = positive), bits
    6-4 the segment e, bits 3-0 the step m; the output is 2m + 1 for e = 0, else
    (2m + 33) * 2^(e - 1).
    """
    d = code ^ 0x55
    e, m = (d >> 4) & 7, d & 15
    value = 2 * m + 1 if e == 0 else (2 * m + 33) << (e - 1)
    return 8 * (value if d & 0x80 else -value)


def g191_ulaw_compress(x: int) -> int:
    """ITU-T G.191 STL ``ulaw_compress`` for one sample, transcribed per sample."""
    absno = ((~x) >> 2 if x < 0 else x >> 2) + 33
    absno = min(absno, 0x1FFF)
    segno = 1 + (absno >> 6).bit_length()
    code = ((8 - segno) << 4) | (15 - ((absno >> segno) & 15))
    return code | 0x80 if x >= 0 else code


def sun_ulaw_compress(x: int) -> int:
    """The Sun Microsystems ``linear2ulaw`` that ``audioop.lin2ulaw`` uses: negate, not invert."""
    value = x >> 2
    negative = value < 0
    if negative:
        value = -value
    value = min(min(value, 8159) + 33, 0x1FFF)  # Sun clips at 8159; 8192 maps to the top code
    segno = 1 + (value >> 6).bit_length()
    code = ((8 - segno) << 4) | (15 - ((value >> segno) & 15))
    return code if negative else code | 0x80


def audioop_ulaw(samples: npt.NDArray[np.int16]) -> npt.NDArray[np.uint8]:
    return np.frombuffer(audioop.lin2ulaw(samples.tobytes(), 2), dtype=np.uint8)


# ---- decoding -----------------------------------------------------------------------------


def test_standard_ulaw_values() -> None:
    assert ulaw_decode(b"\xff\x7f\x00\x80\xfe\x7e").tolist() == [0, 0, -32124, 32124, 8, -8]


def test_standard_alaw_values() -> None:
    assert alaw_decode(b"\xd5\x55\xaa\x2a\xd4\x54").tolist() == [8, -8, 32256, -32256, 24, -24]


def test_full_ulaw_decode_table_matches_g711_table_2a() -> None:
    assert ulaw_decode(ALL_CODES).tolist() == [g711_ulaw_value(code) for code in range(256)]


def test_full_alaw_decode_table_matches_g711_table_1a() -> None:
    assert alaw_decode(ALL_CODES).tolist() == [g711_alaw_value(code) for code in range(256)]


def test_decode_returns_int16() -> None:
    assert ulaw_decode(b"\x00").dtype == np.int16
    assert alaw_decode(bytearray(b"\x00")).dtype == np.int16
    assert ulaw_decode(b"").shape == (0,)


# ---- encoding -----------------------------------------------------------------------------


def test_encode_of_decode_is_identity_except_ulaw_negative_zero() -> None:
    ulaw = ulaw_encode(ulaw_decode(ALL_CODES))
    expected = bytearray(ALL_CODES)
    expected[0x7F] = 0xFF  # -0 decodes to 0, and 0 encodes as +0
    assert ulaw == bytes(expected)
    assert alaw_encode(alaw_decode(ALL_CODES)) == ALL_CODES


def test_extremes_and_zero() -> None:
    samples = np.array([0, -1, 32767, -32768, 1, 8, -8], dtype=np.int16)
    assert ulaw_encode(samples) == bytes([0xFF, 0x7F, 0x80, 0x00, 0xFF, 0xFE, 0x7E])
    # A-law's first interval is 16 wide at 16 bits: ±8 still land on ±8, ±16/17 on ±24.
    assert alaw_encode(samples) == bytes([0xD5, 0x55, 0xAA, 0x2A, 0xD5, 0xD5, 0x55])
    assert alaw_encode(np.array([16, -17, 15, -16], dtype=np.int16)) == bytes(
        [0xD4, 0x54, 0xD5, 0x55]
    )


def test_ulaw_encode_matches_g191_for_every_sample() -> None:
    expected = bytes(g191_ulaw_compress(int(x)) for x in ALL_SAMPLES)
    assert ulaw_encode(ALL_SAMPLES) == expected


def test_alaw_encode_equals_audioop_for_every_sample() -> None:
    assert alaw_encode(ALL_SAMPLES) == audioop.lin2alaw(ALL_SAMPLES.tobytes(), 2)


def test_decoders_equal_audioop() -> None:
    assert ulaw_decode(ALL_CODES).tobytes() == audioop.ulaw2lin(ALL_CODES, 2)
    assert alaw_decode(ALL_CODES).tobytes() == audioop.alaw2lin(ALL_CODES, 2)


def test_ulaw_encode_differs_from_audioop_exactly_where_g191_and_sun_differ() -> None:
    """audioop.lin2ulaw folds negatives with -(x >> 2) (Sun g711.c); ITU-T G.191 ``ulaw_compress``
    uses the one's complement (~x) >> 2.  We follow G.191.  They disagree on 508 negative inputs,
    four per μ-law decision threshold below zero, and there G.191's code is never farther from the
    input than audioop's.
    """
    ours = np.frombuffer(ulaw_encode(ALL_SAMPLES), dtype=np.uint8)
    theirs = audioop_ulaw(ALL_SAMPLES)
    differ = np.nonzero(ours != theirs)[0]
    sun = np.array([sun_ulaw_compress(int(x)) for x in ALL_SAMPLES], dtype=np.uint8)
    assert np.array_equal(theirs, sun)  # our model of audioop is right
    assert len(differ) == 508
    assert (ALL_SAMPLES[differ] < 0).all()
    error_ours = np.abs(ulaw_decode(ours[differ].tobytes()).astype(int) - ALL_SAMPLES[differ])
    error_theirs = np.abs(ulaw_decode(theirs[differ].tobytes()).astype(int) - ALL_SAMPLES[differ])
    assert (error_ours <= error_theirs).all()
    assert (error_ours < error_theirs).sum() == 388


@pytest.mark.parametrize(
    ("sample", "g191", "audioop_code"),
    [
        (-1, 0x7F, 0x7E),  # -1 is nearer to -0 (0) than to -8
        (-4, 0x7F, 0x7E),
        (-5, 0x7E, 0x7E),  # agree again
        (-9, 0x7E, 0x7D),
        (-31612, 0x01, 0x00),
    ],
)
def test_pinned_ulaw_differences_from_audioop(sample: int, g191: int, audioop_code: int) -> None:
    """Source: ITU-T G.191 STL g711.c ``ulaw_compress`` (one's complement of negative samples)."""
    samples = np.array([sample], dtype=np.int16)
    assert ulaw_encode(samples) == bytes([g191])
    assert audioop.lin2ulaw(samples.tobytes(), 2) == bytes([audioop_code])


@given(hnp.arrays(np.int16, st.integers(0, 300)))
def test_companding_is_monotonic_and_bounded(samples: npt.NDArray[np.int16]) -> None:
    ordered = np.sort(samples)
    for encode, decode in ((ulaw_encode, ulaw_decode), (alaw_encode, alaw_decode)):
        out = decode(encode(ordered)).astype(int)
        assert (np.diff(out) >= 0).all()
        # The largest quantisation step at 16 bits is 1024 for both laws (the top segment).
        assert (np.abs(out - ordered.astype(int)) <= 1024).all()


def snr_db(reference: npt.NDArray[np.float64], decoded: npt.NDArray[np.int16]) -> float:
    noise = decoded.astype(np.float64) - reference
    return float(10 * np.log10(np.sum(reference**2) / np.sum(noise**2)))


@pytest.mark.parametrize("amplitude", [20000.0, 3000.0, 600.0])
@pytest.mark.parametrize("codec", [PCMU, PCMA], ids=lambda c: c.name)
def test_sine_round_trip_snr_above_35_db(codec: Codec, amplitude: float) -> None:
    # 1004 Hz, the digital milliwatt's frequency, is not a sub-multiple of 8000 Hz, so the
    # samples visit many phases rather than repeating a few.
    t = np.arange(8000) / 8000.0
    reference = amplitude * np.sin(2 * np.pi * 1004 * t)
    samples = np.round(reference).astype(np.int16)
    decoded = codec.decode(codec.encode(samples))
    assert snr_db(reference, decoded) > 35.0


def test_snr_collapses_for_a_tiny_signal() -> None:
    # The check above can fail: at ±12 the quantiser's 8- and 16-unit steps dominate.
    t = np.arange(8000) / 8000.0
    reference = 12 * np.sin(2 * np.pi * 1004 * t)
    decoded = alaw_decode(alaw_encode(np.round(reference).astype(np.int16)))
    assert snr_db(reference, decoded) < 20.0


def test_codec_table() -> None:
    assert CODECS[0] is PCMU and CODECS[8] is PCMA
    assert PCMU.decode(bytes([PCMU.silence])).tolist() == [0]
    assert PCMA.encode(np.zeros(1, dtype=np.int16)) == bytes([PCMA.silence])


def test_check_pcm() -> None:
    assert check_pcm([1, -2, 32767]).dtype == np.int16
    assert check_pcm([]).dtype == np.int16
    with pytest.raises(ValueError, match="PCM must be int16 samples, got dtype float64"):
        check_pcm(np.zeros(3))
    with pytest.raises(ValueError, match="PCM must be int16 samples, got dtype int64"):
        check_pcm([40000])
    with pytest.raises(ValueError, match=r"PCM must be one-dimensional, got shape \(2, 2\)"):
        check_pcm(np.zeros((2, 2), dtype=np.int16))
