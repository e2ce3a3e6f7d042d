"""Waiting server transactions reduced to bytes and addresses (Timers J and L) behave as the
full machines would: retransmissions answered or absorbed, ACKs passed on, gone at the deadline.
Real loopback sockets, short timers (T1 = 10 ms, so 64*T1 = 0.64 s)."""

from __future__ import annotations

import asyncio
import socket

from switchboard.sip import Request
from switchboard.sip.timers import TimerConfig
from switchboard.telephony.transport import SipTransport
from switchboard.telephony.ua import ServerTx, UserAgent

FAST = TimerConfig(t1=0.01, t2=0.04, t4=0.05)


def request(method: str, branch: str, cseq: str | None = None, to_tag: str = "") -> bytes:
    to = "<sip:9999@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
    return (f"{method} sip:9999@127.0.0.1 SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bK-{branch}\r\n"
            f"From: <sip:a@127.0.0.1>;tag=caller\r\nTo: {to}\r\n"
            f"Call-ID: wait@test\r\nCSeq: {cseq or '1 ' + method}\r\n"
            f"Contact: <sip:a@127.0.0.1:PORT>\r\nContent-Length: 0\r\n\r\n").encode()


class Peer:
    def __init__(self, client: socket.socket, server: tuple[str, int]) -> None:
        self.client, self.server = client, server
        self.loop = asyncio.get_running_loop()

    async def send(self, data: bytes) -> None:
        port = str(self.client.getsockname()[1]).encode()
        await self.loop.sock_sendto(self.client, data.replace(b"PORT", port), self.server)

    async def replies(self, wait: float) -> list[bytes]:
        out: list[bytes] = []
        try:
            while True:
                out.append(await asyncio.wait_for(self.loop.sock_recv(self.client, 65535), wait))
        except TimeoutError:
            return out


async def scenario() -> dict[str, object]:
    transport = SipTransport(lambda m, p: None)
    host, port = await transport.listen_udp("127.0.0.1", 0)
    ua = UserAgent(transport, timers=FAST)
    acks: list[Request] = []
    requests: list[str] = []

    def answer(stx: ServerTx) -> None:
        requests.append(stx.request.method)
        if stx.request.method == "INVITE":
            stx.on_ack = acks.append
        stx.respond(200)

    ua.on_request = answer
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.bind(("127.0.0.1", 0))
    client.setblocking(False)
    peer = Peer(client, (host, port))
    result: dict[str, object] = {}
    # A non-INVITE answered 200: parked with its answer; a retransmission gets the same bytes.
    await peer.send(request("OPTIONS", "o1"))
    first = await peer.replies(0.1)
    result["parked"] = len(ua.waiting), len(ua.server)
    await peer.send(request("OPTIONS", "o1"))
    result["options"] = first, await peer.replies(0.1)
    # An INVITE answered 200: its retransmission is absorbed (the UA core repeats the 2xx
    # until the ACK); an ACK with the INVITE's branch reaches the TU and stops the repeats.
    await peer.send(request("INVITE", "i1"))
    ok = await peer.replies(0.005)
    await peer.send(request("INVITE", "i1"))
    to_tag = ok[0].split(b";tag=")[-1].split(b"\r\n")[0].decode()
    await peer.send(request("ACK", "i1", "1 ACK", to_tag))
    result["invite"] = ok, await peer.replies(0.1)
    result["acks"] = len(acks)
    result["requests"] = list(requests)
    # After 64*T1 the waits are over: the same branch is a new transaction again.
    await asyncio.sleep(0.8)
    result["after"] = len(ua.waiting), len(ua.wheel)
    await peer.send(request("OPTIONS", "o1"))
    await peer.replies(0.1)
    result["requests_after"] = list(requests)
    ua.close()
    await transport.close()
    client.close()
    return result


def test_waiting_transactions_answer_absorb_and_expire() -> None:
    result = asyncio.run(scenario())
    assert result["parked"] == (1, 0)
    first, again = result["options"]  # type: ignore[misc]
    assert len(first) == 1 and first[0].startswith(b"SIP/2.0 200 ")
    assert again == first  # the very same bytes, not a second answer from the application
    ok, later = result["invite"]  # type: ignore[misc]
    assert len(ok) == 1 and ok[0].startswith(b"SIP/2.0 200 ")
    assert all(r == ok[0] for r in later)  # at most UA-core repeats of the 2xx before the ACK
    assert result["acks"] == 1
    assert result["requests"] == ["OPTIONS", "INVITE"]  # retransmissions never reached the TU
    assert result["after"] == (0, 0)
    assert result["requests_after"] == ["OPTIONS", "INVITE", "OPTIONS"]
