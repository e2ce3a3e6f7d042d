"""URI and name-addr codec tests (RFC 3261 §19.1, §20.10, §25.1; RFC 3966)."""

from __future__ import annotations

import pytest

from switchboard.sip.errors import ParseError
from switchboard.sip.uri import (
    AbsoluteURI,
    NameAddress,
    SipURI,
    TelURI,
    parse_name_addr,
    parse_uri,
)


def test_full_sip_uri_parses_every_component() -> None:
    uri = parse_uri("sips:alice:secret@Example.COM:5061;transport=tls;lr;maddr=239.255.255.1?"
                    "subject=project%20x&priority=urgent")
    assert uri == SipURI(
        scheme="sips",
        user="alice",
        password="secret",
        host="Example.COM",
        port=5061,
        params=(("transport", "tls"), ("lr", None), ("maddr", "239.255.255.1")),
        headers=(("subject", "project x"), ("priority", "urgent")),
    )
    assert isinstance(uri, SipURI)
    assert uri.transport == "tls"
    assert uri.lr is True
    assert uri.maddr == "239.255.255.1"
    assert uri.host_port == "Example.COM:5061"


def test_ipv6_reference_with_port() -> None:
    uri = SipURI.parse("sip:bob@[2001:db8::10]:5070;transport=udp")
    assert uri.host == "[2001:db8::10]"
    assert uri.port == 5070
    assert uri.serialize() == "sip:bob@[2001:db8::10]:5070;transport=udp"


