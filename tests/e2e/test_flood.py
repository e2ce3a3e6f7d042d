"""The demo server under garbage: a flood during SIPp calls, and malformed input one at a time.

What is checked
---------------
* While SIPp places 200 calls to the echo test (20 calls/s, 1 s each), another process sends
  5,000 garbage datagrams (random bytes, truncated SIP, SIP with broken headers) from
  127.0.0.3: every SIPp call succeeds (exit code 0), the server is still up and answers both
  the caller's address and, once the flood is over, the flooder's.
* A malformed request that still names its Via, From, To, Call-ID and CSeq gets 400 with a
  Warning saying what was wrong; garbage gets no reply at all.
* Over TCP, a message larger than 65,535 octets gets 513 or the connection closed; a request
  without Content-Length closes that connection only: another TCP connection keeps working.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import DemoServer, run_sipp
from tests.e2e.test_security import SipClient, free_port

FLOOD_SOURCE = "127.0.0.3"
FLOOD_COUNT = 5000

# The flooder, run as its own process: python -c FLOODER host port source count seconds.
# It paces its datagrams over `seconds` and prints how many it sent and how many replies
# (400s to the broken-but-answerable ones) it drained.
FLOODER = r"""
import os, random, socket, sys, time
host, port, source, count, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
    int(sys.argv[4]), float(sys.argv[5])
rng = random.Random(7)
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((source, 0))
sock.setblocking(False)
me = sock.getsockname()[1]

def invite(n):
    body = ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio 9 RTP/AVP 0\r\n" % (source, source))
    return ("INVITE sip:9999@%s:%d SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bKf%d\r\n"
            "From: <sip:flood@%s>;tag=f%d\r\nTo: <sip:9999@%s>\r\nCall-ID: flood-%d\r\n"
            "CSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContact: <sip:flood@%s:%d>\r\n"
            "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s"
            % (host, port, source, me, n, source, n, host, n, source, me, len(body), body)
            ).encode()

BROKEN = [b"Max-Forwards: many\r\n", b"CSeq: 1 BYE\r\n", b"Contact: <<<\r\n",
          b"Content-Length: 99999\r\n", b"From: nonsense\r\n", b"Via: SIP/9.9/FOO\r\n"]

def garbage(n):
    kind = n % 4
    if kind == 0:
        return os.urandom(rng.randint(1, 1400))
    if kind == 1:  # truncated inside the header block: no blank line, mandatory headers cut
        data = invite(n)
        return data[: rng.randint(1, data.index(b"Max-Forwards"))]
    if kind == 2:  # a well-framed INVITE with a broken header (answerable: 400)
        data = invite(n)
        cut = data.index(b"Max-Forwards")
        return data[:cut] + rng.choice(BROKEN) + data[cut:]
    data = bytearray(invite(n))  # bit flips all over
    for _ in range(rng.randint(1, 40)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)

sent = replies = 0
start = time.monotonic()
for n in range(count):
    due = start + seconds * n / count
    while time.monotonic() < due:
        time.sleep(min(0.002, max(0.0, due - time.monotonic())))
    try:
        sock.sendto(garbage(n), (host, port))
        sent += 1
    except OSError:
        pass
    while True:
        try:
            sock.recvfrom(70000)
            replies += 1
        except (BlockingIOError, ConnectionRefusedError):
            break
