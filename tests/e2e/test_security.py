"""The demo server against SIPVicious (svwar, svcrack) and raw digest probes over UDP.

What is checked
---------------
* Extension enumeration: ``svwar`` scanning 1000-1010 and 9990-9999 with REGISTER and INVITE
  finds none of the agents 1001-1005 (9999, the public echo test, may appear). A leaky toy
  registrar (404 for unknown users) is scanned the same way first, so that a silent svwar means
  the server did not leak rather than that svwar did not work.
* Password cracking: ``svcrack`` finds the password when it comes second in its dictionary (the
  tool works against our digest), but not when it comes 20th: the guard blocks the source
  after 5 failures and it gets no answer at all; a legitimate REGISTER from the same address is
  unanswered during the block, while one from another loopback address (127.0.0.2) succeeds.
* Unknown user and wrong password get byte-identical answers apart from the nonce and tags.

Every wait has a deadline; the only "nothing came" checks wait a bounded time for silence.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import DemoServer, need

REALM = "switchboard"
AGENTS = {"1001", "1002", "1003", "1004", "1005"}
SCAN_RANGES = "1000-1010,9990-9999"


# ---------------------------------------------------------------------- a raw UDP SIP client


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class Reply:
    """One SIP response, raw and split."""

    raw: bytes

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", "replace")

    @property
    def status(self) -> int:
        return int(self.text.split(" ", 2)[1])

    def header(self, name: str) -> str | None:
        for line in self.text.split("\r\n\r\n", 1)[0].split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None

    def headers(self, name: str) -> list[str]:
        return [line.partition(":")[2].strip()
                for line in self.text.split("\r\n\r\n", 1)[0].split("\r\n")[1:]
                if line.partition(":")[0].strip().lower() == name.lower()]


class SipClient:
    """A blocking UDP SIP client bound to one local address, for probes with deadlines."""

    def __init__(self, server: tuple[str, int], local_host: str = "127.0.0.1") -> None:
        self.server = server
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((local_host, 0))
        self.host, self.port = self.sock.getsockname()[:2]

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> SipClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, data: bytes | str) -> None:
        self.sock.sendto(data.encode() if isinstance(data, str) else data, self.server)

    def wait(self, call_id: str, method: str, timeout: float = 5.0,
             final: bool = True) -> Reply | None:
        """The next response to (call_id, method) within ``timeout`` s (provisional skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data, _ = self.sock.recvfrom(70000)
            except TimeoutError:
                return None
            if not data.startswith(b"SIP/2.0 "):
                continue
            reply = Reply(data)
            cseq = reply.header("CSeq") or ""
            if reply.header("Call-ID") != call_id or not cseq.endswith(method):
                continue
            if final and reply.status < 200:
                continue
            return reply

    def request(self, method: str, user: str, *, call_id: str | None = None, cseq: int = 1,
                authorization: str | None = None, extra: str = "", body: str = "",
                branch: str | None = None, from_tag: str = "probe") -> tuple[str, str, str]:
        """Send a request to sip:user@server; returns (call_id, branch, text sent)."""
        host, port = self.server
        call_id = call_id or secrets.token_hex(8)
        branch = branch or "z9hG4bK" + secrets.token_hex(8)
        uri = f"sip:{host}:{port}" if method == "REGISTER" else f"sip:{user}@{host}:{port}"
        lines = [f"{method} {uri} SIP/2.0",
                 f"Via: SIP/2.0/UDP {self.host}:{self.port};branch={branch};rport",
                 f"From: <sip:{user}@{host}>;tag={from_tag}",
                 f"To: <sip:{user}@{host}>",
                 f"Call-ID: {call_id}",
                 f"CSeq: {cseq} {method}",
                 f"Contact: <sip:{user}@{self.host}:{self.port}>",
                 "Max-Forwards: 70"]
        if method == "REGISTER":
            lines.append("Expires: 60")
        if authorization:
            lines.append(("Authorization: " if method == "REGISTER"
                          else "Proxy-Authorization: ") + authorization)
        if extra:
            lines.append(extra)
        if body:
            lines.append("Content-Type: application/sdp")
        lines += [f"Content-Length: {len(body.encode())}", "", body]
        text = "\r\n".join(lines)
        self.send(text)
        return call_id, branch, text

    def ack(self, sent: str, reply: Reply) -> None:
        """ACK a non-2xx final response to an INVITE (same branch, To with the tag)."""
        head = sent.split("\r\n\r\n", 1)[0].split("\r\n")
        uri = head[0].split(" ")[1]
        keep = [line for line in head[1:] if line.split(":")[0] in ("Via", "From", "Call-ID")]
        cseq = (reply.header("CSeq") or "1 INVITE").split()[0]
        self.send("\r\n".join([f"ACK {uri} SIP/2.0", *keep, f"To: {reply.header('To')}",
                               f"CSeq: {cseq} ACK", "Max-Forwards: 70", "Content-Length: 0",
                               "", ""]))


def digest(user: str, password: str, challenge: str, method: str, uri: str) -> str:
    """An RFC 2617 MD5 qop=auth Authorization value for a WWW/Proxy-Authenticate value."""
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
    assert params.get("algorithm", "MD5") == "MD5", challenge
    nonce, cnonce, nc = params["nonce"], secrets.token_hex(8), "00000001"

    def h(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    ha1 = h(f"{user}:{params['realm']}:{password}")
    response = h(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{h(f'{method}:{uri}')}")
    return (f'Digest username="{user}", realm="{params["realm"]}", nonce="{nonce}", '
            f'uri="{uri}", response="{response}", algorithm=MD5, qop=auth, nc={nc}, '
            f'cnonce="{cnonce}"')


def register(client: SipClient, user: str, password: str, timeout: float = 5.0
             ) -> Reply | None:
    """A full digest REGISTER (challenge, then credentials); the final reply, or None."""
    call_id, _, _ = client.request("REGISTER", user)
    challenge = client.wait(call_id, "REGISTER", timeout)
    if challenge is None or challenge.status != 401:
        return challenge
    md5 = next(c for c in challenge.headers("WWW-Authenticate") if "MD5" in c)
    host, port = client.server
    client.request("REGISTER", user, call_id=call_id, cseq=2,
                   authorization=digest(user, password, md5, "REGISTER", f"sip:{host}:{port}"))
    return client.wait(call_id, "REGISTER", timeout)


def normalize(reply: Reply, *replace: tuple[str, str]) -> str:
    """The reply with nonces, tags and branches (and given literals) masked."""
    text = reply.text
    for old, new in replace:
        text = text.replace(old, new)
    text = re.sub(r'nonce="[^"]*"', 'nonce="N"', text)
    text = re.sub(r"tag=[^;>\s]+", "tag=T", text)
    return re.sub(r"branch=[^;\s]+", "branch=B", text)


# ---------------------------------------------------------------------- svwar


def venv_tool(name: str) -> str:
    """A console script of this virtualenv (sipvicious), or one on PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else need(name)


def run_tool(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout,
                            check=False)
    return result


def svwar(target: tuple[str, int], method: str) -> tuple[set[str], str]:
    """Run svwar over SCAN_RANGES; the extensions in its report, and its whole output."""
    tool = venv_tool("sipvicious_svwar")
    host, port = target
    result = run_tool(tool, "--force", "-P", str(free_port()), "-b", "127.0.0.1",
                      "-m", method, "-e", SCAN_RANGES, "--maximumtime", "5",
                      f"udp://{host}:{port}")
    output = result.stdout + result.stderr
    found = set(re.findall(r"^\|\s*(\d+)\s*\|", output, re.MULTILINE))
    return found, output


@pytest.fixture
def leaky_registrar() -> Iterator[tuple[str, int]]:
    """A toy registrar that leaks: 401/407 for the agents, 404 for anybody else."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, addr = sock.recvfrom(65535)
            except TimeoutError:
                continue
            text = data.decode("utf-8", "replace")
            method = text.split(" ", 1)[0]
            if method in ("ACK", "SIP/2.0"):
                continue
            head = text.split("\r\n\r\n", 1)[0].split("\r\n")
            to = next((h for h in head if h.lower().startswith(("to:", "t:"))), "To: <>")
            user = re.search(r"sip:([^@>;]+)@", to)
            known = user is not None and user.group(1) in AGENTS
            code = ("407 Proxy Authentication Required" if method == "INVITE"
                    else "401 Unauthorized") if known else "404 Not Found"
            copied = [h for h in head[1:]
                      if h.split(":")[0].strip().lower() in ("via", "v", "from", "f", "call-id",
                                                             "i", "cseq")]
            auth = ("Proxy-Authenticate" if method == "INVITE" else "WWW-Authenticate") \
                + f': Digest realm="{REALM}", nonce="abc", algorithm=MD5'
            reply = [f"SIP/2.0 {code}", *copied, to.split(":", 1)[0] + ":"
                     + to.split(":", 1)[1] + ";tag=leak"]
            if known:
                reply.append(auth)
            reply += ["Content-Length: 0", "", ""]
            sock.sendto("\r\n".join(reply).encode(), addr)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[:2]
    finally:
        stop.set()
        thread.join(5)
        sock.close()


@pytest.mark.parametrize("method", ["REGISTER", "INVITE"])
def test_svwar_finds_the_agents_of_a_leaky_registrar(leaky_registrar: tuple[str, int],
                                                     method: str) -> None:
    """The control: svwar and our reading of its report do find leaked extensions."""
    found, output = svwar(leaky_registrar, method)
    assert found == AGENTS, output


@pytest.mark.parametrize("method", ["REGISTER", "INVITE"])
def test_svwar_cannot_enumerate_the_agents(demo_server: DemoServer, method: str) -> None:
    found, output = svwar(demo_server.addresses["udp"], method)
    assert not (found & AGENTS), output
    assert found <= {"9999"}, output  # the echo test is public by design
    assert demo_server.process.poll() is None


def test_unauthenticated_requests_look_the_same_for_every_extension(
        demo_server: DemoServer) -> None:
    """What svwar looks at, checked one extension at a time: REGISTER and INVITE without
    credentials get the same answer (401/407) whether the extension exists or not."""
    offer = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
             "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
    extensions = [str(n) for n in [*range(1000, 1011), *range(9990, 9999)]]
    with SipClient(demo_server.addresses["udp"]) as client:
        for method in ("REGISTER", "INVITE"):
            seen: dict[str, list[str]] = {}
            for ext in extensions:
                call_id, _, sent = client.request(method, ext, call_id=f"enum-{method}",
                                                  body=offer if method == "INVITE" else "")
                reply = client.wait(call_id, method)
                assert reply is not None, f"no answer to {method} {ext}"
                if method == "INVITE":
                    client.ack(sent, reply)
                seen.setdefault(normalize(reply, (ext, "EXT")), []).append(ext)
            assert len(seen) == 1, f"{method} answers differ by extension: {seen}"
            assert next(iter(seen)).startswith(
                "SIP/2.0 401" if method == "REGISTER" else "SIP/2.0 407")


# ---------------------------------------------------------------------- wrong password vs unknown


def test_unknown_user_and_wrong_password_get_identical_answers(demo_server: DemoServer) -> None:
    host, port = demo_server.addresses["udp"]
    uri = f"sip:{host}:{port}"
    answers = {}
    with SipClient(demo_server.addresses["udp"]) as client:
        for user in ("1001", "1099"):  # an agent with a wrong password; nobody
            call_id = "same-call-id"
            client.request("REGISTER", user, call_id=f"{call_id}-{user}")
            challenge = client.wait(f"{call_id}-{user}", "REGISTER")
            assert challenge is not None and challenge.status == 401
            md5 = next(c for c in challenge.headers("WWW-Authenticate") if "MD5" in c)
            client.request("REGISTER", user, call_id=f"{call_id}-{user}", cseq=2,
                           authorization=digest(user, "not-the-password", md5, "REGISTER",
                                                uri))
            reply = client.wait(f"{call_id}-{user}", "REGISTER")
            assert reply is not None, f"no answer for {user}"
            answers[user] = reply
    assert answers["1001"].status == 401
    masked = {user: normalize(reply, (user, "USER")) for user, reply in answers.items()}
    assert masked["1001"] == masked["1099"], masked
    # ... and the unmasked bytes differ only where the user, nonce and tags are
    assert len(answers["1001"].raw) == len(answers["1099"].raw)


# ---------------------------------------------------------------------- svcrack and the guard


def svcrack(target: tuple[str, int], user: str, dictionary: Path,
            timeout: float = 90) -> subprocess.CompletedProcess[str]:
    tool = venv_tool("sipvicious_svcrack")
    host, port = target
    # (svcrack 0.3.8 ignores -b: it sends from the address the kernel picks, 127.0.0.1 here)
    return run_tool(tool, "-P", str(free_port()), "-u", user, "-d", str(dictionary),
                    "--maximumtime", "3", f"udp://{host}:{port}", timeout=timeout)


def wait_for(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_svcrack_finds_a_password_early_in_its_dictionary(demo_server: DemoServer,
                                                          tmp_path: Path) -> None:
    """The control: svcrack works against our digest when the guard has no reason to act."""
    password = demo_server.passwords["1002"]
    dictionary = tmp_path / "words.txt"
    dictionary.write_text(f"wrong-1\n{password}\nwrong-3\n")
    result = svcrack(demo_server.addresses["udp"], "1002", dictionary)
    assert password in result.stdout, result.stdout + result.stderr


def test_svcrack_is_blocked_before_it_reaches_the_password(demo_server: DemoServer,
                                                           tmp_path: Path) -> None:
    password = demo_server.passwords["1001"]
    words = [f"wrong-{n}" for n in range(1, 20)] + [password] + [f"wrong-{n}"
                                                                 for n in range(21, 31)]
    dictionary = tmp_path / "words.txt"
    dictionary.write_text("\n".join(words) + "\n")
    assert words.index(password) == 19  # 20th
    result = svcrack(demo_server.addresses["udp"], "1001", dictionary)
    output = result.stdout + result.stderr
    assert password not in output, output
    assert "found nothing" in output, output
    wait_for(lambda: "blocking 127.0.0.1" in demo_server.log_text(), 10, "the block log line")
    log = demo_server.log_text()
    assert log.count("blocking 127.0.0.1") == 1, log
    assert "after 5 failed authentications" in log
    assert demo_server.process.poll() is None

    # The blocked source: even the right password gets no answer at all.
    with SipClient(demo_server.addresses["udp"], "127.0.0.1") as client:
        call_id, _, _ = client.request("REGISTER", "1001")
        assert client.wait(call_id, "REGISTER", timeout=2) is None
        client.request("OPTIONS", "1001", call_id="opt-blocked")
        assert client.wait("opt-blocked", "OPTIONS", timeout=1) is None

    # Another source is unaffected: the same user registers from 127.0.0.2.
    with SipClient(demo_server.addresses["udp"], "127.0.0.2") as client:
        reply = register(client, "1001", password)
        assert reply is not None and reply.status == 200, reply and reply.text
