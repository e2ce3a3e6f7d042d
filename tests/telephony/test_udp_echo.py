"""The SIP UDP socket read in batches, and an echo-test call driven datagram by datagram.

A burst of requests queued in the socket before the server looks is answered in full (the
reader takes up to a batch per wake-up, then lets the loop poll again). The echo test answers
from a pooled media port (at once, without a task), and its tone starts on the ACK, not with
the 200.
"""

from __future__ import annotations

import asyncio
import gc
import re
import socket
from pathlib import Path

from switchboard.sip.timers import TimerConfig
from switchboard.telephony.directory import demo_directory
from switchboard.telephony.guard import SourceGuard
from switchboard.telephony.server import Server, ServerSettings, start
from switchboard.telephony.udp import UdpEndpoint


def options(port: int, client: int, branch: str) -> bytes:
    return (f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{client};branch=z9hG4bK-{branch}\r\n"
            f"From: <sip:probe@127.0.0.1>;tag=p{branch}\r\nTo: <sip:127.0.0.1>\r\n"
            f"Call-ID: {branch}@probe\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
            "Content-Length: 0\r\n\r\n").encode()


async def started(data: Path) -> Server:
    directory, _ = demo_directory()
    return await start(ServerSettings(sip_port=0, data=data,
                                      guard=SourceGuard(rate=1e9, burst=1e9)), directory)


def client_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)  # a whole burst of replies
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock


async def replies(sock: socket.socket, count: int, timeout: float = 5.0) -> list[bytes]:
    loop = asyncio.get_running_loop()
    got: list[bytes] = []
    while len(got) < count:
        got.append(await asyncio.wait_for(loop.sock_recv(sock, 65536), timeout))
    return got


async def burst(data: Path) -> tuple[int, int, int]:
    server = await started(data)
    sock = client_socket()
    try:
        port = server.transport.addresses["udp"][1]
        client = sock.getsockname()[1]
        count = 3 * UdpEndpoint.BATCH + 7  # more than a batch: the loop must come back for the rest
        for i in range(count):  # all queued before the server's loop runs again
            sock.sendto(options(port, client, f"b{i}"), ("127.0.0.1", port))
        got = await replies(sock, count)
        branches = {re.search(rb"branch=z9hG4bK-(b\d+)", r).group(1)  # type: ignore[union-attr]
                    for r in got}
        ok = sum(r.startswith(b"SIP/2.0 200 ") for r in got)
        return count, len(branches), ok
    finally:
        sock.close()
        await server.close()


def test_a_burst_of_datagrams_is_answered_in_full(tmp_path: Path) -> None:
    count, distinct, ok = asyncio.run(burst(tmp_path))
    assert distinct == count
    assert ok == count


SDP = ("v=0\r\no=probe 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio {rtp} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def request(method: str, port: int, client: int, n: int, cseq: int, to_tag: str = "",
            body: str = "") -> bytes:
    to = f"<sip:9999@127.0.0.1:{port}>" + (f";tag={to_tag}" if to_tag else "")
    content = "Content-Type: application/sdp\r\n" if body else ""
    return (f"{method} sip:9999@127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{client};branch=z9hG4bK-e{n}-{method}\r\n"
            f"From: <sip:probe@127.0.0.1:{client}>;tag=c{n}\r\nTo: {to}\r\n"
            f"Call-ID: echo{n}@probe\r\nCSeq: {cseq} {method}\r\n"
            f"Contact: <sip:probe@127.0.0.1:{client}>\r\nMax-Forwards: 70\r\n{content}"
            f"Content-Length: {len(body)}\r\n\r\n{body}").encode()


async def echo_calls(data: Path) -> list[dict[str, object]]:
    server = await started(data)
    server.media.quarantine = 0.0  # the second call may have the first call's port at once
    sock, rtp = client_socket(), client_socket()
    port = server.transport.addresses["udp"][1]
    client = sock.getsockname()[1]
    body = SDP.format(rtp=rtp.getsockname()[1])
    seen: list[dict[str, object]] = []
    try:
        for n in (1, 2):
            sock.sendto(request("INVITE", port, client, n, 1, body=body), ("127.0.0.1", port))
            ok = (await replies(sock, 1))[0]
            assert ok.startswith(b"SIP/2.0 200 "), ok
            tag = re.search(rb"\r\nTo: [^\r]*;tag=([^;\r]+)", ok).group(1)  # type: ignore[union-attr]
            [leg] = [leg for leg in server.switch.legs.values()
                     if leg.dialog is not None and leg.dialog.call_id == f"echo{n}@probe"]
            call: dict[str, object] = {"sockets_opened": server.media.opened,
                                       "playing_before_ack": leg.port.playing}
            await asyncio.sleep(0.06)
            call["sent_before_ack"] = leg.port.sent
            sock.sendto(request("ACK", port, client, n, 1, tag.decode()), ("127.0.0.1", port))
            await asyncio.sleep(0.1)
            call["playing_after_ack"] = leg.port.playing
            call["sent_after_ack"] = leg.port.sent
            sock.sendto(request("BYE", port, client, n, 2, tag.decode()), ("127.0.0.1", port))
            bye = (await replies(sock, 1))[0]
            call["bye"] = bye.split(b"\r\n", 1)[0]
            call["parked"] = leg.port.parked
            seen.append(call)
        return seen
    finally:
        sock.close()
        rtp.close()
        await server.close()


