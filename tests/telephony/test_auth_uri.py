"""The digest-uri must be the Request-URI (RFC 2617 §3.2.2.5, RFC 7616 §3.4.6).

SIPp 3.6.1's ``[authentication]`` computes an INVITE's digest over ``sip:host:port`` (the
server's address) rather than the Request-URI ``sip:number@host:port``. The RFCs tell a server
to check that the two name the same resource, so such credentials are refused: a peer is a
baseline, not an oracle. A digest over the real Request-URI is accepted.
"""

from __future__ import annotations

from switchboard.sip.auth import DigestVerifier, answer_challenge, compute_ha1

REALM = "switchboard"
PASSWORD = "secret-1001"


def lookup(username: str, realm: str, algorithm: str) -> str | None:
    return compute_ha1(username, realm, PASSWORD, algorithm) if username == "1001" else None


def test_digest_over_another_uri_is_refused_and_over_the_request_uri_accepted() -> None:
    verifier = DigestVerifier(realm=REALM, secret=b"0123456789abcdef0123", algorithms=("MD5",))
    request_uri = "sip:15550001234@127.0.0.1:5060"
    for digest_uri, ok in (("sip:127.0.0.1:5060", False), (request_uri, True)):
        challenge = verifier.challenges(100.0)[0]
        credentials = answer_challenge(challenge, username="1001", password=PASSWORD,
                                       method="INVITE", uri=digest_uri, cnonce="c0ffee")
        result = verifier.verify(credentials.serialize(), method="INVITE", uri=request_uri,
                                 now=101.0, lookup_ha1=lookup)
        assert result.ok is ok, digest_uri
