"""Media ports come from a pool of released ones: parked ports drop what they receive, are
handed out again only after their quarantine, and then start a new RTP stream."""

from __future__ import annotations

import asyncio
import socket

from switchboard.rtp.packet import RtpPacket
from switchboard.telephony.media import MediaEngine


def rtp(seq: int) -> bytes:
    return RtpPacket(payload_type=0, sequence_number=seq, timestamp=seq * 160, ssrc=7,
                     payload=b"\xff" * 160).serialize()


async def scenario() -> dict[str, object]:
    engine = MediaEngine("127.0.0.1", quarantine=0.2)
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    peer.setblocking(False)
    loop = asyncio.get_running_loop()
    result: dict[str, object] = {}
    port = await engine.open()
    port.mode = "echo"
    port.remote = peer.getsockname()
    stream = (port.ssrc, port.seq, port.timestamp)
    await loop.sock_sendto(peer, rtp(1), port.local)
    echoed = RtpPacket.parse(await asyncio.wait_for(loop.sock_recv(peer, 2048), 1))
    result["echo"] = echoed.ssrc == port.ssrc
    port.close()
    result["released"] = len(engine.ports), engine.parked
    await loop.sock_sendto(peer, rtp(2), port.local)  # a late packet of the ended call
    await asyncio.sleep(0.05)
    result["late_dropped"] = port.received == 1
    early = await engine.open()  # still in quarantine: a new socket
    result["early_is_new"] = early is not port
    await asyncio.sleep(0.2)
    again = await engine.open()
    result["reused"] = again is port and again.local == port.local
    result["new_stream"] = (again.ssrc, again.seq, again.timestamp) != stream
    result["fresh"] = (again.received, again.mode, again.remote, again.latched, again.parked)
    result["opened"] = engine.opened
    engine.close_all()
    result["closed"] = again.transport is not None and again.transport.is_closing()
    peer.close()
    return result


def test_ports_are_reused_after_their_quarantine_as_new_streams() -> None:
    result = asyncio.run(scenario())
    assert result["echo"] is True
    assert result["released"] == (0, 1)
    assert result["late_dropped"] is True
    assert result["early_is_new"] is True
    assert result["reused"] is True
    assert result["new_stream"] is True
    assert result["fresh"] == (0, "idle", None, False, False)
    assert result["opened"] == 2
    assert result["closed"] is True


def test_a_full_pool_closes_released_ports() -> None:
    async def run() -> tuple[int, bool]:
        engine = MediaEngine("127.0.0.1", pool=0)
        port = await engine.open()
        port.close()
        assert port.transport is not None
        return engine.parked, port.transport.is_closing()

    assert asyncio.run(run()) == (0, True)


async def tones() -> dict[str, object]:
    engine = MediaEngine("127.0.0.1")
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.setblocking(False)
    loop = asyncio.get_running_loop()
    a, b, c = await engine.open(), await engine.open(), await engine.open()
    for port in (a, b, c):
        port.remote = sink.getsockname()
    a.play_tone(1000.0, 0.1)  # 5 frames
    b.play_tone(440.0, 0.1)
    c.play_ringback()
    result: dict[str, object] = {"none_at_once": (a.sent, b.sent, c.sent)}
    await asyncio.sleep(0.03)
    result["first_on_the_tick"] = (a.sent, b.sent, c.sent)
    await asyncio.sleep(0.02 * 7)
    c.stop_playing()
    sent_c = c.sent
    await asyncio.sleep(0.06)
    result["sent"] = (a.sent, b.sent)
    result["stopped"] = (c.sent == sent_c, a.playing, b.playing, c.playing)
    result["clock_idle"] = engine._clock is None
    stamps = []
    while True:
        try:
            packet = RtpPacket.parse(await loop.sock_recv(sink, 2048))
        except (BlockingIOError, TimeoutError):
            break
        if packet.ssrc == a.ssrc:
            stamps.append(packet.timestamp)
        if len(stamps) == 5:
            break
    result["stamps"] = [(t - stamps[0]) % 2**32 for t in stamps]
    engine.close_all()
    sink.close()
    return result


def test_tones_share_one_clock_and_stop() -> None:
    result = asyncio.run(tones())
    # The first frame waits for the shared clock's next tick (a call that ends at once sends
    # nothing); within 30 ms every port has sent exactly one.
    assert result["none_at_once"] == (0, 0, 0)
    assert result["first_on_the_tick"] == (1, 1, 1)
    assert result["sent"] == (5, 5)
    assert result["stopped"] == (True, False, False, False)
    assert result["clock_idle"] is True
    assert result["stamps"] == [0, 160, 320, 480, 640]


def test_the_open_file_limit_is_raised_to_the_hard_limit() -> None:
    import resource

    from switchboard.telephony.media import raise_open_file_limit

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    now = raise_open_file_limit(most=soft + 1 if hard == resource.RLIM_INFINITY
                                else max(soft, hard))
    new_soft, new_hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert new_hard == hard
    assert new_soft == now >= soft
    if hard != resource.RLIM_INFINITY:
        assert new_soft == hard
