"""Digest authentication tests (RFC 2617, RFC 7616, RFC 8760 as used by RFC 3261 §22.4)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from switchboard.sip.auth import (
    AuthResult,
    Challenge,
    Credentials,
    DigestVerifier,
    answer_challenge,
    choose_challenge,
    compute_ha1,
    digest_response,
    parse_challenge,
    parse_credentials,
)
from switchboard.sip.errors import ParseError
from switchboard.sip.parser import parse_message

SECRET = b"0123456789abcdef-server-secret"
REALM = "switchboard.example"
URI = "sip:registrar.switchboard.example"
PASSWORDS = {"alice": "wonderland", "bob": "builder"}


def lookup(
    calls: list[tuple[str, str, str]] | None = None,
) -> Callable[[str, str, str], str | None]:
    def find(username: str, realm: str, algorithm: str) -> str | None:
        if calls is not None:
            calls.append((username, realm, algorithm))
        password = PASSWORDS.get(username)
        return None if password is None else compute_ha1(username, realm, password, algorithm)

    return find


def counter_bytes() -> Callable[[int], bytes]:
    state = {"n": 0}

    def random_bytes(size: int) -> bytes:
        state["n"] += 1
        return state["n"].to_bytes(size, "big")

    return random_bytes


def make_verifier(algorithms: tuple[str, ...] = ("SHA-256", "MD5")) -> DigestVerifier:
    return DigestVerifier(realm=REALM, secret=SECRET, lifetime=60.0, algorithms=algorithms,
                          random_bytes=counter_bytes())


# ---------------------------------------------------------------------------------------------
# Published test vectors


def test_rfc2617_section_3_5_example() -> None:
    """RFC 2617 §3.5: Mufasa / "Circle Of Life", qop=auth, MD5."""
    ha1 = compute_ha1("Mufasa", "testrealm@host.com", "Circle Of Life")
    response = digest_response(
        ha1=ha1, nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", method="GET",
        uri="/dir/index.html", qop="auth", nc="00000001", cnonce="0a4f113b",
    )
    assert response == "6629fae49393a05397450978507c4ef1"
    # The Authorization header printed in RFC 2617 §3.5 parses to the same values.
    creds = parse_credentials(
        'Digest username="Mufasa", realm="testrealm@host.com", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, '
        'nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", '
        'opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )
    assert creds.response == response
    assert creds.opaque == "5ccc069c403ebaf9f0171e9517f40e41"
    challenge = parse_challenge(
        'Digest realm="testrealm@host.com", qop="auth,auth-int", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )
    answered = answer_challenge(challenge, username="Mufasa", password="Circle Of Life",
                                method="GET", uri="/dir/index.html", cnonce="0a4f113b")
    assert answered.response == "6629fae49393a05397450978507c4ef1"
    assert answered.opaque == "5ccc069c403ebaf9f0171e9517f40e41"


RFC7616_NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
RFC7616_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_rfc7616_section_3_9_1_example(algorithm: str, expected: str) -> None:
    """RFC 7616 §3.9.1: Mufasa / "Circle of Life" at http-auth@example.org."""
    challenge = parse_challenge(
        f'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={algorithm}, '
        f'nonce="{RFC7616_NONCE}", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
    )
    assert challenge.qop == ("auth", "auth-int")
    creds = answer_challenge(challenge, username="Mufasa", password="Circle of Life",
                             method="GET", uri="/dir/index.html", cnonce=RFC7616_CNONCE)
    assert creds.nc == "00000001"
    assert creds.response == expected
    assert parse_credentials(creds.serialize()) == creds


def test_sess_variant_hashes_the_nonces_into_ha1() -> None:
    plain = compute_ha1("u", "r", "p", "SHA-256")
    sess = digest_response(ha1=plain, nonce="n", method="INVITE", uri="sip:x", qop="auth",
                           nc="00000001", cnonce="c", algorithm="SHA-256-sess")
    assert sess != digest_response(ha1=plain, nonce="n", method="INVITE", uri="sip:x",
                                   qop="auth", nc="00000001", cnonce="c", algorithm="SHA-256")


# ---------------------------------------------------------------------------------------------
# Header parsing


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("NoOneKnowsThisScheme opaque-data=here", "unsupported authentication scheme"),
        ('Digest realm="r"', "missing nonce"),
        ('Digest realm="r", realm="s", nonce="n"', "appears twice"),
        ('Digest realm="r, nonce="n"', "unexpected"),
        ("Digest", "whitespace"),
    ],
)
def test_malformed_challenges(value: str, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_challenge(value)
    assert fragment in info.value.message


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ('Digest username="a", realm="r", nonce="n", uri="u", response="x", qop=auth',
         "requires nc and cnonce"),
        ('Digest username="a", realm="r", nonce="n", uri="u", response="x", qop=auth, '
         'nc=1, cnonce="c"', "8 hex digits"),
        ('Digest realm="r", nonce="n", uri="u", response="x"', "missing username"),
    ],
)
def test_malformed_credentials(value: str, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_credentials(value)
    assert fragment in info.value.message


def test_choose_challenge_prefers_sha256() -> None:
    md5 = Challenge(realm="r", nonce="n", algorithm="MD5")
    sha = Challenge(realm="r", nonce="n", algorithm="SHA-256")
    assert choose_challenge([md5, sha]) is sha
    with pytest.raises(ParseError, match="SHA-512-256"):
        choose_challenge([Challenge(realm="r", nonce="n", algorithm="SHA-512-256")])


# ---------------------------------------------------------------------------------------------
# Server verification


def answer(verifier: DigestVerifier, now: float, *, username: str = "alice",
           password: str = "wonderland", algorithm: str = "SHA-256", nc: int = 1,
           uri: str = URI) -> Credentials:
    challenges = [parse_challenge(v) for _, v in verifier.challenge_headers(now)]
    challenge = next(c for c in challenges if c.algorithm == algorithm)
    return answer_challenge(challenge, username=username, password=password,
                            method="REGISTER", uri=uri, cnonce="cn0nce", nc=nc)


def test_challenge_headers_list_sha256_first_with_one_nonce() -> None:
    verifier = make_verifier()
    headers = verifier.challenge_headers(1000.0)
    assert [name for name, _ in headers] == ["WWW-Authenticate", "WWW-Authenticate"]
    challenges = [parse_challenge(v) for _, v in headers]
    assert [c.algorithm for c in challenges] == ["SHA-256", "MD5"]
    assert challenges[0].nonce == challenges[1].nonce
    assert challenges[0].qop == ("auth",)
    proxy = verifier.challenge_headers(1000.0, proxy=True, stale=True)
    assert proxy[0][0] == "Proxy-Authenticate"
    assert parse_challenge(proxy[0][1]).stale is True
    assert verifier.nonce_issued_at(challenges[0].nonce) == 1000.0


@pytest.mark.parametrize("algorithm", ["SHA-256", "MD5"])
def test_valid_credentials_are_accepted(algorithm: str) -> None:
    verifier = make_verifier()
    creds = answer(verifier, 1000.0, algorithm=algorithm)
    result = verifier.verify(creds.serialize(), method="REGISTER", uri=URI, now=1010.0,
                             lookup_ha1=lookup())
    assert result == AuthResult(ok=True, username="alice")


def test_unknown_user_and_wrong_password_fail_identically_and_both_compute() -> None:
    verifier = make_verifier()
    calls: list[tuple[str, str, str]] = []
    wrong = verifier.verify(answer(verifier, 1000.0, password="nope"), method="REGISTER",
                            uri=URI, now=1001.0, lookup_ha1=lookup(calls))
    unknown = verifier.verify(answer(verifier, 1000.0, username="mallory"),
                              method="REGISTER", uri=URI, now=1001.0, lookup_ha1=lookup(calls))
    assert wrong == unknown == AuthResult(ok=False)
    # Both paths asked the store and went on to compute the digest (unknown against a dummy).
    assert calls == [("alice", REALM, "SHA-256"), ("mallory", REALM, "SHA-256")]


def test_expired_nonce_with_right_password_is_stale() -> None:
    verifier = make_verifier()
    creds = answer(verifier, 1000.0)
    stale = verifier.verify(creds, method="REGISTER", uri=URI, now=1061.0, lookup_ha1=lookup())
    assert stale == AuthResult(ok=False, stale=True)
    wrong = answer(verifier, 1000.0, password="nope")
    assert verifier.verify(wrong, method="REGISTER", uri=URI, now=1061.0,
                           lookup_ha1=lookup()) == AuthResult(ok=False)


def test_nonce_count_replay_is_refused() -> None:
    verifier = make_verifier()
    first = answer(verifier, 1000.0, nc=1)
    ok = verifier.verify(first, method="REGISTER", uri=URI, now=1001.0, lookup_ha1=lookup())
    assert ok.ok
    replay = verifier.verify(first, method="REGISTER", uri=URI, now=1002.0, lookup_ha1=lookup())
    assert replay == AuthResult(ok=False)
    second = answer_challenge(
        Challenge(realm=REALM, nonce=first.nonce, algorithm="SHA-256"), username="alice",
        password="wonderland", method="REGISTER", uri=URI, cnonce="other", nc=2)
    assert verifier.verify(second, method="REGISTER", uri=URI, now=1003.0,
                           lookup_ha1=lookup()).ok


@pytest.mark.parametrize("change", ["nonce", "uri", "realm", "algorithm", "qop"])
def test_tampered_credentials_fail(change: str) -> None:
    verifier = make_verifier(algorithms=("SHA-256",))
    creds = answer(verifier, 1000.0)
    other = DigestVerifier(realm=REALM, secret=b"another-secret-of-16+", lifetime=60.0)
    fields = {
        "nonce": {"nonce": other.make_nonce(1000.0)},
        "uri": {"uri": "sip:elsewhere.example"},
        "realm": {"realm": "other.example"},
        "algorithm": {"algorithm": "MD5"},
        "qop": {"qop": "auth-int"},
    }[change]
    tampered = replace(creds, **fields)
    result = verifier.verify(tampered, method="REGISTER", uri=URI, now=1001.0,
                             lookup_ha1=lookup())
    assert result == AuthResult(ok=False)


def test_garbage_and_future_nonces_fail() -> None:
    verifier = make_verifier()
    for nonce in ["not base64 !!", "AAAA", verifier.make_nonce(5000.0)]:
        creds = answer_challenge(Challenge(realm=REALM, nonce=nonce, algorithm="SHA-256"),
                                 username="alice", password="wonderland", method="REGISTER",
                                 uri=URI, cnonce="c")
        assert verifier.verify(creds, method="REGISTER", uri=URI, now=1000.0,
                               lookup_ha1=lookup()) == AuthResult(ok=False)


def test_rfc2069_credentials_without_qop() -> None:
    legacy = make_verifier()
    challenge = Challenge(realm=REALM, nonce=legacy.make_nonce(1000.0), algorithm="MD5", qop=())
    creds = answer_challenge(challenge, username="bob", password="builder", method="REGISTER",
                             uri=URI, cnonce="unused")
    assert creds.qop is None and creds.nc is None and creds.cnonce is None
    assert legacy.verify(creds, method="REGISTER", uri=URI, now=1001.0,
                         lookup_ha1=lookup()).ok
    strict = DigestVerifier(realm=REALM, secret=SECRET, allow_rfc2069=False)
    assert not strict.verify(creds, method="REGISTER", uri=URI, now=1001.0,
                             lookup_ha1=lookup()).ok


def test_rfc4475_regaut01_unknown_scheme_gets_a_fresh_challenge() -> None:
    """RFC 4475 §3.3.7: a registrar that authenticates answers 401 with a new challenge."""
    data = (Path(__file__).parent.parent / "data" / "sip" / "rfc4475" / "regaut01.dat")
    request = parse_message(data.read_bytes())
    value = request.headers.get("Authorization")
    assert value is not None
    with pytest.raises(ParseError, match="NoOneKnowsThisScheme"):
        parse_credentials(value)
    verifier = make_verifier()
    result = verifier.verify(value, method="REGISTER", uri="sip:example.com", now=1.0,
                             lookup_ha1=lookup())
    assert result == AuthResult(ok=False)
    assert verifier.challenge_headers(1.0)[0][0] == "WWW-Authenticate"


def test_verifier_refuses_short_secrets_and_unknown_algorithms() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        DigestVerifier(realm=REALM, secret=b"short")
    with pytest.raises(ParseError, match="SHA-1"):
        DigestVerifier(realm=REALM, secret=SECRET, algorithms=("SHA-1",))
