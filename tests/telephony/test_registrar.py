"""The registrar's RFC 3261 §10.3 rules, on parsed REGISTER requests and a scripted clock."""

from __future__ import annotations

from switchboard.sip import Request, Response, parse_message
from switchboard.telephony.registrar import LocationService, Registrar

SOURCE = ("udp", "127.0.0.1", 5070)


def register(contact: str, *, cseq: int = 1, call_id: str = "reg-1", expires: str | None = None,
             user: str = "1001") -> Request:
    lines = [
        "REGISTER sip:pbx.example SIP/2.0",
        "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-r" + str(cseq),
        f"From: <sip:{user}@pbx.example>;tag=a1",
        f"To: <sip:{user}@pbx.example>",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} REGISTER",
        f"Contact: {contact}",
    ]
    if expires is not None:
        lines.append(f"Expires: {expires}")
    message = parse_message(("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n").encode())
    assert isinstance(message, Request)
    return message


def registrar(location: LocationService) -> Registrar:
    return Registrar(location, authenticate=lambda request, aor: aor,
                     is_known=lambda aor: aor == "1001", min_expires=60)


def test_add_refresh_and_remove_bindings() -> None:
    location = LocationService()
    reg = registrar(location)
    r = reg.handle(register("<sip:1001@10.0.0.5:5060>", expires="300"), SOURCE, 0.0, "t")
    assert r.status_code == 200
    assert r.headers.get_all("Contact") == ["<sip:1001@10.0.0.5:5060>;expires=300"]
    r = reg.handle(register("<sip:1001@10.0.0.6:5060>;expires=120", cseq=1, call_id="other"),
                   SOURCE, 10.0, "t")
    assert len(r.headers.get_all("Contact")) == 2
    assert [b.contact for b in location.lookup("1001", 10.0)] == [
        "sip:1001@10.0.0.5:5060", "sip:1001@10.0.0.6:5060"]
    assert [b.contact for b in location.lookup("1001", 200.0)] == ["sip:1001@10.0.0.5:5060"]
    assert location.sweep(200.0) == 1
    r = reg.handle(register("<sip:1001@10.0.0.5:5060>", cseq=2, expires="0"), SOURCE, 20.0,
                   "t")
    assert r.status_code == 200 and r.headers.get_all("Contact") == []
    assert location.lookup("1001", 20.0) == []


def test_wildcard_too_brief_and_out_of_order() -> None:
    location = LocationService()
    reg = registrar(location)
    reg.handle(register("<sip:1001@10.0.0.5>", cseq=5, expires="300"), SOURCE, 0.0, "t")
    stale = reg.handle(register("<sip:1001@10.0.0.5>", cseq=4, expires="300"), SOURCE, 1.0, "t")
    assert stale.status_code == 500
    brief = reg.handle(register("<sip:1001@10.0.0.7>", cseq=6, expires="10"), SOURCE, 1.0, "t")
    assert brief.status_code == 423 and brief.headers.get("Min-Expires") == "60"
    bad = reg.handle(register("*", cseq=7), SOURCE, 1.0, "t")
    assert bad.status_code == 400 and "Expires: 0" in (bad.headers.get("Warning") or "")
    ok = reg.handle(register("*", cseq=8, expires="0"), SOURCE, 1.0, "t")
    assert ok.status_code == 200 and location.lookup("1001", 1.0) == []


def test_authentication_outcome_is_respected() -> None:
    location = LocationService()
    challenge = Response(status_code=401, reason="Unauthorized")
    reg = Registrar(location, authenticate=lambda request, aor: challenge,
                    is_known=lambda aor: True)
    assert reg.handle(register("<sip:1001@h>"), SOURCE, 0.0, "t") is challenge
    impostor = Registrar(location, authenticate=lambda request, aor: "1002",
                         is_known=lambda aor: True)
    assert impostor.handle(register("<sip:1001@h>"), SOURCE, 0.0, "t").status_code == 403
    assert location.lookup("1001", 0.0) == []