def test_ipv6_without_port() -> None:
    uri = SipURI.parse("sip:[::1]")
    assert (uri.host, uri.port, uri.user) == ("[::1]", None, None)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("sip:[2001:db8::zz]", "IPv6"),
        ("sip:[2001:db8::1", "']'"),
        ("sip:host:99999", "port"),
        ("sip:host:", "port"),
        ("sip:@host", "empty user"),
        ("sip:us er@host", "' '"),
        ("sip:user@host;=x", "uri-parameter"),
        ("sip:user@host;lr=", "no value"),
        ("sip:user@host?noequals", "URI header"),
        ("sip:user@-bad-.example.com", "host name"),
        ("sip:user@300.1.1.1", "IPv4"),
        ("sip:user@host;a=%zz", "%-escape"),
        ("nocolon", "no valid scheme"),
        ("1sip:x", "no valid scheme"),
        ("tel:12345", "phone-context"),
        ("tel:+", "telephone number"),
        ("http:", "empty"),
    ],
)
def test_malformed_uris_raise_precise_parse_errors(text: str, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_uri(text)
    assert fragment in info.value.message
    assert info.value.status_code == 400


def test_escapes_are_decoded_and_reencoded_canonically() -> None:
    uri = SipURI.parse("sip:%75se%72@example.com;n%61me=v%61lue%25%34%31")
    assert uri.user == "user"
    assert uri.params == (("name", "value%41"),)
    assert uri.serialize() == "sip:user@example.com;name=value%2541"


def test_escaped_null_is_not_a_terminator() -> None:
    uri = SipURI.parse("sip:null-%00-null@example.com")
    assert uri.user == "null-\x00-null"
    assert uri.serialize() == "sip:null-%00-null@example.com"


def test_non_utf8_escapes_round_trip() -> None:
    uri = SipURI.parse("sip:%FF%FE@example.com")
    assert parse_uri(uri.serialize()) == uri
    assert uri.serialize() == "sip:%FF%FE@example.com"


def test_user_part_may_hold_semicolons_and_question_marks() -> None:
    uri = SipURI.parse("sip:user;par=u%40example.net@example.com")
    assert uri.user == "user;par=u@example.net"
    assert uri.params == ()


def test_equivalence_rules_of_rfc3261_19_1_4() -> None:
    a = SipURI.parse("sip:carol@chicago.com;security=on")
    assert a.equivalent(SipURI.parse("sip:carol@CHICAGO.com;newparam=5"))
    assert not a.equivalent(SipURI.parse("sip:carol@chicago.com;security=off"))
    assert not SipURI.parse("sip:bob@biloxi.com").equivalent(
        SipURI.parse("sip:bob@biloxi.com;transport=udp")
    )
    assert not SipURI.parse("sip:ALICE@atlanta.com").equivalent(
        SipURI.parse("sip:alice@atlanta.com")
    )


def test_tel_uri() -> None:
    uri = parse_uri("tel:+1-201-555-0123;ext=1234")
    assert uri == TelURI(number="+1-201-555-0123", params=(("ext", "1234"),))
    assert isinstance(uri, TelURI) and uri.is_global
    local = parse_uri("tel:7042;phone-context=example.com")
    assert isinstance(local, TelURI)
    assert local.param("phone-context") == "example.com"
    assert local.serialize() == "tel:7042;phone-context=example.com"


def test_unknown_scheme_is_kept_opaque() -> None:
    assert parse_uri("soap.beep://192.0.2.103:3002") == AbsoluteURI("soap.beep",
                                                                    "//192.0.2.103:3002")
    assert parse_uri("ISBN:2983792873").serialize() == "isbn:2983792873"


def test_name_addr_with_quoted_display_name_and_escapes() -> None:
    addr = parse_name_addr('"J Rosenberg \\\\\\"" <sip:jdrosen@example.com> ; tag = 98asjd8')
    assert addr.display_name == 'J Rosenberg \\"'
    assert addr.tag == "98asjd8"
    assert addr.serialize() == '"J Rosenberg \\\\\\"" <sip:jdrosen@example.com>;tag=98asjd8'
    assert parse_name_addr(addr.serialize()) == addr


def test_token_display_name_without_space_before_bracket() -> None:
    addr = parse_name_addr("caller<sip:caller@example.com>;tag=323")
    assert addr.display_name == "caller"
    assert addr.tag == "323"


def test_token_display_name_of_several_words() -> None:
    addr = parse_name_addr("A. Bell <sip:a.g.bell@example.com>")
    assert addr.display_name == "A. Bell"


def test_addr_spec_parameters_belong_to_the_header() -> None:
    addr = parse_name_addr("sip:+19725552222@gw1.example.net;unknownparam")
    assert isinstance(addr.uri, SipURI)
    assert addr.uri.params == ()
    assert addr.params == (("unknownparam", None),)
    bracketed = parse_name_addr("<sip:+19725552222@gw1.example.net;unknownparam>")
    assert isinstance(bracketed.uri, SipURI)
    assert bracketed.uri.params == (("unknownparam", None),)
    assert bracketed.params == ()


def test_quoted_parameter_values_are_kept_verbatim() -> None:
    addr = parse_name_addr('<sip:a@b.example>;x="a;b\\"c"')
    assert addr.param("x") == '"a;b\\"c"'
    assert parse_name_addr(addr.serialize()) == addr


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('"unterminated <sip:a@b.example>', "unterminated quoted string"),
        ("< sip:a@b.example >", "whitespace"),
        ("Bell, Alexander <sip:a@b.example>", "display name"),
        ("sip:a@b.example?x=y", "enclosed in <>"),
        ("<sip:a@b.example", "'>'"),
        ("<sip:a@b.example>;;", "parameter name"),
        ("<sip:a@b.example> junk", "unexpected"),
        ('"name" sip:a@b.example', "followed by <URI>"),
        ("", "missing URI"),
    ],
)
def test_malformed_name_addr(text: str, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_name_addr(text, "To")
    assert fragment in info.value.message
    assert "To" in info.value.message


def test_display_name_with_cr_cannot_be_serialized() -> None:
    addr = NameAddress(uri=SipURI(host="example.com"), display_name="a\rb")
    with pytest.raises(ValueError, match="CR or LF"):
        addr.serialize()


def test_with_param_replaces_case_insensitively() -> None:
    addr = parse_name_addr("<sip:a@b.example>;TAG=1;x")
    assert addr.with_param("tag", "2").params == (("x", None), ("tag", "2"))
