"""Behaviour of the public API: Credentials, SigningSettings, Signer, S3Presigner.

Every test goes through ``import fastsigv4`` only; the conftest runs each one on both
core twins. Expected hashes and signatures are recomputed here with hashlib/hmac, so a
result is checked against an independent derivation, not against itself.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import hmac
import pickle
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastsigv4
from fastsigv4 import (
    DEFAULT_SETTINGS,
    EMPTY_SHA256,
    S3_SETTINGS,
    UNSIGNED_PAYLOAD,
    Credentials,
    InvalidRequestError,
    PresignedRequest,
    S3Presigner,
    SignedRequest,
    Signer,
    SigningSettings,
    SigV4Error,
    settings_for_service,
)

ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
# '/', '+' and '=' make the URI-encoded form differ from the raw one.
TOKEN = "FwoGZXIvYXdzEBYaDH+session/token=="
TOKEN_ENCODED = "FwoGZXIvYXdzEBYaDH%2Bsession%2Ftoken%3D%3D"
REGION = "us-east-1"
AMZ_DATE = "20150830T123600Z"
SIGNING_TIME = datetime(2015, 8, 30, 12, 36, 0, tzinfo=timezone.utc)

CREDS = Credentials(ACCESS_KEY, SECRET)
CREDS_TOKEN = Credentials(ACCESS_KEY, SECRET, TOKEN)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def expected_signature(string_to_sign: str, date: str, region: str, service: str) -> str:
    key = hmac.new(("AWS4" + SECRET).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def assert_self_consistent(
    result: SignedRequest | PresignedRequest, service: str, amz_date: str = AMZ_DATE
) -> None:
    """string_to_sign derives from canonical_request, signature from string_to_sign."""
    scope = f"{amz_date[:8]}/{REGION}/{service}/aws4_request"
    assert result.string_to_sign == (
        f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n"
        + sha256_hex(result.canonical_request.encode("utf-8"))
    )
    assert result.signature == expected_signature(
        result.string_to_sign, amz_date[:8], REGION, service
    )


def cr_lines(result: SignedRequest | PresignedRequest) -> list[str]:
    return result.canonical_request.split("\n")


def signed_header_names(result: SignedRequest | PresignedRequest) -> list[str]:
    return cr_lines(result)[-2].split(";")


def header_block(result: SignedRequest | PresignedRequest) -> list[str]:
    """The canonical header lines (between the query line and the blank line)."""
    lines = cr_lines(result)
    return lines[3 : lines.index("", 3)]


def invalid(match: str) -> Any:
    return pytest.raises(InvalidRequestError, match=match)


# -- errors ------------------------------------------------------------------------


def test_error_hierarchy() -> None:
    assert issubclass(InvalidRequestError, SigV4Error)
    assert issubclass(InvalidRequestError, ValueError)
    assert issubclass(SigV4Error, Exception)
    assert not issubclass(SigV4Error, ValueError)


# -- Credentials -------------------------------------------------------------------


def test_credentials_repr_and_str_redact_secret_and_token() -> None:
    expiration = datetime(2030, 1, 1, tzinfo=timezone.utc)
    creds = Credentials(ACCESS_KEY, SECRET, TOKEN, expiration)
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert SECRET not in text
        assert TOKEN not in text
        assert TOKEN_ENCODED not in text
        assert "<redacted>" in text
        assert ACCESS_KEY in text
    assert repr(creds) == (
        "Credentials(access_key_id='AKIDEXAMPLE', secret_access_key='<redacted>', "
        "session_token='<redacted>', expiration=" + repr(expiration) + ")"
    )
    assert "session_token=None" in repr(CREDS)


def test_credentials_are_frozen_values() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        CREDS.secret_access_key = "other"  # type: ignore[misc]
    assert Credentials(ACCESS_KEY, SECRET) == CREDS
    assert Credentials(ACCESS_KEY, SECRET, TOKEN) != CREDS


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"access_key_id": "", "secret_access_key": SECRET}, "access_key_id"),
        ({"access_key_id": "AKID/X", "secret_access_key": SECRET}, "access_key_id"),
        ({"access_key_id": "AKID X", "secret_access_key": SECRET}, "access_key_id"),
        ({"access_key_id": "AKID,", "secret_access_key": SECRET}, "access_key_id"),
        ({"access_key_id": "AKID\n", "secret_access_key": SECRET}, "access_key_id"),
        ({"access_key_id": ACCESS_KEY, "secret_access_key": ""}, "secret_access_key"),
        (
            {"access_key_id": ACCESS_KEY, "secret_access_key": SECRET, "session_token": ""},
            "session_token",
        ),
        (
            {
                "access_key_id": ACCESS_KEY,
                "secret_access_key": SECRET,
                "expiration": datetime(2030, 1, 1),
            },
            "expiration",
        ),
        (
            {
                "access_key_id": ACCESS_KEY,
                "secret_access_key": SECRET,
                "expiration": "2030-01-01T00:00:00Z",
            },
            "expiration",
        ),
    ],
)
def test_credentials_validation(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        Credentials(**kwargs)
    assert isinstance(caught.value, SigV4Error)
    message = str(caught.value)
    assert fragment in message
    assert SECRET not in message
    assert TOKEN not in message


@settings(max_examples=300, deadline=None)
@given(
    secret=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789+/", min_size=16),
    token=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=", min_size=16),
)
def test_credentials_repr_never_contains_arbitrary_secret(secret: str, token: str) -> None:
    creds = Credentials("AKID", secret, token)
    assert secret not in repr(creds)
    assert token not in repr(creds)
    signed = Signer(creds, REGION, "s3").sign("GET", "https://h/k", timestamp=AMZ_DATE)
    presigned = Signer(creds, REGION, "s3").presign("GET", "https://h/k", timestamp=AMZ_DATE)
    for text in (repr(signed), repr(presigned)):
        assert secret not in text
        assert token not in text
        assert quote(token, safe="-_.~") not in text


# -- reprs of results and signers ---------------------------------------------------


@pytest.mark.parametrize("mode", ["include", "append_after_signing"])
@pytest.mark.parametrize("service", ["s3", "sts"])
def test_result_reprs_never_show_token_or_secret(mode: str, service: str) -> None:
    base = settings_for_service(service)
    signer = Signer(
        CREDS_TOKEN, REGION, service, settings=dataclasses.replace(base, session_token_mode=mode)
    )
    signed = signer.sign("GET", "https://h.example/k", timestamp=AMZ_DATE)
    presigned = signer.presign("GET", "https://h.example/k", timestamp=AMZ_DATE)
    # The token is really in there: the reprs redact it, the values do not.
    assert ("X-Amz-Security-Token", TOKEN) in signed.headers
    assert "X-Amz-Security-Token=" + TOKEN_ENCODED in presigned.url
    for text in (repr(signed), repr(presigned), str(signed), str(presigned)):
        assert TOKEN not in text
        assert TOKEN_ENCODED not in text
        assert SECRET not in text
        assert "<redacted>" in text
    assert signed.signature in repr(signed)
    assert presigned.signature in repr(presigned)


@pytest.mark.parametrize("token", ["abc\\def/ghi==", "abc'def\"ghi"])
def test_signed_request_repr_redacts_token_with_escaped_characters(token: str) -> None:
    signed = Signer(Credentials(ACCESS_KEY, SECRET, token), REGION, "sts").sign(
        "GET", "https://h.example/", timestamp=AMZ_DATE
    )
    text = repr(signed)
    assert token not in text
    assert repr(token)[1:-1] not in text


def test_signer_presigner_and_signing_key_reprs_never_show_secret() -> None:
    signer = Signer(CREDS_TOKEN, REGION, "s3")
    presigner = S3Presigner(CREDS_TOKEN, REGION, "my-bucket", timestamp=AMZ_DATE)
    key = fastsigv4._core.signing_key(ACCESS_KEY, SECRET, "20150830", REGION, "s3")
    for text in (repr(signer), repr(presigner), repr(key), str(key)):
        assert SECRET not in text
        assert TOKEN not in text
    assert ACCESS_KEY in repr(signer)
    assert "service='s3'" in repr(signer)
    assert "https://my-bucket.s3.us-east-1.amazonaws.com/" in repr(presigner)


# -- SigningSettings -----------------------------------------------------------------


def test_signing_settings_are_frozen() -> None:
    custom = SigningSettings(max_expires=10)
    for name, value in (
        ("double_uri_encode", False),
        ("max_expires", 20),
        ("excluded_headers", frozenset()),
        ("session_token_mode", "append_after_signing"),
    ):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(custom, name, value)
    assert custom.max_expires == 10


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"double_uri_encode": 1}, "double_uri_encode"),
        ({"normalize_path": "yes"}, "normalize_path"),
        ({"add_content_sha256_header": None}, "add_content_sha256_header"),
        ({"presign_unsigned_payload": 0}, "presign_unsigned_payload"),
        ({"session_token_mode": "exclude"}, "session_token_mode"),
        ({"max_expires": 0}, "max_expires"),
        ({"max_expires": -5}, "max_expires"),
        ({"max_expires": True}, "max_expires"),
        ({"max_expires": 1.5}, "max_expires"),
        ({"excluded_headers": "user-agent"}, "excluded_headers"),
        ({"excluded_headers": {"User-Agent"}}, "lowercase"),
        ({"excluded_headers": {""}}, "excluded_headers"),
        ({"excluded_headers": {1}}, "excluded_headers"),
        ({"excluded_headers": {"host"}}, "host"),
        ({"excluded_headers": {"host*"}}, "host"),
        ({"excluded_headers": {"authorization"}}, "authorization"),
        ({"excluded_headers": {"*"}}, "'\\*'"),
    ],
)
def test_signing_settings_validation(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidRequestError, match=fragment):
        SigningSettings(**kwargs)


@pytest.mark.parametrize("service", ["s3", "s3-object-lambda", "s3-outposts", "s3express"])
def test_s3_family_presets(service: str) -> None:
    assert settings_for_service(service) is S3_SETTINGS
    assert Signer(CREDS, REGION, service).settings is S3_SETTINGS


@pytest.mark.parametrize("service", ["sqs", "execute-api", "es", "S3", "s3-control", "sts"])
def test_other_services_use_default_rules(service: str) -> None:
    assert settings_for_service(service) is DEFAULT_SETTINGS
    assert Signer(CREDS, REGION, service).settings is DEFAULT_SETTINGS


def test_preset_values() -> None:
    assert (
        S3_SETTINGS.double_uri_encode,
        S3_SETTINGS.normalize_path,
        S3_SETTINGS.add_content_sha256_header,
        S3_SETTINGS.presign_unsigned_payload,
        S3_SETTINGS.session_token_mode,
        S3_SETTINGS.max_expires,
    ) == (False, False, True, True, "include", 604800)
    assert (
        DEFAULT_SETTINGS.double_uri_encode,
        DEFAULT_SETTINGS.normalize_path,
        DEFAULT_SETTINGS.add_content_sha256_header,
        DEFAULT_SETTINGS.presign_unsigned_payload,
        DEFAULT_SETTINGS.session_token_mode,
        DEFAULT_SETTINGS.max_expires,
    ) == (True, True, False, False, "include", 604800)
    assert DEFAULT_SETTINGS.excluded_headers == fastsigv4.DEFAULT_EXCLUDED_HEADERS


def test_service_preset_changes_the_canonical_path() -> None:
    url = "https://h.example/a%20b//./c"
    s3 = Signer(CREDS, REGION, "s3").sign("GET", url, timestamp=AMZ_DATE)
    sqs = Signer(CREDS, REGION, "sqs").sign("GET", url, timestamp=AMZ_DATE)
    assert cr_lines(s3)[1] == "/a%20b//./c"
    assert cr_lines(sqs)[1] == "/a%2520b/c"


def test_default_excluded_headers_are_sent_but_not_signed() -> None:
    headers = [
        ("Proxy-Authorization", "Basic eDp5"),
        ("X-Forwarded-For", "10.0.0.1"),
        ("X-Forwarded-Proto", "https"),
        ("User-Agent", "curl/8"),
        ("Connection", "keep-alive"),
        ("Expect", "100-continue"),
        ("Via", "1.1 proxy"),
        ("X-Amzn-Trace-Id", "Root=1"),
        ("X-Amz-Meta-A", "1"),
        ("Content-Type", "text/plain"),
        ("X-Forwarded", "kept: not a prefix match of 'x-forwarded-'"),
    ]
    signed = Signer(CREDS, REGION, "sqs").sign(
        "PUT", "https://h.example/", headers, timestamp=AMZ_DATE
    )
    assert signed_header_names(signed) == [
        "content-type",
        "host",
        "x-amz-date",
        "x-amz-meta-a",
        "x-forwarded",
    ]
    sent = list(signed.headers)
    for pair in headers:
        assert pair in sent  # every caller header is still sent
    assert_self_consistent(signed, "sqs")


def test_custom_excluded_headers() -> None:
    custom = SigningSettings(excluded_headers=frozenset({"x-debug", "x-trace-*"}))
    signed = Signer(CREDS, REGION, "sqs", settings=custom).sign(
        "GET",
        "https://h.example/",
        {"X-Debug": "1", "X-Trace-Span": "2", "X-Tracer": "3", "User-Agent": "ua"},
        timestamp=AMZ_DATE,
    )
    # user-agent is no longer excluded: the custom set replaces the default one.
    assert signed_header_names(signed) == ["host", "user-agent", "x-amz-date", "x-tracer"]


@pytest.mark.parametrize("entry", ["h*", "hos*"])
def test_prefix_exclusion_never_unsigns_host(entry: str) -> None:
    try:
        custom = SigningSettings(excluded_headers=frozenset({entry}))
    except InvalidRequestError:
        return  # rejecting the entry is a fix too
    signed = Signer(CREDS, REGION, "sqs", settings=custom).sign(
        "GET", "https://h.example/", {"Host": "h.example"}, timestamp=AMZ_DATE
    )
    assert "host" in signed_header_names(signed)


# -- Signer.sign: host ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "host", "sent_url"),
    [
        ("http://h.example:80/", "h.example", "http://h.example/"),
        ("https://h.example:443/", "h.example", "https://h.example/"),
        ("https://h.example:8443/", "h.example:8443", "https://h.example:8443/"),
        ("http://h.example:443/", "h.example:443", "http://h.example:443/"),
        ("https://h.example:80/", "h.example:80", "https://h.example:80/"),
        ("http://[::1]:9000/", "[::1]:9000", "http://[::1]:9000/"),
        ("http://[::1]:80/", "[::1]", "http://[::1]/"),
        ("HTTPS://H.Example.COM:443/x", "h.example.com", "https://h.example.com/x"),
        ("https://user:pw@h.example/x", "h.example", "https://user:pw@h.example/x"),
        ("https://h.example", "h.example", "https://h.example/"),
        ("https://h.example?x=1", "h.example", "https://h.example/?x=1"),
    ],
)
def test_host_is_derived_from_url(url: str, host: str, sent_url: str) -> None:
    signed = Signer(CREDS, REGION, "s3").sign("GET", url, timestamp=AMZ_DATE)
    assert signed.headers[0] == ("Host", host)
    assert "host:" + host in header_block(signed)
    assert signed.url == sent_url
    assert "user" not in signed.headers[0][1]
    assert_self_consistent(signed, "s3")


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://h.example:080/", "h.example"),
        ("https://h.example:0443/", "h.example"),
        ("https://h.example:08443/", "h.example:8443"),
    ],
)
def test_port_with_leading_zeros_is_compared_as_a_number(url: str, host: str) -> None:
    signed = Signer(CREDS, REGION, "s3").sign("GET", url, timestamp=AMZ_DATE)
    assert "host:" + host in header_block(signed)


def test_explicit_host_header_wins() -> None:
    signed = Signer(CREDS, REGION, "s3").sign(
        "GET", "http://127.0.0.1:9000/b/k", {"Host": "Public.Example.com"}, timestamp=AMZ_DATE
    )
    assert "host:Public.Example.com" in header_block(signed)
    assert [name for name, _ in signed.headers].count("Host") == 1
    assert signed.headers[0] == ("Host", "Public.Example.com")
    assert signed.url == "http://127.0.0.1:9000/b/k"


# -- Signer.sign: headers -------------------------------------------------------------


def test_headers_as_mapping_and_as_pairs() -> None:
    signer = Signer(CREDS, REGION, "sqs")
    url = "https://h.example/"
    from_mapping = signer.sign(
        "GET", url, {"X-B": " 2  3 ", "x-a": "1", "Content-Type": "a/b"}, timestamp=AMZ_DATE
    )
    from_pairs = signer.sign(
        "GET", url, [("x-a", "1"), ("X-B", " 2  3 "), ("Content-Type", "a/b")], timestamp=AMZ_DATE
    )
    assert header_block(from_mapping) == [
        "content-type:a/b",
        "host:h.example",
        "x-a:1",
        "x-amz-date:" + AMZ_DATE,
        "x-b:2 3",
    ]
    assert from_mapping.canonical_request == from_pairs.canonical_request
    assert from_mapping.signature == from_pairs.signature


def test_duplicate_headers_in_pairs_join_in_original_order() -> None:
    signed = Signer(CREDS, REGION, "sqs").sign(
        "GET",
        "https://h.example/",
        [("X-Dup", "b"), ("X-Other", "o"), ("x-dup", "  a "), ("X-DUP", "c")],
        timestamp=AMZ_DATE,
    )
    assert "x-dup:b,a,c" in header_block(signed)
    assert signed_header_names(signed) == ["host", "x-amz-date", "x-dup", "x-other"]
    # All three are sent, as given.
    assert [pair for pair in signed.headers if pair[0].lower() == "x-dup"] == [
        ("X-Dup", "b"),
        ("x-dup", "  a "),
        ("X-DUP", "c"),
    ]


def test_callers_headers_are_not_mutated() -> None:
    mapping = {"Content-Type": "text/plain", "X-Amz-Meta-A": "1"}
    pairs = [("Content-Type", "text/plain"), ("X-Amz-Meta-A", "1")]
    mapping_before, pairs_before = copy.deepcopy(mapping), copy.deepcopy(pairs)
    signer = Signer(CREDS_TOKEN, REGION, "s3")
    for headers in (mapping, pairs):
        signer.sign("PUT", "https://h.example/k", headers, b"x", timestamp=AMZ_DATE)
        signer.presign("PUT", "https://h.example/k", headers=headers, timestamp=AMZ_DATE)
    assert mapping == mapping_before
    assert list(mapping) == list(mapping_before)
    assert pairs == pairs_before


def test_s3_headers_are_exactly_caller_host_token_date_sha_authorization() -> None:
    signed = Signer(CREDS_TOKEN, REGION, "s3").sign(
        "PUT",
        "https://b.s3.us-east-1.amazonaws.com/k",
        [("Content-Type", "text/plain"), ("X-Amz-Meta-A", "1")],
        b"hello",
        timestamp=AMZ_DATE,
    )
    body_hash = sha256_hex(b"hello")
    signed_names = (
        "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-a;x-amz-security-token"
    )
    assert signed.headers == (
        ("Host", "b.s3.us-east-1.amazonaws.com"),
        ("Content-Type", "text/plain"),
        ("X-Amz-Meta-A", "1"),
        ("X-Amz-Security-Token", TOKEN),
        ("X-Amz-Date", AMZ_DATE),
        ("X-Amz-Content-SHA256", body_hash),
        (
            "Authorization",
            f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20150830/{REGION}/s3/aws4_request, "
            f"SignedHeaders={signed_names}, Signature={signed.signature}",
        ),
    )
    assert signed.canonical_request == "\n".join(
        [
            "PUT",
            "/k",
            "",
            "content-type:text/plain",
            "host:b.s3.us-east-1.amazonaws.com",
            "x-amz-content-sha256:" + body_hash,
            "x-amz-date:" + AMZ_DATE,
            "x-amz-meta-a:1",
            "x-amz-security-token:" + TOKEN,
            "",
            signed_names,
            body_hash,
        ]
    )
    assert signed.method == "PUT"
    assert_self_consistent(signed, "s3")


def test_default_rules_headers_without_token_or_content_sha() -> None:
    signed = Signer(CREDS, REGION, "sqs").sign(
        "get", "https://sqs.us-east-1.amazonaws.com/?Action=ListQueues", timestamp=AMZ_DATE
    )
    assert [name for name, _ in signed.headers] == ["Host", "X-Amz-Date", "Authorization"]
    assert signed.method == "GET"
    assert signed_header_names(signed) == ["host", "x-amz-date"]
    assert cr_lines(signed)[-1] == EMPTY_SHA256
    assert_self_consistent(signed, "sqs")


def test_given_host_is_not_duplicated_in_headers() -> None:
    signed = Signer(CREDS, REGION, "sqs").sign(
        "GET", "https://h.example/", [("X-A", "1"), ("host", "h.example")], timestamp=AMZ_DATE
    )
    assert [name for name, _ in signed.headers] == ["X-A", "host", "X-Amz-Date", "Authorization"]


# -- Signer.sign: body forms ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"body": b"abc"}, sha256_hex(b"abc")),
        ({"body": bytearray(b"abc")}, sha256_hex(b"abc")),
        ({"body": memoryview(b"abc")}, sha256_hex(b"abc")),
        ({"body": memoryview(b"xabcx")[1:4]}, sha256_hex(b"abc")),
        ({"body": "héllo €"}, sha256_hex("héllo €".encode())),
        ({"body": None}, EMPTY_SHA256),
        ({"body": b""}, EMPTY_SHA256),
        ({}, EMPTY_SHA256),
        ({"body": UNSIGNED_PAYLOAD}, "UNSIGNED-PAYLOAD"),
        ({"payload_sha256": sha256_hex(b"streamed")}, sha256_hex(b"streamed")),
        ({"payload_sha256": "UNSIGNED-PAYLOAD"}, "UNSIGNED-PAYLOAD"),
        (
            {"payload_sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        ),
    ],
)
@pytest.mark.parametrize("service", ["s3", "sqs"])
def test_body_forms_give_the_payload_hash(
    kwargs: dict[str, Any], expected: str, service: str
) -> None:
    signed = Signer(CREDS, REGION, service).sign(
        "PUT", "https://h.example/k", timestamp=AMZ_DATE, **kwargs
    )
    assert cr_lines(signed)[-1] == expected
    sha_headers = [value for name, value in signed.headers if name == "X-Amz-Content-SHA256"]
    assert sha_headers == ([expected] if service == "s3" else [])
    assert_self_consistent(signed, service)


def test_unsigned_payload_repr() -> None:
    assert repr(UNSIGNED_PAYLOAD) == "fastsigv4.UNSIGNED_PAYLOAD"


@pytest.mark.parametrize("service", ["s3", "sqs"])
def test_session_token_modes_for_header_signing(service: str) -> None:
    url = "https://h.example/k"
    base = settings_for_service(service)
    include = Signer(CREDS_TOKEN, REGION, service).sign("GET", url, timestamp=AMZ_DATE)
    append = Signer(
        CREDS_TOKEN,
        REGION,
        service,
        settings=dataclasses.replace(base, session_token_mode="append_after_signing"),
    ).sign("GET", url, timestamp=AMZ_DATE)
    no_token = Signer(CREDS, REGION, service).sign("GET", url, timestamp=AMZ_DATE)
    assert "x-amz-security-token" in signed_header_names(include)
    assert "x-amz-security-token:" + TOKEN in header_block(include)
    assert "x-amz-security-token" not in signed_header_names(append)
    for signed in (include, append):
        assert ("X-Amz-Security-Token", TOKEN) in signed.headers
    # Appended after signing: exactly the signature of the same request without a token.
    assert append.canonical_request == no_token.canonical_request
    assert append.signature == no_token.signature
    assert include.signature != no_token.signature
    assert_self_consistent(include, service)


# -- Signer.presign --------------------------------------------------------------------


def test_presign_keeps_caller_query_order_and_appends_signing_parameters() -> None:
    presigned = Signer(CREDS, REGION, "s3").presign(
        "GET",
        "https://b.s3.us-east-1.amazonaws.com/k?z=1&a=2&m&a=1",
        expires=600,
        timestamp=AMZ_DATE,
    )
    assert presigned.url == (
        "https://b.s3.us-east-1.amazonaws.com/k?z=1&a=2&m&a=1"
        "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&X-Amz-Credential={ACCESS_KEY}%2F20150830%2Fus-east-1%2Fs3%2Faws4_request"
        f"&X-Amz-Date={AMZ_DATE}&X-Amz-Expires=600&X-Amz-SignedHeaders=host"
        f"&X-Amz-Signature={presigned.signature}"
    )
    assert cr_lines(presigned)[2] == (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&X-Amz-Credential={ACCESS_KEY}%2F20150830%2Fus-east-1%2Fs3%2Faws4_request"
        f"&X-Amz-Date={AMZ_DATE}&X-Amz-Expires=600&X-Amz-SignedHeaders=host"
        "&a=1&a=2&m=&z=1"
    )
    assert_self_consistent(presigned, "s3")


@pytest.mark.parametrize("expires", [0, -1, 604801, 10**9])
def test_presign_expires_out_of_range(expires: int) -> None:
    with invalid(r"expires=.* out of range.*604800"):
        Signer(CREDS, REGION, "s3").presign("GET", "https://h.example/", expires=expires)


@pytest.mark.parametrize("expires", [True, False, 1.0, "60", None])
def test_presign_expires_must_be_an_int(expires: Any) -> None:
    with invalid("expires must be an int"):
        Signer(CREDS, REGION, "s3").presign("GET", "https://h.example/", expires=expires)


@pytest.mark.parametrize("expires", [1, 604800])
def test_presign_expires_bounds_accepted(expires: int) -> None:
    presigned = Signer(CREDS, REGION, "s3").presign(
        "GET", "https://h.example/", expires=expires, timestamp=AMZ_DATE
    )
    assert f"&X-Amz-Expires={expires}&" in presigned.url
    assert presigned.expires_at == SIGNING_TIME + timedelta(seconds=expires)


def test_presign_max_expires_override() -> None:
    month = 30 * 86400
    signer = Signer(
        CREDS, REGION, "s3", settings=dataclasses.replace(S3_SETTINGS, max_expires=month)
    )
    presigned = signer.presign("GET", "https://h.example/", expires=month, timestamp=AMZ_DATE)
    assert f"&X-Amz-Expires={month}&" in presigned.url
    with invalid(f"from 1 to {month} seconds"):
        signer.presign("GET", "https://h.example/", expires=month + 1, timestamp=AMZ_DATE)


def test_presign_expires_at_is_aware_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    presigned = Signer(CREDS, REGION, "s3").presign(
        "GET",
        "https://h.example/",
        expires=3600,
        timestamp=datetime(2015, 8, 30, 14, 36, 0, 999_999, tzinfo=plus_two),
    )
    assert presigned.expires_at == datetime(2015, 8, 30, 13, 36, 0, tzinfo=timezone.utc)
    assert presigned.expires_at.utcoffset() == timedelta(0)
    assert presigned.expires_at.tzinfo is not None
    assert presigned.expires_at.microsecond == 0


def test_presigned_put_returns_signed_headers_to_send() -> None:
    presigned = Signer(CREDS, REGION, "s3").presign(
        "PUT",
        "https://b.s3.us-east-1.amazonaws.com/upload.txt",
        headers=[
            ("Content-Type", "text/plain"),
            ("User-Agent", "browser"),
            ("X-Amz-Meta-Owner", " me "),
        ],
        timestamp=AMZ_DATE,
    )
    assert presigned.headers == (("Content-Type", "text/plain"), ("X-Amz-Meta-Owner", " me "))
    assert "X-Amz-SignedHeaders=content-type%3Bhost%3Bx-amz-meta-owner&" in presigned.url
    assert header_block(presigned) == [
        "content-type:text/plain",
        "host:b.s3.us-east-1.amazonaws.com",
        "x-amz-meta-owner:me",
    ]
    assert presigned.method == "PUT"
    assert_self_consistent(presigned, "s3")


@pytest.mark.parametrize(
    ("service", "kwargs", "expected"),
    [
        ("s3", {}, "UNSIGNED-PAYLOAD"),
        ("s3express", {}, "UNSIGNED-PAYLOAD"),
        ("sqs", {}, EMPTY_SHA256),
        ("s3", {"body": b"abc"}, sha256_hex(b"abc")),
        ("sqs", {"body": UNSIGNED_PAYLOAD}, "UNSIGNED-PAYLOAD"),
        ("sqs", {"payload_sha256": sha256_hex(b"x")}, sha256_hex(b"x")),
        ("s3", {"body": b""}, EMPTY_SHA256),
    ],
)
def test_presign_payload_hash(service: str, kwargs: dict[str, Any], expected: str) -> None:
    presigned = Signer(CREDS, REGION, service).presign(
        "PUT", "https://h.example/k", timestamp=AMZ_DATE, **kwargs
    )
    assert cr_lines(presigned)[-1] == expected
    assert_self_consistent(presigned, service)


def test_presign_session_token_included_in_signed_query() -> None:
    presigned = Signer(CREDS_TOKEN, REGION, "s3").presign(
        "GET", "https://h.example/k", timestamp=AMZ_DATE
    )
    assert f"&X-Amz-Security-Token={TOKEN_ENCODED}&X-Amz-SignedHeaders=host&" in presigned.url
    assert f"&X-Amz-Security-Token={TOKEN_ENCODED}&" in "&" + cr_lines(presigned)[2] + "&"
    assert presigned.url.endswith("&X-Amz-Signature=" + presigned.signature)
    assert_self_consistent(presigned, "s3")


def test_presign_session_token_appended_after_signing() -> None:
    settings_ = dataclasses.replace(S3_SETTINGS, session_token_mode="append_after_signing")
    presigned = Signer(CREDS_TOKEN, REGION, "s3", settings=settings_).presign(
        "GET", "https://h.example/k", timestamp=AMZ_DATE
    )
    no_token = Signer(CREDS, REGION, "s3").presign("GET", "https://h.example/k", timestamp=AMZ_DATE)
    assert presigned.url == no_token.url + "&X-Amz-Security-Token=" + TOKEN_ENCODED
    assert "X-Amz-Security-Token" not in presigned.canonical_request
    assert presigned.signature == no_token.signature


# -- timestamps -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timestamp", "amz_date"),
    [
        (
            datetime(2015, 8, 30, 18, 6, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            AMZ_DATE,
        ),
        (datetime(2015, 8, 30, 7, 36, 0, tzinfo=timezone(timedelta(hours=-5))), AMZ_DATE),
        (datetime(2015, 8, 31, 1, 0, 0, tzinfo=timezone(timedelta(hours=2))), "20150830T230000Z"),
        (datetime(2015, 8, 30, 12, 36, 0, 123456, tzinfo=timezone.utc), AMZ_DATE),
        (AMZ_DATE, AMZ_DATE),
        ("20240229T235959Z", "20240229T235959Z"),
    ],
)
def test_timestamp_forms(timestamp: datetime | str, amz_date: str) -> None:
    signed = Signer(CREDS, REGION, "sqs").sign("GET", "https://h.example/", timestamp=timestamp)
    assert ("X-Amz-Date", amz_date) in signed.headers
    assert (
        f"Credential={ACCESS_KEY}/{amz_date[:8]}/us-east-1/sqs/aws4_request"
        in dict(signed.headers)["Authorization"]
    )
    assert_self_consistent(signed, "sqs", amz_date)


@pytest.mark.parametrize(
    "timestamp",
    [
        datetime(2015, 8, 30, 12, 36, 0),
        "2015-08-30",
        "20151330T000000Z",
        "20150230T000000Z",
        "20150830T123600",
        "20150830T123600Z\n",
        "20150830t123600z",
        1440938160,
        1440938160.0,
    ],
)
def test_bad_timestamps_rejected(timestamp: Any) -> None:
    signer = Signer(CREDS, REGION, "s3")
    with invalid("timestamp"):
        signer.sign("GET", "https://h.example/", timestamp=timestamp)
    with invalid("timestamp"):
        signer.presign("GET", "https://h.example/", timestamp=timestamp)
    with invalid("timestamp"):
        S3Presigner(CREDS, REGION, "my-bucket", timestamp=timestamp)


def _fake_clock(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    monkeypatch.setattr(fastsigv4._time.time, "time", lambda: seconds)


def test_default_timestamp_is_read_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    signer = Signer(CREDS, REGION, "s3")
    presigner = S3Presigner(CREDS, REGION, "my-bucket")  # built before the clock moves
    first_time = SIGNING_TIME.timestamp()  # 2015-08-30T12:36:00Z
    _fake_clock(monkeypatch, first_time + 0.9)
    signed_1 = signer.sign("GET", "https://h.example/")
    presigned_1 = signer.presign("GET", "https://h.example/", expires=60)
    url_1 = presigner.presign("k")
    _fake_clock(monkeypatch, first_time + 86400 + 61)  # the next UTC day
    signed_2 = signer.sign("GET", "https://h.example/")
    url_2 = presigner.presign("k")

    assert ("X-Amz-Date", AMZ_DATE) in signed_1.headers
    assert ("X-Amz-Date", "20150831T123701Z") in signed_2.headers
    assert "/20150831/us-east-1/s3/aws4_request" in dict(signed_2.headers)["Authorization"]
    assert presigned_1.expires_at == SIGNING_TIME + timedelta(seconds=60)
    assert f"&X-Amz-Date={AMZ_DATE}&" in url_1
    assert "&X-Amz-Date=20150831T123701Z&" in url_2
    assert "%2F20150831%2F" in url_2
    assert_self_consistent(signed_2, "s3", "20150831T123701Z")
    # Each URL carries the signature for its own time.
    for url, amz_date in ((url_1, AMZ_DATE), (url_2, "20150831T123701Z")):
        again = Signer(CREDS, REGION, "s3").presign(
            "GET", url.partition("?")[0], expires=3600, timestamp=amz_date
        )
        assert again.url == url


def test_presigner_fixed_timestamp_ignores_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    presigner = S3Presigner(CREDS, REGION, "my-bucket", timestamp=AMZ_DATE)
    _fake_clock(monkeypatch, 0.0)
    url = presigner.presign("k")
    assert f"&X-Amz-Date={AMZ_DATE}&" in url


# -- invalid requests ---------------------------------------------------------------------

SIGNER = Signer(CREDS, REGION, "sqs")
S3_SIGNER = Signer(CREDS, REGION, "s3")


@pytest.mark.parametrize(
    ("headers", "pattern"),
    [
        ({"X-A\r": "v"}, "header name 'X-A\\\\r' is not a valid HTTP field name"),
        ({"X-A\n": "v"}, "header name .* is not a valid HTTP field name"),
        ({"X-A\x00": "v"}, "header name .* is not a valid HTTP field name"),
        ({"X A": "v"}, "header name 'X A' is not a valid HTTP field name"),
        ({"X-A:": "v"}, "not a valid HTTP field name"),
        ({"": "v"}, "not a valid HTTP field name"),
        ({"X-A": "a\rb"}, "header 'x-a' contains a line break"),
        ({"X-A": "a\nb"}, "header 'x-a' contains a line break"),
        ({"X-A": "a\r\nb"}, "header 'x-a' contains a line break"),
        ({"X-A": "a\r b"}, "header 'x-a' contains a line break"),
        ({"X-A": "a\x00b"}, "header 'x-a' contains the control character U\\+0000"),
        ({"X-A": "a\x7fb"}, "header 'x-a' contains the control character U\\+007F"),
        ({"X-A": "café"}, "header 'x-a' contains the non-ASCII character U\\+00E9"),
        ({"X-A": "a\u00a0b"}, "header 'x-a' contains the non-ASCII character U\\+00A0"),
        ({"X-A": "a\ud800"}, "header 'x-a' contains the non-ASCII character U\\+D800"),
        ({"User-Agent": "a\r\nX-Injected: 1"}, "header 'User-Agent' contains a line break"),
        ({"X-A": 1}, "header 'X-A' has a int value"),
    ],
)
def test_bad_headers_rejected(headers: dict[str, Any], pattern: str) -> None:
    with invalid(pattern):
        SIGNER.sign("GET", "https://h.example/", headers, timestamp=AMZ_DATE)
    with invalid(pattern):
        SIGNER.presign("GET", "https://h.example/", headers=headers, timestamp=AMZ_DATE)


@pytest.mark.parametrize(
    "headers", ["X-A: 1", b"X-A: 1", [("X-A",)], [["X-A", "1"]], [("X-A", "1", "2")]]
)
def test_headers_of_the_wrong_shape_rejected(headers: Any) -> None:
    with invalid("headers must be a mapping or a sequence of \\(name, value\\) pairs"):
        SIGNER.sign("GET", "https://h.example/", headers, timestamp=AMZ_DATE)


@pytest.mark.parametrize(
    ("value", "canonical"),
    [("a\r\n b", "a b"), ("a\n\tb", "a b"), ("a\r\n  b\r\n\tc", "a b c")],
)
def test_obs_fold_is_accepted_and_unfolded(value: str, canonical: str) -> None:
    signed = SIGNER.sign("GET", "https://h.example/", {"X-A": value}, timestamp=AMZ_DATE)
    assert "x-a:" + canonical in header_block(signed)
    assert ("X-A", value) in signed.headers


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (
            lambda: S3_SIGNER.sign("GET", "https://h.example/a\ud800"),
            "URL path contains a lone surrogate",
        ),
        (lambda: SIGNER.sign("GET", "https://h.example/a\ud800"), "lone surrogate \\(U\\+D800\\)"),
        (
            lambda: SIGNER.sign("GET", "https://h.example/?a=\udfff"),
            "query parameter value contains a lone surrogate",
        ),
        (
            lambda: SIGNER.sign("GET", "https://h.example/?\ud800=1"),
            "query parameter name contains a lone surrogate",
        ),
        (
            lambda: SIGNER.presign("GET", "https://h.example/?a=\ud800"),
            "query parameter value contains a lone surrogate",
        ),
        (
            lambda: S3Presigner(CREDS, REGION, "my-bucket", timestamp=AMZ_DATE).presign("k\ud800"),
            "lone surrogate \\(U\\+D800\\)",
        ),
        (
            lambda: SIGNER.sign("GET", "https://h.example/", body="x\ud800"),
            "body contains a lone surrogate",
        ),
    ],
)
def test_lone_surrogates_rejected(call: Any, pattern: str) -> None:
    with invalid(pattern):
        call()


def test_sign_rejects_presigned_url() -> None:
    for url in (
        "https://h.example/k?X-Amz-Signature=abc",
        "https://h.example/k?a=1&X-Amz-%53ignature=abc",
    ):
        with invalid("url already carries X-Amz-Signature"):
            SIGNER.sign("GET", url, timestamp=AMZ_DATE)
    # Other X-Amz-* names are ordinary parameters for header signing.
    signed = SIGNER.sign("GET", "https://h.example/k?X-Amz-Expires=5", timestamp=AMZ_DATE)
    assert cr_lines(signed)[2] == "X-Amz-Expires=5"


@pytest.mark.parametrize(
    "name",
    [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Signature",
        "X-Amz-Security-Token",
    ],
)
def test_presign_rejects_url_with_signing_parameters(name: str) -> None:
    with invalid(f"url already carries {name}"):
        SIGNER.presign("GET", f"https://h.example/k?a=1&{name}=x", timestamp=AMZ_DATE)


@pytest.mark.parametrize(
    ("url", "pattern"),
    [
        ("https://h.example/k#frag", "contains '#'.*%23"),
        ("https://h.example/k?a=1#", "contains '#'"),
        ("/relative/path", "is not absolute"),
        ("h.example/k", "is not absolute"),
        ("//h.example/k", "is not absolute"),
        ("1http://h.example/", "is not absolute"),
        ("https://h.example:0/", "url port '0' is not a number from 1 to 65535"),
        ("https://h.example:65536/", "url port '65536'"),
        ("https://h.example:http/", "url port 'http'"),
        ("https://h.example:-1/", "url port"),
        ("https:///k", "url host '' is empty"),
        ("https://hé.example/", "IDNA"),
        ("https://[::1/", "not a valid IPv6 literal"),
        ("https://h.example/a\nb", "control character"),
        ("https://h.example/a\x00b", "control character"),
        (b"https://h.example/", "url must be a str"),
    ],
)
def test_bad_urls_rejected(url: Any, pattern: str) -> None:
    with invalid(pattern):
        SIGNER.sign("GET", url, timestamp=AMZ_DATE)
    with invalid(pattern):
        SIGNER.presign("GET", url, timestamp=AMZ_DATE)


@pytest.mark.parametrize(
    "value", ["us/east-1", "us east-1", "", "\tus-east-1", "us-east-1\n", None]
)
def test_bad_region_and_service_rejected(value: Any) -> None:
    with invalid("region .* must be a non-empty str of visible ASCII characters without '/'"):
        Signer(CREDS, value, "s3")
    with invalid("service .* must be a non-empty str of visible ASCII characters without '/'"):
        Signer(CREDS, REGION, value)
    with invalid("region .* must be a non-empty str"):
        S3Presigner(CREDS, value, "my-bucket")


def test_bad_constructor_arguments_rejected() -> None:
    with invalid("credentials must be a fastsigv4.Credentials"):
        Signer(("AKID", "SECRET"), REGION, "s3")  # type: ignore[arg-type]
    with invalid("settings must be a fastsigv4.SigningSettings"):
        Signer(CREDS, REGION, "s3", settings={"double_uri_encode": False})  # type: ignore[arg-type]
    with invalid("method 'G ET' is not an HTTP method"):
        SIGNER.sign("G ET", "https://h.example/")


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("Authorization", "header 'Authorization' given: the request is already signed"),
        ("X-Amz-Date", "header 'X-Amz-Date' given: .*timestamp="),
        ("x-amz-date", "header 'x-amz-date' given"),
        ("X-Amz-Security-Token", "header 'X-Amz-Security-Token' given: .*session_token"),
        ("X-Amz-Content-SHA256", "header 'X-Amz-Content-SHA256' given: .*payload_sha256="),
    ],
)
def test_signer_owned_headers_rejected(name: str, pattern: str) -> None:
    for signer in (SIGNER, S3_SIGNER):
        with invalid(pattern):
            signer.sign("GET", "https://h.example/", {name: "v"}, timestamp=AMZ_DATE)
        with invalid(pattern):
            signer.presign("GET", "https://h.example/", headers=[(name, "v")], timestamp=AMZ_DATE)


@pytest.mark.parametrize(
    ("query", "what"),
    [("a=100%", "value"), ("a=%G1", "value"), ("a%=1", "name"), ("a=%2", "value")],
)
def test_malformed_percent_in_query_rejected(query: str, what: str) -> None:
    pattern = f"query parameter {what} contains a '%' .*%25"
    with invalid(pattern):
        SIGNER.sign("GET", "https://h.example/?" + query, timestamp=AMZ_DATE)
    with invalid(pattern):
        S3_SIGNER.presign("GET", "https://h.example/?" + query, timestamp=AMZ_DATE)


@pytest.mark.parametrize(
    "payload_sha256",
    [
        "xyz",
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
        EMPTY_SHA256 + "0",
        EMPTY_SHA256[:-1],
        "unsigned-payload",
        "",
    ],
)
def test_payload_sha256_must_be_lowercase_hex_or_constant(payload_sha256: str) -> None:
    with invalid("payload_sha256 must be the lowercase hex SHA-256"):
        SIGNER.sign("PUT", "https://h.example/", payload_sha256=payload_sha256)
    with invalid("payload_sha256 must be the lowercase hex SHA-256"):
        SIGNER.presign("PUT", "https://h.example/", payload_sha256=payload_sha256)


@pytest.mark.parametrize("body", [b"x", bytearray(b"x"), "x", memoryview(b"x")])
def test_body_and_payload_sha256_together_rejected(body: Any) -> None:
    with invalid("pass either body or payload_sha256, not both"):
        SIGNER.sign("PUT", "https://h.example/", body=body, payload_sha256=EMPTY_SHA256)
    with invalid("pass either body or payload_sha256, not both"):
        SIGNER.presign("PUT", "https://h.example/", body=body, payload_sha256=EMPTY_SHA256)


def test_body_of_wrong_type_rejected() -> None:
    with invalid("body must be bytes, str, None or fastsigv4.UNSIGNED_PAYLOAD, not int"):
        SIGNER.sign("PUT", "https://h.example/", body=5)  # type: ignore[arg-type]


def test_body_of_wrong_type_with_payload_sha256_is_invalid_request() -> None:
    with pytest.raises(InvalidRequestError):
        SIGNER.sign(
            "PUT",
            "https://h.example/",
            body=5,
            payload_sha256=EMPTY_SHA256,  # type: ignore[arg-type]
        )


# -- S3Presigner ---------------------------------------------------------------------------


def presigner(bucket: str = "my-bucket", **kwargs: Any) -> S3Presigner:
    kwargs.setdefault("timestamp", AMZ_DATE)
    kwargs.setdefault("credentials", CREDS)
    kwargs.setdefault("region", REGION)
    return S3Presigner(bucket=bucket, **kwargs)


def reference_url(
    url: str, *, token: bool = False, region: str = REGION, method: str = "GET", expires: int = 3600
) -> str:
    """The same URL presigned by Signer (an independent code path)."""
    return (
        Signer(CREDS_TOKEN if token else CREDS, region, "s3")
        .presign(method, url.partition("?")[0], expires=expires, timestamp=AMZ_DATE)
        .url
    )


@pytest.mark.parametrize(
    ("bucket", "kwargs", "prefix"),
    [
        ("my-bucket", {}, "https://my-bucket.s3.us-east-1.amazonaws.com/"),
        ("my.bucket", {}, "https://s3.us-east-1.amazonaws.com/my.bucket/"),
        ("My_Bucket", {}, "https://s3.us-east-1.amazonaws.com/My_Bucket/"),
        ("192.168.1.1", {}, "https://s3.us-east-1.amazonaws.com/192.168.1.1/"),
        ("ab", {}, "https://s3.us-east-1.amazonaws.com/ab/"),
        ("my-bucket", {"addressing": "path"}, "https://s3.us-east-1.amazonaws.com/my-bucket/"),
        ("my.bucket", {"addressing": "virtual"}, "https://my.bucket.s3.us-east-1.amazonaws.com/"),
        (
            "my-bucket",
            {"region": "cn-north-1"},
            "https://my-bucket.s3.cn-north-1.amazonaws.com.cn/",
        ),
        (
            "my.bucket",
            {"region": "cn-northwest-1"},
            "https://s3.cn-northwest-1.amazonaws.com.cn/my.bucket/",
        ),
        ("my-bucket", {"endpoint": "http://127.0.0.1:9000"}, "http://127.0.0.1:9000/my-bucket/"),
        ("my-bucket", {"endpoint": "http://127.0.0.1:9000/"}, "http://127.0.0.1:9000/my-bucket/"),
        (
            "my-bucket",
            {"endpoint": "https://minio.example:443/s3/"},
            "https://minio.example/s3/my-bucket/",
        ),
        (
            "my-bucket",
            {"endpoint": "http://LOCALHOST:9000/base/path"},
            "http://localhost:9000/base/path/my-bucket/",
        ),
        (
            "my-bucket",
            {"endpoint": "https://s3.example.com", "addressing": "virtual"},
            "https://my-bucket.s3.example.com/",
        ),
    ],
)
def test_presigner_addressing(bucket: str, kwargs: dict[str, Any], prefix: str) -> None:
    url = presigner(bucket, **kwargs).presign("dir/a b.txt")
    assert url.startswith(prefix + "dir/a%20b.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&")
    assert url == reference_url(url, region=kwargs.get("region", REGION))


def test_presigner_endpoint_host_is_signed() -> None:
    url = presigner(endpoint="http://127.0.0.1:9000").presign("k")
    signed_with_port = Signer(CREDS, REGION, "s3").presign(
        "GET", "http://127.0.0.1:9000/my-bucket/k", timestamp=AMZ_DATE
    )
    assert "host:127.0.0.1:9000" in header_block(signed_with_port)
    assert url == signed_with_port.url
    other_port = Signer(CREDS, REGION, "s3").presign(
        "GET", "http://127.0.0.1:9001/my-bucket/k", timestamp=AMZ_DATE
    )
    assert url.rpartition("=")[2] != other_port.signature


@pytest.mark.parametrize("bucket", ["My_Bucket", "a", "-bucket", "bucket-", "192.168.1.1", "a..b"])
def test_presigner_virtual_rejects_non_dns_bucket(bucket: str) -> None:
    with invalid(f"bucket '{bucket}' is not DNS-compatible.*addressing='path'"):
        S3Presigner(CREDS, REGION, bucket, addressing="virtual")


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"bucket": ""}, "bucket '' must be a non-empty str without '/'"),
        ({"bucket": "a/b"}, "bucket 'a/b' must be a non-empty str without '/'"),
        ({"addressing": "dns"}, "addressing must be 'auto', 'virtual' or 'path'"),
        ({"expires": 0}, "expires=0 is out of range"),
        ({"expires": 604801}, "expires=604801 is out of range"),
        ({"expires": True}, "expires must be an int"),
        ({"method": "G ET"}, "method 'G ET'"),
        ({"endpoint": "http://h.example/?x=1"}, "must not carry a query"),
        ({"endpoint": "h.example:9000"}, "is not absolute"),
        ({"credentials": "AKID:SECRET"}, "credentials must be a fastsigv4.Credentials"),
    ],
)
def test_presigner_bad_arguments(kwargs: dict[str, Any], pattern: str) -> None:
    arguments: dict[str, Any] = {"credentials": CREDS, "region": REGION, "bucket": "my-bucket"}
    arguments.update(kwargs)
    with invalid(pattern):
        S3Presigner(**arguments)


@pytest.mark.parametrize(
    ("key", "encoded"),
    [
        ("a+b", "a%2Bb"),
        ("a b", "a%20b"),
        ("a/b/c", "a/b/c"),
        ("//x", "//x"),
        ("a//b", "a//b"),
        (".", "."),
        ("..", ".."),
        ("./x/../y", "./x/../y"),
        ("%", "%25"),
        ("%2F", "%252F"),
        ("a%20b", "a%2520b"),
        ("~-._", "~-._"),
        ("!'()*", "%21%27%28%29%2A"),
        ("?#&=", "%3F%23%26%3D"),
        ("café", "caf%C3%A9"),
        ("\U0001f600", "%F0%9F%98%80"),
        ("\x00\n", "%00%0A"),
    ],
)
def test_presigner_encodes_raw_key_exactly_once(key: str, encoded: str) -> None:
    url = presigner().presign(key)
    assert url.startswith("https://my-bucket.s3.us-east-1.amazonaws.com/" + encoded + "?")
    assert url == reference_url(url)


def test_presigner_rejects_bad_keys() -> None:
    p = presigner()
    with invalid("an S3 object key must be a non-empty str"):
        p.presign("")
    with invalid("an S3 object key must be a non-empty str"):
        p.presign(b"k")  # type: ignore[arg-type]
    with invalid("an S3 object key must be a non-empty str"):
        p.presign_many(["ok", ""])


def test_presign_many_equals_presign_in_order() -> None:
    keys = ["b", "a", "a b+c", "日本/語", "b", "%2F", "x/" * 10]
    p = presigner()
    expected = [p.presign(key) for key in keys]
    assert p.presign_many(keys) == expected
    assert p.presign_many(key for key in keys) == expected  # a generator
    assert p.presign_many(iter(tuple(keys))) == expected
    assert p.presign_many([]) == []
    assert len(set(expected)) == len(set(keys))


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1), max_size=8))
def test_property_presign_many_equals_presign(keys: list[str]) -> None:
    p = presigner()
    assert p.presign_many(keys) == [p.presign(key) for key in keys]


def test_presigner_session_token_is_in_the_signed_query() -> None:
    url = presigner(credentials=CREDS_TOKEN).presign("k")
    assert f"&X-Amz-Security-Token={TOKEN_ENCODED}&X-Amz-SignedHeaders=host&X-Amz-Signature=" in url
    assert url == reference_url(url, token=True)
    assert url.rpartition("=")[2] != presigner().presign("k").rpartition("=")[2]


@pytest.mark.parametrize("method", ["PUT", "HEAD", "DELETE", "get"])
def test_presigner_methods(method: str) -> None:
    url = presigner(method=method, expires=900).presign("up/load.bin")
    assert "&X-Amz-Expires=900&" in url
    assert url == reference_url(url, method=method.upper(), expires=900)
    same_key_get = presigner(expires=900).presign("up/load.bin")
    if method.upper() == "GET":
        assert url == same_key_get
    else:
        assert url.rpartition("=")[2] != same_key_get.rpartition("=")[2]


@pytest.mark.parametrize(
    ("bucket", "kwargs"),
    [
        ("my-bucket", {}),
        ("my.bucket", {}),
        ("my-bucket", {"region": "eu-west-3", "expires": 604800}),
        ("my-bucket", {"endpoint": "http://127.0.0.1:9000/minio"}),
        ("my-bucket", {"credentials": CREDS_TOKEN, "method": "PUT", "expires": 1}),
    ],
)
@pytest.mark.parametrize("key", ["k", "a b/+c", "..", "//x/./y", "%41", "ø" * 300])
def test_presigner_signature_equals_signer_presign(
    bucket: str, kwargs: dict[str, Any], key: str
) -> None:
    url = presigner(bucket, **kwargs).presign(key)
    base, _, query = url.partition("?")
    signer = Signer(kwargs.get("credentials", CREDS), kwargs.get("region", REGION), "s3")
    again = signer.presign(
        kwargs.get("method", "GET"), base, expires=kwargs.get("expires", 3600), timestamp=AMZ_DATE
    )
    assert query.endswith("&X-Amz-Signature=" + again.signature)
    assert url == again.url
    assert_self_consistent_region(again, kwargs.get("region", REGION))


def assert_self_consistent_region(result: PresignedRequest, region: str) -> None:
    key = hmac.new(("AWS4" + SECRET).encode(), b"20150830", hashlib.sha256).digest()
    for part in (region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    assert (
        result.signature
        == hmac.new(key, result.string_to_sign.encode(), hashlib.sha256).hexdigest()
    )


def test_presigner_bucket_property() -> None:
    assert presigner("my.bucket").bucket == "my.bucket"


def test_signed_request_is_an_ordinary_signed_request() -> None:
    # sign() builds its result without SignedRequest.__init__: it must not be told apart.
    signer = Signer(CREDS_TOKEN, REGION, "logs")
    signed = signer.sign("POST", "https://h.example/", {"X-A": "1"}, b"{}", timestamp=AMZ_DATE)
    rebuilt = SignedRequest(
        **{field.name: getattr(signed, field.name) for field in dataclasses.fields(signed)}
    )
    assert type(signed) is SignedRequest
    assert signed == rebuilt
    assert hash(signed) == hash(rebuilt)
    assert repr(signed) == repr(rebuilt)
    assert dataclasses.astuple(signed) == dataclasses.astuple(rebuilt)
    assert dataclasses.replace(signed) == signed
    assert copy.copy(signed) == signed
    assert copy.deepcopy(signed) == signed
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(signed, protocol)) == signed
    for result in (signed, rebuilt):
        with pytest.raises(dataclasses.FrozenInstanceError):
            result.signature = "0" * 64  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            del result.signature  # type: ignore[misc]


def test_results_are_frozen() -> None:
    signed = SIGNER.sign("GET", "https://h.example/", timestamp=AMZ_DATE)
    presigned = SIGNER.presign("GET", "https://h.example/", timestamp=AMZ_DATE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        signed.url = "https://evil.example/"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        presigned.signature = "0" * 64  # type: ignore[misc]
    assert isinstance(signed.headers, tuple)
    assert isinstance(presigned.headers, tuple)
