"""TLS (self-signed certificate made on first start) and SIP over WebSocket (RFC 7118): a real
client on each gets answers from the running server; TCP framing errors close one connection."""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from switchboard.telephony.directory import demo_directory
from switchboard.telephony.server import ServerSettings, start
from switchboard.telephony.transport import SipTransport


def options(transport: str, host: str, port: int, branch: str) -> bytes:
    return (f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/{transport} {host}:9;branch=z9hG4bK-{branch}\r\n"
            f"From: <sip:probe@{host}>;tag=p{branch}\r\nTo: <sip:{host}>\r\n"
            f"Call-ID: {branch}@probe\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
            "Content-Length: 0\r\n\r\n").encode()


async def tls_and_ws(data: Path) -> tuple[bytes, str, bytes, bytes]:
    directory, _ = demo_directory()
    server = await start(ServerSettings(sip_port=0, tls_port=0, ws_port=0, data=data),
                         directory)
    try:
        host, tls_port = server.transport.addresses["tls"]
        context = ssl.create_default_context(cafile=str(data / "tls-cert.pem"))
        context.check_hostname = False
        reader, writer = await asyncio.open_connection(host, tls_port, ssl=context)
        writer.write(options("TLS", host, tls_port, "tls1"))
        await writer.drain()
        tls_reply = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        writer.close()

        _, ws_port = server.transport.addresses["ws"]
        async with connect(f"ws://{host}:{ws_port}", subprotocols=["sip"]) as ws:
            await ws.send(options("WS", host, ws_port, "ws1").decode())
            ws_reply = await asyncio.wait_for(ws.recv(), 5)

        # TCP: a request without Content-Length closes that connection only
        _, tcp_port = server.transport.addresses["tcp"]
        bad_r, bad_w = await asyncio.open_connection(host, tcp_port)
        good_r, good_w = await asyncio.open_connection(host, tcp_port)
        bad_w.write(options("TCP", host, tcp_port, "bad").replace(b"Content-Length: 0\r\n", b""))
        await bad_w.drain()
        bad_reply = await asyncio.wait_for(bad_r.read(), 5)  # answered, then EOF
        good_w.write(options("TCP", host, tcp_port, "good"))
        await good_w.drain()
        good_reply = await asyncio.wait_for(good_r.readuntil(b"\r\n\r\n"), 5)
        good_w.close()
        return tls_reply, str(ws_reply), bad_reply, good_reply
    finally:
        await server.close()


def test_tls_websocket_and_tcp_framing(tmp_path: Path) -> None:
    tls_reply, ws_reply, bad_reply, good_reply = asyncio.run(tls_and_ws(tmp_path))
    assert tls_reply.startswith(b"SIP/2.0 200 OK\r\n")
    assert b"branch=z9hG4bK-tls1" in tls_reply
    assert (tmp_path / "tls-cert.pem").exists() and (tmp_path / "tls-key.pem").stat().st_mode \
        & 0o077 == 0
    assert ws_reply.startswith("SIP/2.0 200 OK\r\n")
    assert "branch=z9hG4bK-ws1" in ws_reply
    assert bad_reply.startswith(b"SIP/2.0 400 Bad Request\r\n")
    assert b"Content-Length is missing" in bad_reply
    assert good_reply.startswith(b"SIP/2.0 200 OK\r\n")


def test_port_zero_finds_a_number_free_for_both_udp_and_tcp() -> None:
    """With port 0, UDP may get a number that is taken for TCP: that one is skipped, and an
    explicit port that is taken is an error, not a silent change of number."""
    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    number = taken.getsockname()[1]

    class FirstNumberTaken(SipTransport):
        """UDP's first number is the one a TCP listener already holds."""

        tries = 0

        async def listen_udp(self, host: str = "127.0.0.1", port: int = 5060) -> tuple[str, int]:
            self.tries += 1
            return await super().listen_udp(host, number if self.tries == 1 else port)

    async def run() -> tuple[int, dict[str, tuple[str, int]], int]:
        transport = FirstNumberTaken(lambda message, peer: None)
        got = await transport.listen_udp_and_tcp("127.0.0.1", 0)
        addresses = dict(transport.addresses)
        await transport.close()
        explicit = SipTransport(lambda message, peer: None)
        with pytest.raises(OSError) as refused:
            await explicit.listen_udp_and_tcp("127.0.0.1", number)
        await explicit.close()
        return got, addresses, refused.value.errno or 0

    try:
        got, addresses, code = asyncio.run(run())
    finally:
        taken.close()
    assert got != number
    assert addresses["udp"][1] == addresses["tcp"][1] == got
    assert code == errno.EADDRINUSE
