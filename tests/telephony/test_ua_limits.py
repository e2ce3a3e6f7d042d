"""The user agent on real loopback sockets: per-source transaction limit, malformed requests,
unknown methods."""

from __future__ import annotations

import asyncio
import socket

from switchboard.telephony.transport import SipTransport
from switchboard.telephony.ua import ServerTx, UserAgent


def invite(port: int, branch: str, method: str = "INVITE") -> bytes:
    return (f"{method} sip:9999@127.0.0.1 SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-{branch}\r\n"
            f"From: <sip:a@127.0.0.1>;tag=t{branch}\r\nTo: <sip:9999@127.0.0.1>\r\n"
            f"Call-ID: {branch}@test\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n").encode()


async def exchange(ua_setup: int, messages: list[bytes], wait: float,
                   answer: bool = False) -> list[bytes]:
    transport = SipTransport(lambda m, p: None)
    host, port = await transport.listen_udp("127.0.0.1", 0)
    ua = UserAgent(transport, max_transactions_per_source=ua_setup)
    held: list[ServerTx] = []
    if answer:
        ua.on_request = lambda stx: stx.respond(200)
    else:
        ua.on_request = held.append  # never answers: the transactions stay open
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.bind(("127.0.0.1", 0))
    client.setblocking(False)
    loop = asyncio.get_running_loop()
    for message in messages:
        await loop.sock_sendto(client, message.replace(b"PORT", str(
            client.getsockname()[1]).encode()), (host, port))
    replies: list[bytes] = []
    try:
        while True:
            replies.append(await asyncio.wait_for(loop.sock_recv(client, 65535), wait))
    except TimeoutError:
        pass
    ua.close()
    await transport.close()
    client.close()
    return replies


def test_one_source_cannot_hold_more_than_its_share_of_transactions() -> None:
    messages = [invite(1, f"b{i}") for i in range(5)]
    replies = asyncio.run(exchange(3, messages, 0.5))
    codes = sorted(r.split(b" ", 2)[1] for r in replies)
    assert codes.count(b"503") == 2, replies
    assert codes.count(b"100") == 3  # the held three get the automatic 100 Trying
    assert all(b"Retry-After: 5" in r for r in replies if b" 503 " in r)


def test_unknown_method_gets_405_with_allow() -> None:
    replies = asyncio.run(exchange(10, [invite(1, "m1", "FROBNICATE")], 0.3))
    assert replies and replies[0].startswith(b"SIP/2.0 405 ")
    allow = b"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, REFER, NOTIFY, UPDATE\r\n"
    assert allow in replies[0]  # one line, as phones write it


def test_answered_transactions_do_not_count_against_the_cap() -> None:
    """A finished transaction lingers 32 s (Timer J/K) but holds nothing of ours: a carrier
    sending everything from one address must not be throttled by it."""
    messages = [invite(1, f"o{i}", "OPTIONS") for i in range(8)]
    replies = asyncio.run(exchange(3, messages, 0.5, answer=True))
    assert sorted(r.split(b" ", 2)[1] for r in replies) == [b"200"] * 8
