"""Media hot paths of switchboard.rtp, each against a baseline in the same run.

Run: ``python bench/bench_rtp.py`` (about 10 s).  Prints a Rich table.

* RTP parse + serialize of a 172-octet PCMU packet, packets/s.
* G.711 μ-law encode and decode in simultaneous-call equivalents: one call is 50 packets/s of
  160 samples each way, i.e. 8000 samples/s encoded and 8000 decoded.  Baselines: a pure-Python
  per-sample loop (the G.191 rule), and CPython's ``audioop`` (C; deprecated, present on 3.11).
* Jitter buffer put + pop, operations/s.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.table import Table

from switchboard.rtp.g711 import ulaw_decode, ulaw_encode
from switchboard.rtp.jitter import JitterBuffer
from switchboard.rtp.packet import RtpPacket
from switchboard.rtp.tone import TEST_TONE, render

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

REPEATS = 5
CALL_SAMPLES_PER_S = 8000  # 50 packets x 160 samples, each way


def best_rate(fn: Callable[[], int], repeats: int = REPEATS) -> float:
    """Run ``fn`` (which returns how many units it processed); best units per second."""
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        units = fn()
        best = max(best, units / (time.perf_counter() - start))
    return best


def python_ulaw_encode(samples: list[int]) -> bytes:
    """Per-sample pure-Python μ-law (ITU-T G.191 ulaw_compress rule)."""
    out = bytearray()
    for x in samples:
        absno = min(((~x) >> 2 if x < 0 else x >> 2) + 33, 0x1FFF)
        segno = 1 + (absno >> 6).bit_length()
        code = ((8 - segno) << 4) | (15 - ((absno >> segno) & 15))
        out.append(code | 0x80 if x >= 0 else code)
    return bytes(out)


def python_ulaw_decode(data: bytes) -> list[int]:
    out = []
    for code in data:
        inverted = ~code & 0xFF
        exponent, mantissa = (inverted >> 4) & 7, inverted & 15
        magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
        out.append(magnitude if code >= 0x80 else -magnitude)
    return out


def bench_packets(count: int = 20_000) -> tuple[float, float]:
    wire = RtpPacket(
        payload_type=0, sequence_number=1, timestamp=160, ssrc=0x1234, payload=bytes(160)
    ).serialize()

    def ours() -> int:
        for _ in range(count):
            RtpPacket.parse(wire).serialize()
        return count

    import struct

    header = struct.Struct("!BBHII")

    def minimal() -> int:  # the floor: unpack and repack the fixed header, nothing checked
        for _ in range(count):
            fields = header.unpack_from(wire)
            header.pack(*fields) + wire[12:]
        return count

    return best_rate(ours), best_rate(minimal)


def bench_g711(pcm: npt.NDArray[np.int16]) -> dict[str, tuple[float, float]]:
    samples = pcm.tolist()
    raw = pcm.tobytes()
    encoded = ulaw_encode(pcm)
    frames = [pcm[i : i + 160] for i in range(0, pcm.size, 160)]
    frame_codes = [encoded[i : i + 160] for i in range(0, len(encoded), 160)]

    def run(fn: Callable[[], object], size: int) -> Callable[[], int]:
        def inner() -> int:
            fn()
            return size
        return inner

    def per_packet_encode() -> int:
        for f in frames:
            ulaw_encode(f)
        return pcm.size

    def per_packet_decode() -> int:
        for c in frame_codes:
            ulaw_decode(c)
        return pcm.size

    small = samples[:16_000]
    return {
        "numpy tables, 1 s blocks": (
            best_rate(run(lambda: ulaw_encode(pcm), pcm.size)),
            best_rate(run(lambda: ulaw_decode(encoded), pcm.size)),
        ),
        "numpy tables, per 160-sample packet": (
            best_rate(per_packet_encode), best_rate(per_packet_decode),
        ),
        "pure Python per sample (baseline)": (
            best_rate(run(lambda: python_ulaw_encode(small), len(small)), 2),
            best_rate(run(lambda: python_ulaw_decode(encoded[:16_000]), 16_000), 2),
        ),
        "audioop (C, peer)": (
            best_rate(run(lambda: audioop.lin2ulaw(raw, 2), pcm.size)),
            best_rate(run(lambda: audioop.ulaw2lin(encoded, 2), pcm.size)),
        ),
    }


def bench_jitter(count: int = 20_000) -> float:
    frame = np.zeros(160, dtype=np.int16)

    def ops() -> int:
        buffer = JitterBuffer()
        for i in range(count):
            buffer.put(i % 65536, 160 * i, frame, i * 0.02)
            buffer.pop()
        return 2 * count

    return best_rate(ops, 3)


def main() -> int:
    console = Console(width=120)
    pcm = render(TEST_TONE, 8000 * 60)  # one minute of 1 kHz tone
    ours_pkt, floor_pkt = bench_packets()
    g711 = bench_g711(pcm)
    jitter_ops = bench_jitter()

    table = Table(title="switchboard.rtp media paths (best of repeated runs, one core)")
    table.add_column("path")
    table.add_column("rate", justify="right")
    table.add_column("call equivalents", justify="right")
    table.add_column("vs baseline", justify="right")
    table.add_row(
        "RTP parse + serialize (validated)", f"{ours_pkt:,.0f} pkt/s",
        f"{ours_pkt / 100:,.0f}", f"{ours_pkt / floor_pkt:.2f}x of bare struct",
    )
    table.add_row("bare struct unpack/pack (floor)", f"{floor_pkt:,.0f} pkt/s",
                  f"{floor_pkt / 100:,.0f}", "1.00x")
    base_enc, base_dec = g711["pure Python per sample (baseline)"]
    for name, (enc, dec) in g711.items():
        table.add_row(
            f"μ-law encode: {name}", f"{enc / 1e6:,.1f} M samples/s",
            f"{enc / CALL_SAMPLES_PER_S:,.0f}", f"{enc / base_enc:,.0f}x",
        )
        table.add_row(
            f"μ-law decode: {name}", f"{dec / 1e6:,.1f} M samples/s",
            f"{dec / CALL_SAMPLES_PER_S:,.0f}", f"{dec / base_dec:,.0f}x",
        )
    table.add_row(
        "jitter buffer put + pop", f"{jitter_ops:,.0f} ops/s", f"{jitter_ops / 100:,.0f}", "-"
    )
    console.print(table)
    console.print(
        "Call equivalents: G.711 rows = samples/s / 8000 (one direction of one call); packet "
        "and jitter rows = rate / 100 (50 packets/s each way)."
    )
    # Sanity: the fast path must beat the per-sample loop; otherwise something regressed.
    enc, _ = g711["numpy tables, 1 s blocks"]
    return 0 if enc > 10 * base_enc else 1


if __name__ == "__main__":
    sys.exit(main())
