"""G.711 μ-law (PCMU) and A-law (PCMA) companding, vectorised with lookup tables.

Samples are 16-bit signed PCM (``numpy.int16``); code words are one octet per sample, exactly as
they travel in RTP payload types 0 and 8 (RFC 3551 §4.5.14).

Both directions are table lookups: decoding indexes a 256-entry table, encoding a 65536-entry
table covering every int16 value.  The tables are built once, at import, from the encoding and
decoding rules of ITU-T G.711 as written in the ITU's reference software (ITU-T G.191 Software
Tool Library, ``g711.c``: ``ulaw_compress``/``ulaw_expand``, ``alaw_compress``/``alaw_expand``):

* μ-law uses the 14 most significant bits, A-law the 13 most significant bits of the sample.
* Negative samples are folded with the one's complement (``~x``), so that the quantiser is
  symmetric about -0.5, the middle of the int16 range.  For μ-law this differs from the Sun
  Microsystems ``g711.c`` (and from CPython's ``audioop.lin2ulaw``, which copies it) on some
  negative inputs; see ``tests/rtp/test_g711.py`` for the pinned cases.
* Decoding returns the middle of each quantisation interval, scaled to 16 bits: μ-law spans
  ±32124, A-law ±32256.

μ-law has two codes for zero: 0xFF (+0) and 0x7F (-0).  Both decode to 0, and 0 encodes to 0xFF,
so ``encode(decode(0x7F)) == 0xFF``; every other code survives ``encode(decode(code))``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "CODECS",
    "PCMA",
    "PCMU",
    "Codec",
    "alaw_decode",
    "alaw_encode",
    "check_pcm",
    "ulaw_decode",
    "ulaw_encode",
]

Pcm = npt.NDArray[np.int16]


def _ulaw_encode_table() -> npt.NDArray[np.uint8]:
    x = np.arange(-32768, 32768, dtype=np.int32)
    magnitude = np.where(x < 0, ~x, x) >> 2  # 14-bit magnitude, one's complement for negatives
    biased = np.minimum(magnitude + 33, 0x1FFF)  # 33: the μ-law bias in 14-bit units
    # Segment 1-8: one more than the bit length of biased >> 6.
    segment = np.ones_like(biased)
    for bit in range(7):
        segment += (biased >> (6 + bit)) > 0
    mantissa = (biased >> segment) & 0x0F
    code = ((8 - segment) << 4) | (0x0F - mantissa)
    code = np.where(x >= 0, code | 0x80, code)
    table = np.empty(65536, dtype=np.uint8)
    table[x.astype(np.uint16)] = code  # index by the sample's bit pattern as uint16
    return table


def _ulaw_decode_table() -> npt.NDArray[np.int16]:
    code = np.arange(256, dtype=np.int32)
    inverted = ~code & 0xFF
    exponent = (inverted >> 4) & 0x07
    mantissa = inverted & 0x0F
    step = 4 << (exponent + 1)
    magnitude = (0x80 << exponent) + step * mantissa + step // 2 - 4 * 33
    return np.where(code >= 0x80, magnitude, -magnitude).astype(np.int16)


def _alaw_encode_table() -> npt.NDArray[np.uint8]:
    x = np.arange(-32768, 32768, dtype=np.int32)
    ix = np.where(x < 0, ~x, x) >> 4  # 0..2047: 12-bit magnitude
    exponent = np.zeros_like(ix)
    for bit in range(7):
        exponent += (ix >> (4 + bit)) > 0  # ix in [16 << k, 32 << k) -> exponent k + 1
    shifted = np.where(exponent > 1, ix >> np.maximum(exponent - 1, 0), ix)
    code = np.where(exponent > 0, (exponent << 4) + (shifted - 16), ix)
    code = np.where(x >= 0, code | 0x80, code) ^ 0x55
    table = np.empty(65536, dtype=np.uint8)
    table[x.astype(np.uint16)] = code
    return table


def _alaw_decode_table() -> npt.NDArray[np.int16]:
    code = np.arange(256, dtype=np.int32)
    ix = (code ^ 0x55) & 0x7F
    exponent = ix >> 4
    mantissa = ix & 0x0F
    mantissa = np.where(exponent > 0, mantissa + 16, mantissa)
    magnitude = (mantissa << 4) + 8
    magnitude = np.where(exponent > 1, magnitude << np.maximum(exponent - 1, 0), magnitude)
    return np.where(code >= 0x80, magnitude, -magnitude).astype(np.int16)


_ULAW_ENCODE: Final = _ulaw_encode_table()
_ULAW_DECODE: Final = _ulaw_decode_table()
_ALAW_ENCODE: Final = _alaw_encode_table()
_ALAW_DECODE: Final = _alaw_decode_table()
for _table in (_ULAW_ENCODE, _ULAW_DECODE, _ALAW_ENCODE, _ALAW_DECODE):
    _table.flags.writeable = False


def check_pcm(pcm: npt.ArrayLike) -> Pcm:
    """Return ``pcm`` as a one-dimensional int16 array, or raise :class:`ValueError`.

    Only int16 arrays (or sequences of Python ints in the int16 range) are accepted: silently
    casting floats or wider integers would wrap loud samples around.
    """
    array = np.asarray(pcm)
    if array.ndim != 1:
        raise ValueError(f"PCM must be one-dimensional, got shape {array.shape}")
    if array.dtype == np.int16:
        return array
    if array.size == 0:
        return np.zeros(0, dtype=np.int16)
    if array.dtype.kind in "iu" and int(array.min()) >= -32768 and int(array.max()) <= 32767:
        return array.astype(np.int16)
    raise ValueError(f"PCM must be int16 samples, got dtype {array.dtype}")


def ulaw_encode(pcm: npt.ArrayLike) -> bytes:
    """Encode int16 samples as μ-law octets (one per sample)."""
    samples = check_pcm(pcm)
    return bytes(_ULAW_ENCODE[samples.astype(np.uint16)].tobytes())


def ulaw_decode(data: bytes | bytearray | memoryview) -> Pcm:
    """Decode μ-law octets to int16 samples (one per octet)."""
    return _ULAW_DECODE[np.frombuffer(data, dtype=np.uint8)]


def alaw_encode(pcm: npt.ArrayLike) -> bytes:
    """Encode int16 samples as A-law octets (one per sample)."""
    samples = check_pcm(pcm)
    return bytes(_ALAW_ENCODE[samples.astype(np.uint16)].tobytes())


def alaw_decode(data: bytes | bytearray | memoryview) -> Pcm:
    """Decode A-law octets to int16 samples (one per octet)."""
    return _ALAW_DECODE[np.frombuffer(data, dtype=np.uint8)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Codec:
    """An audio codec with a static RTP payload type (RFC 3551 Table 4)."""

    #: The encoding name used in SDP ``a=rtpmap`` (``PCMU``, ``PCMA``).
    name: str
    #: The static payload type.
    payload_type: int
    #: RTP clock rate in Hz.
    clock_rate: int
    #: int16 samples -> payload octets.
    encode: Callable[[npt.ArrayLike], bytes]
    #: Payload octets -> int16 samples.
    decode: Callable[[bytes | bytearray | memoryview], Pcm]
    #: The code of digital silence: what encode(0) gives (μ-law 0xFF -> 0, A-law 0xD5 -> +8).
    silence: int


PCMU: Final = Codec(
    name="PCMU", payload_type=0, clock_rate=8000, encode=ulaw_encode, decode=ulaw_decode,
    silence=0xFF,
)
PCMA: Final = Codec(
    name="PCMA", payload_type=8, clock_rate=8000, encode=alaw_encode, decode=alaw_decode,
    silence=0xD5,
)
#: The G.711 codecs by static payload type.
CODECS: Final[dict[int, Codec]] = {PCMU.payload_type: PCMU, PCMA.payload_type: PCMA}