def test_echo_call_answers_from_the_pool_and_plays_its_tone_after_the_ack(
        tmp_path: Path) -> None:
    first, second = asyncio.run(echo_calls(tmp_path))
    for call in (first, second):
        assert call["playing_before_ack"] is False
        assert call["sent_before_ack"] == 0  # 60 ms after the 200: no tone without the ACK
        assert call["playing_after_ack"] is True
        assert isinstance(call["sent_after_ack"], int) and call["sent_after_ack"] >= 3
        assert call["bye"] == b"SIP/2.0 200 OK"
        assert call["parked"] is True
    assert first["sockets_opened"] == 1
    assert second["sockets_opened"] == 1  # the first call's port, from the pool


async def unacknowledged(data: Path) -> tuple[list[bytes], int, bool]:
    server = await started(data)
    server.ua.timers = TimerConfig(t1=0.02, t2=0.08)  # 64*T1 = 1.28 s without an ACK
    sock, rtp = client_socket(), client_socket()
    port = server.transport.addresses["udp"][1]
    client = sock.getsockname()[1]
    try:
        sock.sendto(request("INVITE", port, client, 7, 1,
                            body=SDP.format(rtp=rtp.getsockname()[1])), ("127.0.0.1", port))
        leg = None  # the caller's leg, once answered
        got: list[bytes] = []
        loop = asyncio.get_running_loop()
        while not got or not got[-1].startswith(b"BYE "):  # 200, its repeats, then a BYE
            got.append(await asyncio.wait_for(loop.sock_recv(sock, 65536), 5))
            if leg is None:
                legs = list(server.switch.legs.values())
                leg = legs[0] if legs else None
        assert leg is not None
        return got, server.switch.stats.unacknowledged, leg.port.parked
    finally:
        sock.close()
        rtp.close()
        await server.close()


def test_a_2xx_never_acknowledged_ends_the_call_with_bye(tmp_path: Path) -> None:
    """RFC 3261 §13.3.1.4: after 64*T1 of 2xx retransmissions without an ACK, BYE."""
    got, counted, parked = asyncio.run(unacknowledged(tmp_path))
    oks = [m for m in got if m.startswith(b"SIP/2.0 200 ")]
    assert len(oks) >= 5  # T1 doubling to T2 over 1.28 s: retransmitted, then given up
    bye = got[-1]
    assert b"\r\nReason: SIP;cause=408;" in bye
    assert b"Call-ID: echo7@probe\r\n" in bye
    assert counted == 1
    assert parked is True  # the media port went back to the pool


def test_an_echo_call_leaves_no_reference_cycle(tmp_path: Path) -> None:
    """A call's messages, transactions, leg and dialog are freed by reference counting when it
    ends: state left to the garbage collector made its collections long enough, under load,
    for SIPp to retransmit and give up (RFC 3261 timers are in hundreds of milliseconds)."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        calls = asyncio.run(echo_calls(tmp_path))
        gc.collect()
        kinds = {type(o).__name__ for o in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert len(calls) == 2
    assert not kinds & {"Leg", "ServerTx", "Dialog", "Request", "Response", "MediaPort",
                        "InviteServerTransaction", "NonInviteServerTransaction"}


async def first_call_answer(data: Path, media_host: str | None = None
                            ) -> tuple[bytes | None, int]:
    """Hand one INVITE to 9999 to the server's UDP reader and read what it answered before
    returning to the loop; with ``media_host`` the media engine opens its sockets there.
    Returns that answer (None if there was none yet) and the sockets opened."""
    server = await started(data)
    if media_host is not None:
        server.media.host = media_host
    sock, rtp = client_socket(), client_socket()
    port = server.transport.addresses["udp"][1]
    client = sock.getsockname()[1]
    try:
        assert server.media.parked == 0  # nothing in the pool: the port is a new socket
        udp = server.transport.udp
        assert udp is not None
        udp.datagram_received(request("INVITE", port, client, 9, 1,
                                      body=SDP.format(rtp=rtp.getsockname()[1])),
                              ("127.0.0.1", client))
        try:
            answer: bytes | None = sock.recv(65536)  # no await: sent by the reader itself
        except BlockingIOError:
            answer = None
        return answer, server.media.opened
    finally:
        sock.close()
        rtp.close()
        await server.close()


def test_a_call_finding_the_pool_empty_is_answered_without_a_task(tmp_path: Path) -> None:
    answer, opened = asyncio.run(first_call_answer(tmp_path))
    assert answer is not None  # answered before the loop ran again: the socket opened at once
    assert answer.startswith(b"SIP/2.0 200 ")
    assert opened == 1


def test_no_media_socket_is_a_503_that_says_so(tmp_path: Path) -> None:
    """192.0.2.1 (TEST-NET-1, RFC 5737) is no address of this host: binding there fails."""
    answer, opened = asyncio.run(first_call_answer(tmp_path, media_host="192.0.2.1"))
    assert answer is not None
    assert answer.startswith(b"SIP/2.0 503 ")
    assert b"\r\nRetry-After: 5\r\n" in answer
    assert re.search(rb'\r\nWarning: 399 - "no media port: [^"\r]+"\r\n', answer), answer
    assert opened == 0
