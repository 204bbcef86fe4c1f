"""Verifier and inspect_request: every signed request in the vectors verifies, and every
tampered variant is rejected with the AWS error code a service would answer with.

Every test runs on both core twins (the conftest's autouse fixture).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest

import fastsigv4
from fastsigv4 import Credentials, S3Presigner, Signer, SigningSettings
from fastsigv4.errors import (
    AccessDeniedError,
    AuthorizationHeaderMalformedError,
    AuthorizationQueryParametersError,
    ContentSHA256MismatchError,
    IncompleteSignatureError,
    InvalidAccessKeyIdError,
    InvalidRequestError,
    InvalidTokenError,
    MalformedRequestError,
    MissingAuthenticationTokenError,
    RequestLimitExceededError,
    RequestTimeTooSkewedError,
    SignatureDoesNotMatchError,
    SigV4Error,
    UnsupportedSignatureError,
    VerificationError,
)
from fastsigv4.verifier import RequestLimits, VerifiedRequest, Verifier, inspect_request
from vectors_loader import (
    BOTOCORE_ACCESS_KEY,
    BOTOCORE_REGION,
    BOTOCORE_SECRET,
    BOTOCORE_SERVICE,
    BOTOCORE_TIMESTAMP,
    S3_QUERY_SIGNERS,
    AwsCAuthCase,
    BotocoreCase,
    botocore_session_token,
    is_sreq_known_bad,
    load_conformance_vectors,
    request_url,
    s3_doc_example_url,
    s3_doc_header_examples,
    s3_doc_presign_examples,
)

AWS_C_AUTH, BOTOCORE, S3_DOC, BOTOCORE_S3 = load_conformance_vectors()

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLETOKEN+/=="
CREDENTIALS = Credentials(ACCESS_KEY, SECRET)
NOW = "20240601T120000Z"
NOW_AT = datetime(2024, 6, 1, 12, 0, 0, tzinfo=timezone.utc)


def clock_at(amz_date: str) -> Callable[[], datetime]:
    instant = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    return lambda: instant


# --- every signed request in the vectors verifies ------------------------------------


def _aws_c_auth_verifier(case: AwsCAuthCase) -> tuple[Verifier, SigningSettings]:
    settings = SigningSettings(
        double_uri_encode=True,
        normalize_path=case.normalize,
        session_token_mode="append_after_signing" if case.omit_session_token else "include",
        add_content_sha256_header=case.sign_body,
    )
    entry: str | Credentials = case.secret_access_key
    if case.session_token is not None:
        entry = Credentials(case.access_key_id, case.secret_access_key, case.session_token)
    verifier = Verifier(
        {case.access_key_id: entry},
        regions={case.region},
        services={case.service},
        clock=clock_at(case.timestamp),
        settings=settings,
    )
    return verifier, settings


@pytest.mark.parametrize("case", AWS_C_AUTH, ids=lambda case: case.name)
@pytest.mark.parametrize("variant", ["header", "query"])
def test_aws_c_auth_signed_requests_verify(case: AwsCAuthCase, variant: str) -> None:
    expected = case.header if variant == "header" else case.query
    signed = expected.signed_request
    verifier, settings = _aws_c_auth_verifier(case)
    body = case.request.body
    verified = verifier.verify(signed.method, request_url(signed), signed.headers, body)
    assert verified.auth_type == variant
    assert verified.access_key_id == case.access_key_id
    assert (verified.region, verified.service) == (case.region, case.service)
    assert verified.date == clock_at(case.timestamp)()
    if variant == "query":
        assert verified.expires_at == verified.date + timedelta(seconds=case.expires)
    else:
        assert verified.expires_at is None
    inspected = inspect_request(
        signed.method, request_url(signed), signed.headers, body, settings=settings
    )
    assert inspected.canonical_request == expected.canonical_request
    assert inspected.string_to_sign == expected.string_to_sign
    assert inspected.signature == expected.signature


def _botocore_verifier(case: BotocoreCase) -> tuple[Verifier, SigningSettings]:
    token, mode = botocore_session_token(case)
    settings = SigningSettings(session_token_mode=mode)
    entry: str | Credentials = BOTOCORE_SECRET
    if token is not None:
        entry = Credentials(BOTOCORE_ACCESS_KEY, BOTOCORE_SECRET, token)
    verifier = Verifier(
        {BOTOCORE_ACCESS_KEY: entry},
        regions={BOTOCORE_REGION},
        services={BOTOCORE_SERVICE},
        clock=clock_at(BOTOCORE_TIMESTAMP),
        settings=settings,
    )
    return verifier, settings


SIGNED_BOTOCORE = [
    case for case in BOTOCORE if case.signed_request is not None and not is_sreq_known_bad(case)
]


@pytest.mark.parametrize("case", SIGNED_BOTOCORE, ids=lambda case: case.name)
def test_botocore_suite_signed_requests_verify(case: BotocoreCase) -> None:
    assert case.signed_request is not None
    signed = case.signed_request
    verifier, settings = _botocore_verifier(case)
    verifier.verify(signed.method, request_url(signed), signed.headers, signed.body)
    inspected = inspect_request(
        signed.method, request_url(signed), signed.headers, signed.body, settings=settings
    )
    assert inspected.canonical_request == case.canonical_request
    assert inspected.string_to_sign == case.string_to_sign


@pytest.mark.parametrize(
    "case",
    [case for case in BOTOCORE if is_sreq_known_bad(case)],
    ids=lambda case: case.name,
)
def test_botocore_known_bad_signed_request_is_rejected(case: BotocoreCase) -> None:
    # The vectors README documents this .sreq as carrying another case's signature.
    assert case.signed_request is not None
    signed = case.signed_request
    verifier, _ = _botocore_verifier(case)
    with pytest.raises(SignatureDoesNotMatchError):
        verifier.verify(signed.method, request_url(signed), signed.headers, signed.body)


def test_botocore_suite_has_signed_requests() -> None:
    assert len(SIGNED_BOTOCORE) >= 25


def _s3_verifier(timestamp: str, region: str = "us-east-1") -> Verifier:
    return Verifier({ACCESS_KEY: SECRET}, regions={region}, clock=clock_at(timestamp))


@pytest.mark.parametrize(
    "example", s3_doc_header_examples(S3_DOC), ids=lambda example: example["id"]
)
def test_s3_documentation_header_examples_verify(example: dict[str, Any]) -> None:
    values = example["signed_headers_values"]
    url = s3_doc_example_url(example)
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{example['timestamp'][:8]}/us-east-1/s3/"
        f"aws4_request,SignedHeaders={example['signed_headers']},"
        f"Signature={example['signature']}"
    )
    headers = [*values, ("Authorization", authorization)]
    body = example["payload"].get("body", "").encode()
    verified = _s3_verifier(example["timestamp"]).verify(example["method"], url, headers, body)
    assert verified.payload_sha256 == example["payload"]["sha256"]
    inspected = inspect_request(example["method"], url, headers, body)
    assert inspected.canonical_request == example["canonical_request"]


def test_s3_documentation_presigned_url_verifies() -> None:
    (example,) = s3_doc_presign_examples(S3_DOC)
    url = s3_doc_example_url(example, include_query=False) + example["signed_query_string_as_found"]
    verifier = _s3_verifier(example["timestamp"])
    verified = verifier.verify("GET", url)
    assert verified.payload_sha256 == "UNSIGNED-PAYLOAD"
    expires_at = verified.expires_at
    assert expires_at == datetime(2013, 5, 25, tzinfo=timezone.utc)
    assert inspect_request("GET", url).canonical_request == example["canonical_request"]
    # One second after its 86400 s, the documented URL has expired.
    late = Verifier({ACCESS_KEY: SECRET}, clock=lambda: expires_at + timedelta(seconds=1))
    with pytest.raises(AccessDeniedError, match="Request has expired"):
        late.verify("GET", url)


@pytest.mark.parametrize("case", BOTOCORE_S3["cases"], ids=lambda case: case["id"])
def test_botocore_presigned_cases_verify(case: dict[str, Any]) -> None:
    inputs = case["inputs"]
    derived = case["derived_here"]
    credentials = inputs["credentials"]
    entry: str | Credentials = credentials["secret_access_key"]
    if credentials.get("session_token"):
        entry = Credentials(
            credentials["access_key_id"],
            credentials["secret_access_key"],
            credentials["session_token"],
        )
    settings = fastsigv4.S3_SETTINGS if case["botocore_signer"] in S3_QUERY_SIGNERS else None
    # The URL botocore produced: the canonical query (any order verifies) and the signature.
    canonical_query = derived["canonical_request"].split("\n")[2]
    signature = case["expected_from_source"]["X-Amz-Signature"]
    url = (
        "https://"
        + inputs["host"]
        + inputs["path"]
        + "?"
        + canonical_query
        + "&X-Amz-Signature="
        + signature
    )
    method = derived.get("method_in_canonical_request", inputs["method"])
    verifier = Verifier(
        {credentials["access_key_id"]: entry},
        clock=clock_at(inputs["timestamp"]),
        settings=settings,
    )
    verified = verifier.verify(method, url)
    assert verified.region == inputs["region"]
    inspected = inspect_request(method, url, settings=settings)
    assert inspected.canonical_request == derived["canonical_request"]


# --- round trips through our own signer -----------------------------------------------


def test_presigned_s3_urls_verify_for_odd_keys() -> None:
    keys = ["a b+c", "日本/語", "%2F", "~-._", "x/" * 300, "é😀", "./..//x", "!'()*$&=;:@,?"]
    presigner = S3Presigner(CREDENTIALS, "eu-west-1", "examplebucket", timestamp=NOW)
    verifier = Verifier({ACCESS_KEY: SECRET}, regions={"eu-west-1"}, clock=lambda: NOW_AT)
    for url in presigner.presign_many(keys):
        assert verifier.verify("GET", url).service == "s3"


@pytest.mark.parametrize("service", ["s3", "logs", "sts", "execute-api"])
def test_signer_round_trips(service: str) -> None:
    signer = Signer(Credentials(ACCESS_KEY, SECRET, TOKEN), "us-east-1", service)
    verifier = Verifier({ACCESS_KEY: Credentials(ACCESS_KEY, SECRET, TOKEN)}, clock=lambda: NOW_AT)
    url = "https://example.amazonaws.com/a%20b/c+d/%E2%82%AC?z=1&a=%2B&a=&flag"
    headers = {"Content-Type": "application/json", "X-Amz-Target": "X.Y", "X-Amz-Meta-A": " a  b "}
    signed = signer.sign("POST", url, headers, b'{"k": 1}', timestamp=NOW)
    verified = verifier.verify("POST", signed.url, signed.headers, b'{"k": 1}')
    assert verified.signed_headers == tuple(
        dict(signed.headers)["Authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    )
    presigned = signer.presign("PUT", url, headers={"Content-Type": "text/plain"}, timestamp=NOW)
    sent = [*presigned.headers, ("User-Agent", "curl/8")]
    assert verifier.verify("PUT", presigned.url, sent).auth_type == "query"
    inspected = inspect_request("PUT", presigned.url, sent)
    assert inspected.canonical_request == presigned.canonical_request
    assert inspected.string_to_sign == presigned.string_to_sign
    assert TOKEN not in repr(inspected)


def test_asgi_byte_headers_and_callable_lookup() -> None:
    signer = Signer(CREDENTIALS, "us-east-1", "s3")
    signed = signer.sign("GET", "https://b.s3.amazonaws.com/k", timestamp=NOW)
    raw = [(name.lower().encode(), value.encode("latin-1")) for name, value in signed.headers]
    calls: list[str] = []

    def lookup(access_key_id: str) -> str | None:
        calls.append(access_key_id)
        return SECRET if access_key_id == ACCESS_KEY else None

    Verifier(lookup, clock=lambda: NOW_AT.timestamp()).verify("GET", signed.url, raw)
    assert calls == [ACCESS_KEY]


def test_date_header_instead_of_x_amz_date() -> None:
    # The put-object example signs both; a request may carry only Date (RFC 7231).
    secret = "secret"
    date = "Sat, 01 Jun 2024 12:00:00 GMT"
    headers = [("Host", "sts.amazonaws.com"), ("Date", date)]
    probe = inspect_request(
        "GET",
        "https://sts.amazonaws.com/",
        [
            *headers,
            (
                "Authorization",
                f"AWS4-HMAC-SHA256 Credential=AKID/20240601/us-east-1/sts/aws4_request, "
                f"SignedHeaders=date;host, Signature={'0' * 64}",
            ),
        ],
    )
    assert probe.amz_date == NOW
    key = fastsigv4._core.signing_key("AKID", secret, "20240601", "us-east-1", "sts")
    signature = key.sign(probe.string_to_sign)
    authorization = (
        "AWS4-HMAC-SHA256 Credential=AKID/20240601/us-east-1/sts/aws4_request, "
        f"SignedHeaders=date;host, Signature={signature}"
    )
    verified = Verifier({"AKID": secret}, clock=lambda: NOW_AT).verify(
        "GET", "https://sts.amazonaws.com/", [*headers, ("Authorization", authorization)]
    )
    assert verified.date == NOW_AT


# --- the tamper matrix ------------------------------------------------------------------

HEADER_URL = "https://examplebucket.s3.us-east-1.amazonaws.com/photos/a%20b.jpg?tagging=&x=1"
BODY = b"hello, world"


def _signed(credentials: Credentials = CREDENTIALS) -> fastsigv4.SignedRequest:
    signer = Signer(credentials, "us-east-1", "s3")
    return signer.sign(
        "PUT",
        HEADER_URL,
        {
            "Content-Type": "image/jpeg",
            "X-Amz-Meta-Owner": "ann",
            "X-Amz-Storage-Class": "STANDARD",
        },
        BODY,
        timestamp=NOW,
    )


def _verifier(entry: str | Credentials = SECRET, **options: Any) -> Verifier:
    return Verifier(
        {ACCESS_KEY: entry}, regions={"us-east-1"}, services={"s3"}, clock=lambda: NOW_AT, **options
    )


def _replace_header(
    headers: tuple[tuple[str, str], ...], name: str, value: str
) -> list[tuple[str, str]]:
    return [(n, value if n.lower() == name else v) for n, v in headers]


def _authorization(signed: fastsigv4.SignedRequest) -> str:
    return dict(signed.headers)["Authorization"]


def test_untampered_header_request_verifies() -> None:
    signed = _signed()
    verified = _verifier().verify("PUT", signed.url, signed.headers, BODY)
    assert verified == VerifiedRequest(
        ACCESS_KEY,
        NOW_AT,
        "us-east-1",
        "s3",
        (
            "content-type",
            "host",
            "x-amz-content-sha256",
            "x-amz-date",
            "x-amz-meta-owner",
            "x-amz-storage-class",
        ),
        "header",
        None,
        hashlib.sha256(BODY).hexdigest(),
    )


@pytest.mark.parametrize(
    "name", ["content-type", "host", "x-amz-meta-owner", "x-amz-storage-class"]
)
def test_each_signed_header_is_checked(name: str) -> None:
    signed = _signed()
    original = next(v for n, v in signed.headers if n.lower() == name)
    headers = _replace_header(signed.headers, name, original + "x")
    with pytest.raises(SignatureDoesNotMatchError) as caught:
        _verifier().verify("PUT", signed.url, headers, BODY)
    assert caught.value.code == "SignatureDoesNotMatch"
    assert caught.value.status == 403
    assert f"\n{name}:{original}x\n" in caught.value.canonical_request
    assert caught.value.canonical_request in str(caught.value)
    assert caught.value.string_to_sign in str(caught.value)


def test_a_signed_header_dropped_is_incomplete() -> None:
    signed = _signed()
    headers = [(n, v) for n, v in signed.headers if n.lower() != "content-type"]
    with pytest.raises(IncompleteSignatureError, match="content-type"):
        _verifier().verify("PUT", signed.url, headers, BODY)


def test_an_unsigned_amz_header_added_is_denied() -> None:
    signed = _signed()
    with pytest.raises(AccessDeniedError, match="not signed: x-amz-acl"):
        _verifier().verify("PUT", signed.url, [*signed.headers, ("x-amz-acl", "public")], BODY)
    # An ordinary unsigned header (a proxy's) is fine.
    _verifier().verify("PUT", signed.url, [*signed.headers, ("Via", "1.1 proxy")], BODY)


@pytest.mark.parametrize(
    "url",
    [
        HEADER_URL.replace("a%20b", "a%20c"),
        HEADER_URL.replace("a%20b", "a+b"),
        HEADER_URL.replace("/photos/", "/photos//"),
        HEADER_URL.replace("x=1", "x=2"),
        HEADER_URL.replace("tagging=&", ""),
        HEADER_URL + "&extra=1",
        HEADER_URL.replace("examplebucket.", "otherbucket."),
    ],
)
def test_path_and_query_are_checked(url: str) -> None:
    signed = _signed()
    with pytest.raises(SignatureDoesNotMatchError):
        _verifier().verify(
            "PUT", url, _replace_header(signed.headers, "host", url.split("/")[2]), BODY
        )


def test_method_is_checked() -> None:
    signed = _signed()
    with pytest.raises(SignatureDoesNotMatchError, match="should have been\n'POST\n"):
        _verifier().verify("POST", signed.url, signed.headers, BODY)


def test_body_is_checked_against_content_sha256() -> None:
    signed = _signed()
    with pytest.raises(ContentSHA256MismatchError) as caught:
        _verifier().verify("PUT", signed.url, signed.headers, b"hello, World")
    assert caught.value.code == "XAmzContentSHA256Mismatch"
    assert caught.value.status == 400
    with pytest.raises(ContentSHA256MismatchError):
        _verifier().verify(
            "PUT", signed.url, signed.headers, payload_sha256=hashlib.sha256(b"x").hexdigest()
        )
    # The header itself is signed: changing it with the body is a signature mismatch.
    other = b"other body"
    headers = _replace_header(
        signed.headers, "x-amz-content-sha256", hashlib.sha256(other).hexdigest()
    )
    with pytest.raises(SignatureDoesNotMatchError):
        _verifier().verify("PUT", signed.url, headers, other)


def test_body_of_a_service_without_content_sha256_is_signed() -> None:
    signer = Signer(CREDENTIALS, "us-east-1", "logs")
    signed = signer.sign(
        "POST", "https://logs.us-east-1.amazonaws.com/", None, b"{}", timestamp=NOW
    )
    verifier = Verifier({ACCESS_KEY: SECRET}, clock=lambda: NOW_AT)
    verifier.verify("POST", signed.url, signed.headers, b"{}")
    verifier.verify(
        "POST", signed.url, signed.headers, payload_sha256=hashlib.sha256(b"{}").hexdigest()
    )
    with pytest.raises(SignatureDoesNotMatchError):
        verifier.verify("POST", signed.url, signed.headers, b"{ }")


def test_date_is_checked() -> None:
    signed = _signed()
    headers = _replace_header(signed.headers, "x-amz-date", "20240601T120001Z")
    with pytest.raises(SignatureDoesNotMatchError):
        _verifier().verify("PUT", signed.url, headers, BODY)
    headers = _replace_header(signed.headers, "x-amz-date", "20240602T120000Z")
    with pytest.raises(AuthorizationHeaderMalformedError, match="'20240601' != '20240602'"):
        _verifier().verify("PUT", signed.url, headers, BODY)
    headers = _replace_header(signed.headers, "x-amz-date", "2024-06-01T12:00:00Z")
    with pytest.raises(AccessDeniedError, match="ISO8601"):
        _verifier().verify("PUT", signed.url, headers, BODY)


@pytest.mark.parametrize(
    ("old", "new", "error", "message"),
    [
        ("/us-east-1/", "/us-west-2/", AuthorizationHeaderMalformedError, "region 'us-west-2'"),
        ("/s3/", "/iam/", AuthorizationHeaderMalformedError, "correct service: 's3'"),
        (ACCESS_KEY, "AKIAOTHER", InvalidAccessKeyIdError, "does not exist"),
        ("/aws4_request", "/aws4_requests", AuthorizationHeaderMalformedError, "terminal"),
        ("Credential=", "Credentials=", AuthorizationHeaderMalformedError, "Credentials="),
        ("SignedHeaders=content-type;", "SignedHeaders=", SignatureDoesNotMatchError, "calculated"),
        (
            "SignedHeaders=content-type;host;",
            "SignedHeaders=content-type;",
            IncompleteSignatureError,
            "Host",
        ),
        (", Signature=", ", Sig=", AuthorizationHeaderMalformedError, "Sig="),
        (
            "AWS4-HMAC-SHA256 ",
            "AWS4-ECDSA-P256-SHA256 ",
            UnsupportedSignatureError,
            "not supported",
        ),
    ],
)
def test_authorization_fields_are_checked(
    old: str, new: str, error: type[VerificationError], message: str
) -> None:
    signed = _signed()
    authorization = _authorization(signed)
    assert old in authorization
    headers = _replace_header(signed.headers, "authorization", authorization.replace(old, new, 1))
    with pytest.raises(error, match=message):
        _verifier().verify("PUT", signed.url, headers, BODY)


def test_signature_is_checked_and_any_form_is_a_mismatch() -> None:
    signed = _signed()
    authorization = _authorization(signed)
    for signature in ("0" * 64, signed.signature.upper(), signed.signature[:-1], "é" * 64, ""):
        tampered = authorization.rsplit("=", 1)[0] + "=" + signature
        headers = _replace_header(signed.headers, "authorization", tampered)
        with pytest.raises(SignatureDoesNotMatchError):
            _verifier().verify("PUT", signed.url, headers, BODY)


def test_wrong_secret_is_a_mismatch_and_never_shown() -> None:
    signed = Signer(Credentials(ACCESS_KEY, "not-the-secret"), "us-east-1", "s3").sign(
        "GET", HEADER_URL, timestamp=NOW
    )
    with pytest.raises(SignatureDoesNotMatchError) as caught:
        _verifier().verify("GET", signed.url, signed.headers)
    assert SECRET not in str(caught.value)
    assert "not-the-secret" not in str(caught.value)
    # The canonical request and string to sign equal the client's: only the key differs.
    assert caught.value.canonical_request == signed.canonical_request
    assert caught.value.string_to_sign == signed.string_to_sign


def test_session_token_is_checked() -> None:
    with_token = Credentials(ACCESS_KEY, SECRET, TOKEN)
    signed = _signed(with_token)
    verifier = _verifier(with_token)
    verifier.verify("PUT", signed.url, signed.headers, BODY)
    with pytest.raises(InvalidTokenError, match="invalid") as caught:
        _verifier(Credentials(ACCESS_KEY, SECRET, TOKEN + "x")).verify(
            "PUT", signed.url, signed.headers, BODY
        )
    assert caught.value.code == "InvalidToken"
    assert TOKEN not in str(caught.value)
    with pytest.raises(InvalidTokenError, match="issued without one"):
        _verifier().verify("PUT", signed.url, signed.headers, BODY)
    without = _signed()
    with pytest.raises(InvalidTokenError, match="requires a security token"):
        verifier.verify("PUT", without.url, without.headers, BODY)
    # A token changed in transit changes the signed header: a mismatch, token redacted.
    headers = _replace_header(signed.headers, "x-amz-security-token", TOKEN[:-1] + "A")
    with pytest.raises(InvalidTokenError):
        verifier.verify("PUT", signed.url, headers, BODY)
    expired = Credentials(ACCESS_KEY, SECRET, TOKEN, NOW_AT - timedelta(seconds=1))
    with pytest.raises(InvalidTokenError, match="expired"):
        _verifier(expired).verify("PUT", signed.url, signed.headers, BODY)


def test_mismatch_message_redacts_the_session_token() -> None:
    with_token = Credentials(ACCESS_KEY, SECRET, TOKEN)
    signed = _signed(with_token)
    with pytest.raises(SignatureDoesNotMatchError) as caught:
        _verifier(with_token).verify("POST", signed.url, signed.headers, BODY)
    text = str(caught.value) + caught.value.canonical_request + repr(caught.value)
    assert TOKEN not in text
    assert quote(TOKEN, safe="") not in text
    assert "x-amz-security-token:<redacted>" in caught.value.canonical_request


@pytest.mark.parametrize(
    ("skew", "ok"), [(0, True), (900, True), (-900, True), (901, False), (-901, False)]
)
def test_header_auth_clock_skew(skew: int, ok: bool) -> None:
    signed = _signed()
    verifier = Verifier({ACCESS_KEY: SECRET}, clock=lambda: NOW_AT + timedelta(seconds=skew))
    if ok:
        verifier.verify("PUT", signed.url, signed.headers, BODY)
        return
    with pytest.raises(RequestTimeTooSkewedError) as caught:
        verifier.verify("PUT", signed.url, signed.headers, BODY)
    assert caught.value.code == "RequestTimeTooSkewed"
    if skew > 0:
        assert str(caught.value) == (
            "Signature expired: 20240601T120000Z is now earlier than 20240601T120001Z "
            "(20240601T121501Z - 15 min.)"
        )
    else:
        assert "Signature not yet current: 20240601T120000Z is still later than" in str(
            caught.value
        )


# --- presigned URLs -----------------------------------------------------------------------

KEY_URL = "https://examplebucket.s3.us-east-1.amazonaws.com/photos/a%20b.jpg?versionId=3"


def _presigned(expires: int = 600, credentials: Credentials = CREDENTIALS) -> str:
    signer = Signer(credentials, "us-east-1", "s3")
    return signer.presign("GET", KEY_URL, expires=expires, timestamp=NOW).url


def _query_replace(url: str, name: str, value: str) -> str:
    head, _, query = url.partition("?")
    pieces = [
        (piece if piece.partition("=")[0] != name else name + "=" + value)
        for piece in query.split("&")
    ]
    return head + "?" + "&".join(pieces)


def test_presigned_window() -> None:
    url = _presigned(600)

    def at(seconds: int) -> Verifier:
        return Verifier({ACCESS_KEY: SECRET}, clock=lambda: NOW_AT + timedelta(seconds=seconds))

    assert at(0).verify("GET", url).expires_at == NOW_AT + timedelta(seconds=600)
    at(600).verify("GET", url)
    at(-900).verify("GET", url)  # a client clock a little ahead
    with pytest.raises(AccessDeniedError, match="Request has expired: X-Amz-Expires 600") as caught:
        at(601).verify("GET", url)
    assert caught.value.code == "AccessDenied"
    assert caught.value.status == 403
    with pytest.raises(AccessDeniedError, match="not yet valid"):
        at(-901).verify("GET", url)


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("X-Amz-Signature", "0" * 64, SignatureDoesNotMatchError),
        ("X-Amz-Expires", "601", SignatureDoesNotMatchError),
        ("X-Amz-Expires", "0", AuthorizationQueryParametersError),
        ("X-Amz-Expires", "604801", AuthorizationQueryParametersError),
        ("X-Amz-Expires", "-5", AuthorizationQueryParametersError),
        ("X-Amz-Expires", "9" * 40, AuthorizationQueryParametersError),
        ("X-Amz-Date", "20240601T115959Z", SignatureDoesNotMatchError),
        ("X-Amz-Date", "20240531T120000Z", AuthorizationQueryParametersError),
        ("X-Amz-Date", "yesterday", AuthorizationQueryParametersError),
        (
            "X-Amz-Credential",
            "AKIAOTHER%2F20240601%2Fus-east-1%2Fs3%2Faws4_request",
            InvalidAccessKeyIdError,
        ),
        (
            "X-Amz-Credential",
            f"{ACCESS_KEY}%2F20240601%2Fus-west-2%2Fs3%2Faws4_request",
            AuthorizationQueryParametersError,
        ),
        (
            "X-Amz-Credential",
            f"{ACCESS_KEY}%2F20240601%2Fus-east-1%2Fs3",
            AuthorizationQueryParametersError,
        ),
        ("X-Amz-SignedHeaders", "host%3Brange", IncompleteSignatureError),
        ("X-Amz-SignedHeaders", "range", IncompleteSignatureError),
        ("X-Amz-Algorithm", "AWS4-ECDSA-P256-SHA256", UnsupportedSignatureError),
        ("versionId", "4", SignatureDoesNotMatchError),
    ],
)
def test_each_query_parameter_is_checked(
    name: str, value: str, error: type[VerificationError]
) -> None:
    url = _query_replace(_presigned(), name, value)
    with pytest.raises(error):
        _verifier().verify("GET", url)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda url: url.replace("a%20b.jpg", "a%20c.jpg"),
        lambda url: url.replace("examplebucket.", "otherbucket."),
        lambda url: url + "&response-content-type=text%2Fhtml",
        lambda url: url.replace("versionId=3&", ""),
    ],
)
def test_presigned_path_and_extra_query_are_checked(tamper: Callable[[str], str]) -> None:
    with pytest.raises(SignatureDoesNotMatchError):
        _verifier().verify("GET", tamper(_presigned()))


def test_presigned_method_and_headers_are_checked() -> None:
    url = _presigned()
    with pytest.raises(SignatureDoesNotMatchError):
        _verifier().verify("PUT", url)
    with pytest.raises(AccessDeniedError, match="not signed: x-amz-acl"):
        _verifier().verify("GET", url, {"x-amz-acl": "private"})
    _verifier().verify("GET", url, {"Range": "bytes=0-9"})  # unsigned, not x-amz-*


def test_presigned_put_with_signed_content_type() -> None:
    signer = Signer(CREDENTIALS, "us-east-1", "s3")
    presigned = signer.presign("PUT", KEY_URL, headers={"Content-Type": "image/png"}, timestamp=NOW)
    _verifier().verify("PUT", presigned.url, {"Content-Type": "image/png"}, b"png")
    with pytest.raises(IncompleteSignatureError, match="content-type"):
        _verifier().verify("PUT", presigned.url, {}, b"png")
    with pytest.raises(SignatureDoesNotMatchError):
        _verifier().verify("PUT", presigned.url, {"Content-Type": "image/jpeg"}, b"png")


def test_presigned_session_token() -> None:
    with_token = Credentials(ACCESS_KEY, SECRET, TOKEN)
    url = _presigned(credentials=with_token)
    _verifier(with_token).verify("GET", url)
    with pytest.raises(InvalidTokenError):
        _verifier(Credentials(ACCESS_KEY, SECRET, "other")).verify("GET", url)
    with pytest.raises(SignatureDoesNotMatchError) as caught:
        _verifier(with_token).verify("GET", _query_replace(url, "X-Amz-Signature", "0" * 64))
    assert quote(TOKEN, safe="") not in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_presigned_duplicate_and_missing_parameters() -> None:
    url = _presigned()
    with pytest.raises(AuthorizationQueryParametersError, match="more than once"):
        _verifier().verify("GET", url + "&X-Amz-Date=" + NOW)
    without = "&".join(p for p in url.split("&") if not p.startswith("X-Amz-Expires="))
    with pytest.raises(AuthorizationQueryParametersError, match="Missing: X-Amz-Expires"):
        _verifier().verify("GET", without)


def test_both_mechanisms_at_once_are_refused() -> None:
    signed = _signed()
    url = _presigned()
    with pytest.raises(AuthorizationQueryParametersError, match="Only one auth mechanism"):
        _verifier().verify("GET", url, [("Authorization", _authorization(signed))])


# --- unsigned, other schemes, malformed and hostile requests -----------------------------


def test_unsigned_request() -> None:
    with pytest.raises(MissingAuthenticationTokenError) as caught:
        _verifier().verify("GET", KEY_URL, {"Host": "examplebucket.s3.amazonaws.com"})
    assert caught.value.code == "MissingAuthenticationToken"


def test_sigv2_is_named() -> None:
    v2_url = KEY_URL + "&AWSAccessKeyId=AKIA&Expires=1700000000&Signature=abc%3D"
    with pytest.raises(UnsupportedSignatureError, match="Signature Version 2"):
        _verifier().verify("GET", v2_url)
    with pytest.raises(UnsupportedSignatureError, match="Signature Version 2"):
        _verifier().verify("GET", KEY_URL, {"Authorization": "AWS AKIA:c2lnbmF0dXJl"})


@pytest.mark.parametrize(
    "authorization",
    [
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Credential=a/b",
        "AWS4-HMAC-SHA256 Credential=AKID/20240601/us-east-1/s3/aws4_request, Signature=ab",
        "AWS4-HMAC-SHA256 Credential=AKID/20240601/us-east-1/s3/aws4_request, "
        "Credential=x, SignedHeaders=host, Signature=ab",
        "AWS4-HMAC-SHA256 Credential=AKID/2024-06-01/us-east-1/s3/aws4_request, "
        "SignedHeaders=host, Signature=ab",
        "AWS4-HMAC-SHA256 Credential=AKID/20240601/us-east-1/s3/aws4_request, "
        "SignedHeaders=x-amz-date;host, Signature=ab",
        "AWS4-HMAC-SHA256 Credential=AKID/20240601/us-east-1/s3/aws4_request, "
        "SignedHeaders=Host, Signature=ab",
        "",
        "\u00e9",
    ],
)
def test_malformed_authorization(authorization: str) -> None:
    with pytest.raises(VerificationError) as caught:
        _verifier().verify("GET", KEY_URL, {"Authorization": authorization, "X-Amz-Date": NOW})
    assert caught.value.status == 400 or caught.value.code in {"AccessDenied"}


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("no-scheme", None),
        ("https://h/a%zz?X-Amz-Signature=1", None),
        ("https://h/?a=%zz&X-Amz-Algorithm=AWS4-HMAC-SHA256", None),
        (KEY_URL, [("bad name", "v")]),
        (KEY_URL, [("Host", 5)]),
        (KEY_URL, "Host: x"),
        (KEY_URL, [("Authorization", "a"), ("Authorization", "b")]),
    ],
)
def test_malformed_requests_are_verification_errors(url: str, headers: Any) -> None:
    with pytest.raises(VerificationError) as caught:
        _verifier().verify("GET", url, headers)
    assert caught.value.status in (400, 403)


def test_bad_escapes_in_a_signed_query_are_malformed() -> None:
    url = _presigned() + "&a=%zz"
    with pytest.raises(MalformedRequestError, match="two hex digits"):
        _verifier().verify("GET", url)


def test_limits() -> None:
    url = _presigned()
    tight = RequestLimits(
        max_url_length=100, max_query_parameters=5, max_headers=2, max_header_bytes=20
    )
    with pytest.raises(RequestLimitExceededError, match="max_url_length"):
        _verifier(limits=tight).verify("GET", url)
    wide_url = RequestLimits(max_url_length=10_000, max_query_parameters=5)
    with pytest.raises(RequestLimitExceededError, match="max_query_parameters"):
        _verifier(limits=wide_url).verify("GET", url)
    with pytest.raises(RequestLimitExceededError, match="max_headers"):
        _verifier(limits=RequestLimits(max_headers=2)).verify("GET", url, [("a", "1")] * 3)
    with pytest.raises(RequestLimitExceededError, match="max_header_bytes"):
        _verifier(limits=RequestLimits(max_header_bytes=20)).verify("GET", url, {"a": "x" * 20})
    # Defaults: 10,000 query parameters are refused before any canonicalization.
    hostile = url + "&p=1" * 10_000
    with pytest.raises(RequestLimitExceededError) as caught:
        _verifier().verify("GET", hostile)
    assert caught.value.code == "InvalidRequest"
    assert caught.value.status == 400
    with pytest.raises(InvalidRequestError):
        RequestLimits(max_headers=0)


def test_verifier_configuration_errors() -> None:
    with pytest.raises(InvalidRequestError):
        Verifier(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError):
        Verifier({}, regions="us-east-1")
    with pytest.raises(InvalidRequestError):
        Verifier({}, max_skew=-1)
    with pytest.raises(InvalidRequestError):
        Verifier({ACCESS_KEY: 42}, clock=lambda: NOW_AT).verify("GET", _presigned())  # type: ignore[dict-item]
    with pytest.raises(InvalidRequestError):
        Verifier({ACCESS_KEY: SECRET}, clock=lambda: datetime(2024, 6, 1)).verify(
            "GET", _presigned()
        )
    assert SECRET not in repr(_verifier())


def test_error_codes_and_statuses_are_aws_ones() -> None:
    codes = {
        SignatureDoesNotMatchError: ("SignatureDoesNotMatch", 403),
        AccessDeniedError: ("AccessDenied", 403),
        RequestTimeTooSkewedError: ("RequestTimeTooSkewed", 403),
        AuthorizationHeaderMalformedError: ("AuthorizationHeaderMalformed", 400),
        AuthorizationQueryParametersError: ("AuthorizationQueryParametersError", 400),
        InvalidAccessKeyIdError: ("InvalidAccessKeyId", 403),
        IncompleteSignatureError: ("IncompleteSignature", 400),
        ContentSHA256MismatchError: ("XAmzContentSHA256Mismatch", 400),
        InvalidTokenError: ("InvalidToken", 400),
        MissingAuthenticationTokenError: ("MissingAuthenticationToken", 403),
    }
    for error, (code, status) in codes.items():
        assert issubclass(error, VerificationError)
        assert issubclass(error, SigV4Error)
        assert (error.code, error.status) == (code, status)