print(sent, replies)
"""


def sipp_args(server: DemoServer, *args: str) -> list[str]:
    return [server.target, "-i", "127.0.0.1", "-p", str(free_port()), "-mp",
            str(free_port()), *args]


def options_ok(server: DemoServer, source: str, timeout: float = 5.0) -> bool:
    """An OPTIONS from ``source`` is answered 200 within ``timeout`` s (retried each 0.5 s)."""
    deadline = time.monotonic() + timeout
    with SipClient(server.addresses["udp"], source) as client:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            call_id, _, _ = client.request("OPTIONS", "9999", call_id=f"alive-{n}")
            reply = client.wait(call_id, "OPTIONS", timeout=0.5)
            if reply is not None:
                return reply.status == 200
    return False


def test_sipp_calls_succeed_during_a_garbage_flood(demo_server: DemoServer,
                                                   tmp_path: Path) -> None:
    host, port = demo_server.addresses["udp"]
    flooder = subprocess.Popen([sys.executable, "-c", FLOODER, host, str(port), FLOOD_SOURCE,
                                str(FLOOD_COUNT), "8"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        result = run_sipp(*sipp_args(demo_server, "-sn", "uac", "-s", "9999", "-r", "20",
                                     "-m", "200", "-d", "1000"), cwd=tmp_path, timeout=60)
        out, err = flooder.communicate(timeout=60)
    finally:
        if flooder.poll() is None:
            flooder.kill()
            flooder.wait()
    assert flooder.returncode == 0, err
    sent, replies = (int(x) for x in out.split())
    assert sent == FLOOD_COUNT
    assert result.returncode == 0, result.stdout[-3000:] + demo_server.log_text()[-3000:]
    assert demo_server.process.poll() is None, demo_server.log_text()[-3000:]
    assert "Traceback" not in demo_server.log_text(), demo_server.log_text()[-5000:]
    assert options_ok(demo_server, "127.0.0.1")
    assert options_ok(demo_server, FLOOD_SOURCE)  # flooding is shed, not punished
    assert 0 < replies < FLOOD_COUNT  # some 400s to the answerable ones, nothing to garbage


# ---------------------------------------------------------------------- malformed, one at a time


def options(client: SipClient, name: str, *, extra: str = "", cseq: str = "1 OPTIONS",
            max_forwards: str = "70") -> str:
    host, port = client.server
    return (f"OPTIONS sip:9999@{host}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {client.host}:{client.port};branch=z9hG4bK{name}\r\n"
            f"From: <sip:probe@{client.host}>;tag=p1\r\nTo: <sip:9999@{host}>\r\n"
            f"Call-ID: {name}\r\nCSeq: {cseq}\r\nMax-Forwards: {max_forwards}\r\n{extra}"
            f"Content-Length: 0\r\n\r\n")


@pytest.mark.parametrize(("name", "kwargs", "warning"), [
    ("max-forwards", {"max_forwards": "abc"}, "Max-Forwards"),
    ("cseq-method", {"cseq": "1 INVITE"}, "CSeq method"),
    ("contact", {"extra": "Contact: <<<\r\n"}, "Contact"),
    ("two-lengths", {"extra": "Content-Length: 5\r\n"}, "Content-Length"),
])
def test_a_malformed_request_gets_400_with_a_warning(demo_server: DemoServer, name: str,
                                                     kwargs: dict[str, str],
                                                     warning: str) -> None:
    with SipClient(demo_server.addresses["udp"]) as client:
        client.send(options(client, name, **kwargs))
        reply = client.wait(name, kwargs.get("cseq", "OPTIONS").split()[-1], timeout=5)
    assert reply is not None
    assert reply.status == 400, reply.text
    text = reply.header("Warning")
    assert text is not None and text.startswith("399 ") and warning in text, reply.text
    assert reply.header("Call-ID") == name
    assert f"branch=z9hG4bK{name}" in (reply.header("Via") or "")


@pytest.mark.parametrize("garbage", [
    b"\x00\xff\xfe random bytes \x81",
    b"OPTIONS sip:9999@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5;bra",
    b"HELLO\r\n\r\n",
    b"SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n",  # a malformed response is never answered
], ids=["binary", "truncated", "no-headers", "bad-response"])
def test_garbage_gets_no_reply(demo_server: DemoServer, garbage: bytes) -> None:
    with SipClient(demo_server.addresses["udp"]) as client:
        client.send(garbage)
        client.sock.settimeout(1.0)  # silence is the expected outcome: wait a bounded time
        with pytest.raises(TimeoutError):
            client.sock.recvfrom(70000)
    assert options_ok(demo_server, "127.0.0.1")


# ---------------------------------------------------------------------- TCP framing


def tcp_connect(server: DemoServer) -> socket.socket:
    sock = socket.create_connection(server.addresses["tcp"], timeout=5)
    return sock


def tcp_options(sock: socket.socket, name: str, *, content_length: bool = True,
                pad: int = 0) -> bytes:
    host, port = sock.getpeername()[:2]
    me, my_port = sock.getsockname()[:2]
    lines = [f"OPTIONS sip:9999@{host}:{port};transport=tcp SIP/2.0",
             f"Via: SIP/2.0/TCP {me}:{my_port};branch=z9hG4bK{name}",
             f"From: <sip:probe@{me}>;tag=t1", f"To: <sip:9999@{host}>", f"Call-ID: {name}",
             "CSeq: 1 OPTIONS", "Max-Forwards: 70"]
    if pad:
        lines.append("X-Pad: " + "x" * pad)
    if content_length:
        lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_reply(sock: socket.socket, timeout: float = 5.0) -> bytes:
    """Bytes until a complete head arrives, the peer closes, or the deadline passes."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in data and time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except (TimeoutError, ConnectionResetError):
            break
        if not chunk:
            break
        data += chunk
    return data


def closed(sock: socket.socket, timeout: float = 5.0) -> bool:
    """Whether the peer closes the connection within ``timeout`` s (draining what comes)."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if not sock.recv(65536):
                return True
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False
    return False


def test_tcp_still_works(demo_server: DemoServer) -> None:
    with tcp_connect(demo_server) as sock:
        sock.sendall(tcp_options(sock, "tcp-ok"))
        assert read_reply(sock).startswith(b"SIP/2.0 200 ")


def test_an_oversize_tcp_message_gets_513_or_a_close(demo_server: DemoServer) -> None:
    with tcp_connect(demo_server) as bystander, tcp_connect(demo_server) as sock:
        message = tcp_options(sock, "too-big", pad=70_000)
        assert len(message) > 65535
        # (closed while we were still writing is also a refusal)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(message)
        reply = read_reply(sock)
        assert reply == b"" or reply.startswith(b"SIP/2.0 513 "), reply[:200]
        assert closed(sock)
        bystander.sendall(tcp_options(bystander, "bystander-1"))
        assert read_reply(bystander).startswith(b"SIP/2.0 200 ")


def test_a_missing_content_length_closes_only_that_connection(demo_server: DemoServer) -> None:
    with tcp_connect(demo_server) as bystander, tcp_connect(demo_server) as sock:
        bystander.sendall(tcp_options(bystander, "before"))
        assert read_reply(bystander).startswith(b"SIP/2.0 200 ")
        sock.sendall(tcp_options(sock, "no-length", content_length=False))
        reply = read_reply(sock)
        if reply:
            assert reply.startswith(b"SIP/2.0 400 "), reply[:300]
            assert b"Content-Length" in reply
        assert closed(sock)
        bystander.sendall(tcp_options(bystander, "after"))
        assert read_reply(bystander).startswith(b"SIP/2.0 200 ")
    with tcp_connect(demo_server) as fresh:
        fresh.sendall(tcp_options(fresh, "fresh"))
        assert read_reply(fresh).startswith(b"SIP/2.0 200 ")


def test_an_unsupported_version_gets_505(demo_server: DemoServer) -> None:
    with SipClient(demo_server.addresses["udp"]) as client:
        client.send(options(client, "version").replace(" SIP/2.0\r\n", " SIP/3.0\r\n", 1))
        reply = client.wait("version", "OPTIONS", timeout=2)
    assert reply is not None and reply.status == 505
