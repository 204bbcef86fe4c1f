"""diagnose(): each cause named from a scenario built for real, both error shapes, safety.

A scenario signs the client's request with fastsigv4's Signer and builds what the server
computed by signing the variant the server saw (another region, a header the client did
not send, the path encoded twice, ...); that canonical request and string to sign go
into an error body of S3's shape (with the hex forms) or of IAM's. Static bodies in
tests/diagnose_bodies/ cover the errors that name their cause in words.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastsigv4 import (
    DEFAULT_SETTINGS,
    S3_SETTINGS,
    Credentials,
    InvalidRequestError,
    PresignedRequest,
    SignedRequest,
    Signer,
    SigV4Error,
)
from fastsigv4.diagnose import CAUSES, Diagnosis, LineDifference, diagnose
from fastsigv4.errors import VerificationError
from fastsigv4.http_message import parse_http_request
from fastsigv4.verifier import Verifier

BODIES = Path(__file__).parent / "diagnose_bodies"
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
CREDS = Credentials(ACCESS_KEY, SECRET)
# The same access key with a secret that is not its own.
WRONG_SECRET = Credentials(ACCESS_KEY, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYWRONGKEY")
# '/', '+' and '=' make the URI-encoded form differ from the raw one.
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE/session+token=="
TOKEN_ENCODED = "IQoJb3JpZ2luX2VjEXAMPLE%2Fsession%2Btoken%3D%3D"
WHEN = "20240315T101500Z"
SIGNED_AT = datetime(2024, 3, 15, 10, 15, tzinfo=timezone.utc)
BUCKET_URL = "https://reports.s3.eu-west-1.amazonaws.com"
LOGS_URL = "https://logs.us-east-1.amazonaws.com/"
LOGS_HEADERS = {
    "Content-Type": "application/x-amz-json-1.1",
    "X-Amz-Target": "Logs_20140328.PutLogEvents",
}
SHAPES = ["s3", "iam"]
IAM_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service "
    "documentation for details."
)

Signed = SignedRequest | PresignedRequest


def body_file(name: str) -> str:
    return (BODIES / name).read_text(encoding="utf-8")


def hex_bytes(text: str) -> str:
    return " ".join(f"{byte:02x}" for byte in text.encode("utf-8"))


def string_to_sign_for(canonical_request: str, like: Signed) -> str:
    """The string to sign of ``canonical_request`` at ``like``'s time and scope."""
    algorithm, amz_date, scope, _ = like.string_to_sign.split("\n")
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return "\n".join((algorithm, amz_date, scope, digest))


def error_body(shape: str, canonical_request: str, string_to_sign: str, provided: str) -> str:
    """A SignatureDoesNotMatch body of S3's shape or IAM's for what the server computed."""
    if shape == "s3":
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>'
            "<Message>The request signature we calculated does not match the signature you "
            "provided. Check your key and signing method.</Message>"
            f"<AWSAccessKeyId>{ACCESS_KEY}</AWSAccessKeyId>"
            f"<StringToSign>{escape(string_to_sign)}</StringToSign>"
            f"<SignatureProvided>{provided}</SignatureProvided>"
            f"<StringToSignBytes>{hex_bytes(string_to_sign)}</StringToSignBytes>"
            f"<CanonicalRequest>{escape(canonical_request)}</CanonicalRequest>"
            f"<CanonicalRequestBytes>{hex_bytes(canonical_request)}</CanonicalRequestBytes>"
            "<RequestId>4442587FB7D0A2F9</RequestId><HostId>EXAMPLE=</HostId></Error>"
        )
    message = (
        f"{IAM_MESSAGE}\n\nThe Canonical String for this request should have been\n"
        f"'{canonical_request}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
    )
    return (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">\n  <Error>\n'
        "    <Type>Sender</Type>\n    <Code>SignatureDoesNotMatch</Code>\n"
        f"    <Message>{escape(message)}</Message>\n  </Error>\n"
        "  <RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>\n</ErrorResponse>\n"
    )


def server_error(shape: str, server: Signed, client: Signed) -> str:
    """The error for ``client``'s request, the server having computed ``server``'s texts."""
    return error_body(shape, server.canonical_request, server.string_to_sign, client.signature)


def http_text(request: Signed, body: bytes = b"", line_break: str = "\r\n") -> str:
    """``request`` as the raw HTTP text a user would paste."""
    rest = request.url.partition("://")[2]
    host, slash, target = rest.partition("/")
    headers = list(request.headers)
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", host))
    if body:
        headers.append(("Content-Length", str(len(body))))
    lines = [f"{request.method} {slash}{target} HTTP/1.1"] + [f"{n}: {v}" for n, v in headers]
    return line_break.join(lines) + line_break * 2 + body.decode("utf-8")


def s3(region: str = "eu-west-1", credentials: Credentials = CREDS, **kwargs: object) -> Signer:
    return Signer(credentials, region, "s3", **kwargs)  # type: ignore[arg-type]


def logs(credentials: Credentials = CREDS) -> Signer:
    return Signer(credentials, "us-east-1", "logs")


def assert_no_secret_material(diagnosis: Diagnosis, *secrets: str) -> None:
    shown = [str(diagnosis), repr(diagnosis)] + [
        str(getattr(diagnosis, field.name)) for field in dataclasses.fields(diagnosis)
    ]
    for secret in secrets:
        for text in shown:
            assert secret not in text


# -- one scenario per cause, compared line by line ------------------------------------------


@dataclasses.dataclass(frozen=True)
class Mismatch:
    """The client signed one request and the server another: its error quotes the latter.

    ``client`` and ``server`` sign when called (inside the test, on its core twin). The
    diagnosis must name ``cause``; each ``in_summary`` / ``in_fix`` text must appear in the
    summary / fix; ``first_difference`` is compared whole, ``difference_has`` attribute by
    attribute. ``shapes`` are the error body shapes the scenario is run with.
    """

    name: str
    client: Callable[[], Signed]
    server: Callable[[], Signed]
    cause: str
    in_summary: tuple[str, ...] = ()
    in_fix: tuple[str, ...] = ()
    first_difference: LineDifference | None = None
    difference_has: dict[str, object] = dataclasses.field(default_factory=dict)
    shapes: tuple[str, ...] = tuple(SHAPES)


PNG_URL = f"{BUCKET_URL}/avatars/1.png"
API_URL = "https://abc123.execute-api.us-east-1.amazonaws.com/prod/items"
SIGNED_JSON = b'{"logGroupName":"app","logStreamName":"web"}'
RESERIALIZED_JSON = b'{"logGroupName": "app", "logStreamName": "web"}'

MISMATCHES = [
    Mismatch(
        "header_not_signed_when_the_server_signed_a_header_the_client_did_not",
        client=lambda: s3().sign("PUT", PNG_URL, body=b"png", timestamp=WHEN),
        server=lambda: s3().sign(
            "PUT", PNG_URL, {"Content-Type": "image/png"}, b"png", timestamp=WHEN
        ),
        cause="header_not_signed",
        in_summary=("header content-type (as 'image/png')",),
        first_difference=LineDifference(
            "canonical request",
            4,
            "header content-type",
            "content-type:image/png",
            "host:reports.s3.eu-west-1.amazonaws.com",
        ),
    ),
    Mismatch(
        "signed_header_not_sent_for_a_presigned_put_without_its_content_type",
        client=lambda: s3().presign(
            "PUT", PNG_URL, headers={"Content-Type": "image/png"}, timestamp=WHEN
        ),
        # The browser sent no Content-Type: the server signs the header it names, empty.
        server=lambda: s3().presign("PUT", PNG_URL, headers={"Content-Type": ""}, timestamp=WHEN),
        cause="signed_header_not_sent",
        in_summary=("'content-type'", "presigned"),
        difference_has={"expected": "content-type:", "local": "content-type:image/png"},
    ),
    Mismatch(
        "header_value_changed_names_the_charset_a_client_appended",
        client=lambda: s3().presign(
            "PUT", f"{BUCKET_URL}/notes.txt", headers={"Content-Type": "text/plain"}, timestamp=WHEN
        ),
        server=lambda: s3().presign(
            "PUT",
            f"{BUCKET_URL}/notes.txt",
            headers={"Content-Type": "text/plain;charset=UTF-8"},
            timestamp=WHEN,
        ),
        cause="header_value_changed",
        in_summary=("charset", "'text/plain;charset=UTF-8'"),
    ),
    Mismatch(
        "header_value_changed_names_a_rewritten_host",
        client=lambda: s3().sign("GET", f"{BUCKET_URL}/k", timestamp=WHEN),
        server=lambda: s3().sign("GET", "https://reports.s3.amazonaws.com/k", timestamp=WHEN),
        cause="header_value_changed",
        in_summary=("Host 'reports.s3.amazonaws.com'", "redirect"),
        shapes=("s3",),
    ),
    Mismatch(
        "method_changed_for_a_presigned_get_sent_as_head",
        client=lambda: s3().presign("GET", f"{BUCKET_URL}/k", timestamp=WHEN),
        server=lambda: s3().presign("HEAD", f"{BUCKET_URL}/k", timestamp=WHEN),
        cause="method_changed",
        first_difference=LineDifference("canonical request", 1, "method", "HEAD", "GET"),
    ),
    Mismatch(
        "path_double_encoded_for_s3_signed_with_the_default_rules",
        client=lambda: s3(settings=DEFAULT_SETTINGS).sign(
            "GET", f"{BUCKET_URL}/reports/q1%20final.pdf", timestamp=WHEN
        ),
        server=lambda: s3().sign("GET", f"{BUCKET_URL}/reports/q1%20final.pdf", timestamp=WHEN),
        cause="path_double_encoded",
        in_fix=("S3SigV4Auth",),
        first_difference=LineDifference(
            "canonical request", 2, "path", "/reports/q1%20final.pdf", "/reports/q1%2520final.pdf"
        ),
    ),
    Mismatch(
        "path_not_double_encoded_for_api_gateway_signed_with_s3_rules",
        client=lambda: Signer(CREDS, "us-east-1", "execute-api", settings=S3_SETTINGS).sign(
            "GET", f"{API_URL}/id%3D7", timestamp=WHEN
        ),
        server=lambda: Signer(CREDS, "us-east-1", "execute-api").sign(
            "GET", f"{API_URL}/id%3D7", timestamp=WHEN
        ),
        cause="path_not_double_encoded",
        in_summary=("'/prod/items/id%253D7'", "'/prod/items/id%3D7'"),
    ),
    Mismatch(
        "path_normalization_for_an_s3_key_with_dot_segments",
        client=lambda: s3(settings=dataclasses.replace(S3_SETTINGS, normalize_path=True)).sign(
            "GET", f"{BUCKET_URL}/photos//2024/./a.jpg", timestamp=WHEN
        ),
        server=lambda: s3().sign("GET", f"{BUCKET_URL}/photos//2024/./a.jpg", timestamp=WHEN),
        cause="path_normalization",
        in_summary=("signs it as sent",),
    ),
    Mismatch(
        "path_changed_when_the_server_received_another_key",
        client=lambda: s3().presign("GET", f"{BUCKET_URL}/reports/q1.pdf", timestamp=WHEN),
        server=lambda: s3().presign("GET", f"{BUCKET_URL}/reports/q2.pdf", timestamp=WHEN),
        cause="path_changed",
        shapes=("s3",),
    ),
    Mismatch(
        "query_plus_encoding_when_a_plus_reached_the_server_as_a_space",
        client=lambda: s3().sign("GET", f"{BUCKET_URL}/?list-type=2&prefix=a+b", timestamp=WHEN),
        server=lambda: s3().sign("GET", f"{BUCKET_URL}/?list-type=2&prefix=a%20b", timestamp=WHEN),
        cause="query_plus_encoding",
        in_summary=("literal plus (%2B)",),
    ),
    Mismatch(
        "query_plus_encoding_when_a_space_was_sent_as_a_plus",
        client=lambda: s3().sign("GET", f"{BUCKET_URL}/?prefix=a%20b", timestamp=WHEN),
        server=lambda: s3().sign("GET", f"{BUCKET_URL}/?prefix=a%2Bb", timestamp=WHEN),
        cause="query_plus_encoding",
        in_summary=("a space was signed (%20)",),
        shapes=("s3",),
    ),
    Mismatch(
        "query_double_encoded_by_a_client_that_encoded_the_url_again",
        client=lambda: s3().sign("GET", f"{BUCKET_URL}/?prefix=q1%20reports", timestamp=WHEN),
        server=lambda: s3().sign("GET", f"{BUCKET_URL}/?prefix=q1%2520reports", timestamp=WHEN),
        cause="query_double_encoded",
        in_summary=("the server received it",),
    ),
    Mismatch(
        "query_duplicate_when_a_repeated_parameter_was_folded",
        client=lambda: logs().sign("GET", f"{LOGS_URL}?tag=a&tag=b&x=1", timestamp=WHEN),
        server=lambda: logs().sign("GET", f"{LOGS_URL}?tag=b&x=1", timestamp=WHEN),
        cause="query_duplicate",
        in_summary=("'tag'",),
    ),
    Mismatch(
        "query_changed_when_a_parameter_was_added_after_signing",
        client=lambda: s3().presign("GET", f"{BUCKET_URL}/k", timestamp=WHEN),
        server=lambda: s3().presign("GET", f"{BUCKET_URL}/k?x-id=GetObject", timestamp=WHEN),
        cause="query_changed",
        in_summary=("'x-id', which was not signed",),
    ),
    Mismatch(
        "payload_hash_mismatch_when_the_body_changed_after_signing",
        client=lambda: logs().sign("POST", LOGS_URL, LOGS_HEADERS, SIGNED_JSON, timestamp=WHEN),
        server=lambda: logs().sign(
            "POST", LOGS_URL, LOGS_HEADERS, RESERIALIZED_JSON, timestamp=WHEN
        ),
        cause="payload_hash_mismatch",
        in_summary=(hashlib.sha256(RESERIALIZED_JSON).hexdigest(),),
        difference_has={"part": "payload hash"},
    ),
    Mismatch(
        "wrong_region_in_a_presigned_credential",
        client=lambda: s3("us-east-1").presign("GET", f"{BUCKET_URL}/k", timestamp=WHEN),
        server=lambda: s3("eu-west-1").presign("GET", f"{BUCKET_URL}/k", timestamp=WHEN),
        cause="wrong_region",
        in_summary=("signed for region 'us-east-1'",),
        in_fix=("'eu-west-1'",),
    ),
    Mismatch(
        "wrong_region_in_a_string_to_sign",
        client=lambda: logs().sign("POST", LOGS_URL, LOGS_HEADERS, b"{}", timestamp=WHEN),
        server=lambda: Signer(CREDS, "us-west-2", "logs").sign(
            "POST", LOGS_URL, LOGS_HEADERS, b"{}", timestamp=WHEN
        ),
        cause="wrong_region",
        first_difference=LineDifference(
            "string to sign",
            3,
            "credential scope",
            "20240315/us-west-2/logs/aws4_request",
            "20240315/us-east-1/logs/aws4_request",
        ),
    ),
    Mismatch(
        "wrong_service_in_a_string_to_sign",
        client=lambda: Signer(CREDS, "us-east-1", "lambda").sign("GET", API_URL, timestamp=WHEN),
        server=lambda: Signer(CREDS, "us-east-1", "execute-api").sign(
            "GET", API_URL, timestamp=WHEN
        ),
        cause="wrong_service",
        in_fix=("'execute-api'",),
    ),
]


@pytest.mark.parametrize(
    ("mismatch", "shape"),
    [
        pytest.param(mismatch, shape, id=f"{mismatch.name}-{shape}")
        for mismatch in MISMATCHES
        for shape in mismatch.shapes
    ],
)
def test_a_mismatch_is_named_from_the_servers_texts(mismatch: Mismatch, shape: str) -> None:
    client = mismatch.client()
    server = mismatch.server()

    diagnosis = diagnose(server_error(shape, server, client), client)

    assert diagnosis.cause == mismatch.cause
    for text in mismatch.in_summary:
        assert text in diagnosis.summary
    for text in mismatch.in_fix:
        assert text in diagnosis.fix
    if mismatch.first_difference is not None:
        assert diagnosis.first_difference == mismatch.first_difference
    if mismatch.difference_has:
        assert diagnosis.first_difference is not None
        for attribute, value in mismatch.difference_has.items():
            assert getattr(diagnosis.first_difference, attribute) == value


# -- causes the server's error names in words --------------------------------------------


@dataclasses.dataclass(frozen=True)
class NamedByServer:
    """An error body of tests/diagnose_bodies/ that names its cause, for ``request``.

    ``request`` builds what is diagnosed (inside the test, on its core twin). The diagnosis
    must name ``cause``, contain each ``in_summary`` / ``in_fix`` text and, when
    ``error_code`` is given, read that code.
    """

    name: str
    error_file: str
    request: Callable[[], Signed | str]
    cause: str
    in_summary: tuple[str, ...] = ()
    in_fix: tuple[str, ...] = ()
    error_code: str | None = None


IAM_LIST_USERS_URL = "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08"

NAMED_BY_SERVER = [
    NamedByServer(
        # IAM ListUsers (the SigV4 documentation's example) signed with another key's secret.
        "signing_key_mismatch_for_a_pasted_request",
        "iam-signature-does-not-match.xml",
        request=lambda: body_file("iam-list-users.http"),
        cause="signing_key_mismatch",
        in_summary=("the client derived its signing key wrongly",),
        error_code="SignatureDoesNotMatch",
    ),
    NamedByServer(
        # The JSON error of CloudWatch Logs: the client re-serialized the body after signing.
        "payload_hash_mismatch_from_a_json_protocol_error",
        "logs-invalid-signature.json",
        request=lambda: logs().sign("POST", LOGS_URL, LOGS_HEADERS, SIGNED_JSON, timestamp=WHEN),
        cause="payload_hash_mismatch",
        error_code="InvalidSignatureException",
    ),
    NamedByServer(
        "payload_hash_mismatch_from_s3_content_sha256_mismatch",
        "s3-content-sha256-mismatch.xml",
        request=lambda: s3().sign("PUT", f"{BUCKET_URL}/k", body=b"", timestamp=WHEN),
        cause="payload_hash_mismatch",
        in_summary=("X-Amz-Content-SHA256",),
    ),
    *(
        NamedByServer(
            f"wrong_region_named_by_s3-{error_file}",
            error_file,
            request=lambda: s3("us-east-1").presign("GET", f"{BUCKET_URL}/k", timestamp=WHEN),
            cause="wrong_region",
            in_summary=("signed for region 'us-east-1', but the endpoint expects 'eu-west-1'",),
            in_fix=("Signer(credentials, 'eu-west-1', 's3')",),
        )
        for error_file in (
            "s3-authorization-header-malformed.xml",
            "s3-authorization-query-parameters-error.xml",
        )
    ),
    NamedByServer(
        "wrong_region_named_by_iam",
        "iam-credential-scope-region.xml",
        request=lambda: Signer(CREDS, "eu-west-1", "iam").sign(
            "GET", IAM_LIST_USERS_URL, timestamp=WHEN
        ),
        cause="wrong_region",
        in_summary=("'eu-west-1'",),
    ),
    NamedByServer(
        "wrong_service_named_by_iam",
        "iam-credential-scope-service.xml",
        request=lambda: Signer(CREDS, "us-east-1", "sts").sign(
            "GET", IAM_LIST_USERS_URL, timestamp=WHEN
        ),
        cause="wrong_service",
        in_summary=("signed for service 'sts', but the endpoint expects 'iam'",),
        in_fix=("Signer(credentials, 'us-east-1', 'iam')",),
    ),
    NamedByServer(
        "scope_date_mismatch_of_a_hand_rolled_signer",
        "iam-credential-scope-date.xml",
        request=lambda: body_file("iam-scope-date-request.http"),
        cause="scope_date_mismatch",
        in_summary=("scope date 20120225 is not the date of X-Amz-Date (20120224)",),
    ),
    NamedByServer(
        "clock_skew_from_signature_expired",
        "sts-signature-expired.xml",
        request=lambda: Signer(CREDS, "us-east-1", "sts").sign(
            "POST",
            "https://sts.amazonaws.com/",
            body=b"Action=GetCallerIdentity&Version=2011-06-15",
            timestamp="20120306T074514Z",
        ),
        cause="clock_skew",
        in_summary=(
            "2012-03-06 07:45:14 UTC",
            "2012-03-06 08:00:56 UTC",
            "15 min 42 s later",
            "more than the 15 min allowed",
        ),
    ),
    NamedByServer(
        "clock_skew_from_request_time_too_skewed",
        "s3-request-time-too-skewed.xml",
        request=lambda: s3().sign("GET", f"{BUCKET_URL}/k", timestamp=WHEN),
        cause="clock_skew",
        in_summary=("47 min 3 s later",),
        in_fix=("NTP",),
    ),
    NamedByServer(
        "presigned_url_expired",
        "s3-request-has-expired.xml",
        request=lambda: s3().presign("GET", f"{BUCKET_URL}/k", expires=3600, timestamp=WHEN),
        cause="presigned_url_expired",
        in_summary=("expired at 2024-03-15 11:15:00 UTC", "2 h 25 min later"),
        in_fix=("604800",),
    ),
    NamedByServer(
        "sigv2_url_refused_by_s3",
        "s3-sigv2-not-supported.xml",
        request=lambda: (
            f"{BUCKET_URL}/k?AWSAccessKeyId={ACCESS_KEY}&Expires=1710497700"
            "&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D"
        ),
        cause="sigv2_request",
        in_fix=("s3v4",),
    ),
    NamedByServer(
        "missing_signature_from_a_pasted_api_gateway_response",
        "apigateway-missing-authentication-token.txt",
        request=lambda: (
            "GET /prod/items HTTP/1.1\r\nHost: abc123.execute-api.us-east-1.amazonaws.com\r\n\r\n"
        ),
        cause="missing_signature",
        in_fix=("path or stage that does not exist",),
        error_code="MissingAuthenticationTokenException",
    ),
]


@pytest.mark.parametrize("named", [pytest.param(named, id=named.name) for named in NAMED_BY_SERVER])
def test_a_cause_the_server_names_is_read(named: NamedByServer) -> None:
    diagnosis = diagnose(body_file(named.error_file), named.request())

    assert diagnosis.cause == named.cause
    for text in named.in_summary:
        assert text in diagnosis.summary
    for text in named.in_fix:
        assert text in diagnosis.fix
    if named.error_code is not None:
        assert diagnosis.error_code == named.error_code


# -- more scenarios, each with checks of its own ---------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_signing_key_mismatch_when_only_the_secret_differs(shape: str) -> None:
    client = logs(WRONG_SECRET).sign("POST", LOGS_URL, LOGS_HEADERS, SIGNED_JSON, timestamp=WHEN)
    server = logs().sign("POST", LOGS_URL, LOGS_HEADERS, SIGNED_JSON, timestamp=WHEN)

    diagnosis = diagnose(server_error(shape, server, client), client)

    assert diagnosis.cause == "signing_key_mismatch"
    assert diagnosis.first_difference is None
    assert f"does not belong to access key {ACCESS_KEY!r}" in diagnosis.summary
    assert diagnosis.expected_canonical_request == diagnosis.local_canonical_request
    assert SECRET not in str(diagnosis)
    assert WRONG_SECRET.secret_access_key not in str(diagnosis)


@pytest.mark.parametrize("body", [body_file("s3-headers-not-signed.xml"), ""])
def test_header_not_signed_for_an_x_amz_header_sent_unsigned(body: str) -> None:
    presigned = s3().presign("PUT", f"{BUCKET_URL}/k.txt", timestamp=WHEN)
    sent = http_text(presigned).replace("\r\n\r\n", "\r\nx-amz-acl: public-read\r\n\r\n")

    diagnosis = diagnose(body, sent)

    assert diagnosis.cause == "header_not_signed"
    assert "'x-amz-acl'" in diagnosis.summary
    assert "every x-amz-* header it receives" in diagnosis.summary


def test_signed_header_not_sent_seen_in_a_pasted_request() -> None:
    presigned = s3().presign(
        "PUT", f"{BUCKET_URL}/a.png", headers={"Content-Type": "image/png"}, timestamp=WHEN
    )
    without_header = http_text(presigned).replace("Content-Type: image/png\r\n", "")

    diagnosis = diagnose(b"", without_header)

    assert diagnosis.cause == "signed_header_not_sent"
    assert "'content-type'" in diagnosis.summary


@pytest.mark.parametrize("shape", SHAPES)
def test_query_order_when_the_server_did_not_sort(shape: str) -> None:
    client = logs().sign("GET", f"{LOGS_URL}?b=2&a=1&C=3", timestamp=WHEN)
    # A homegrown server that keeps the parameters in the order received.
    method, path, query, rest = client.canonical_request.split("\n", 3)
    assert query == "C=3&a=1&b=2"
    unsorted = "\n".join((method, path, "b=2&a=1&C=3", rest))

    diagnosis = diagnose(
        error_body(shape, unsorted, string_to_sign_for(unsorted, client), client.signature),
        client,
    )

    assert diagnosis.cause == "query_order"
    assert diagnosis.first_difference is not None
    assert diagnosis.first_difference.part == "query"


def test_payload_hash_mismatch_seen_in_a_pasted_request() -> None:
    client = s3().sign("PUT", f"{BUCKET_URL}/k", body=b"signed body", timestamp=WHEN)
    pasted = http_text(client, body=b"another body")

    diagnosis = diagnose("", pasted)

    assert diagnosis.cause == "payload_hash_mismatch"
    assert hashlib.sha256(b"another body").hexdigest() in diagnosis.summary


def test_clock_skew_when_the_signing_clock_is_ahead() -> None:
    message = (
        "Signature not yet current: 20240315T110000Z is still later than 20240315T104500Z "
        "(20240315T103000Z + 15 min.)"
    )
    client = logs().sign("POST", LOGS_URL, LOGS_HEADERS, b"{}", timestamp="20240315T110000Z")

    diagnosis = diagnose(f"SignatureDoesNotMatch: {message}", client)

    assert diagnosis.cause == "clock_skew"
    assert "The signing clock is ahead." in diagnosis.summary


def test_sigv2_header_seen_in_the_request() -> None:
    # Old S3 regions still check SigV2 and say SignatureDoesNotMatch with a SigV2 string.
    body = (
        "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we "
        "calculated does not match the signature you provided.</Message>"
        "<StringToSign>GET\n\n\nFri, 15 Mar 2024 10:15:00 GMT\n/reports/k</StringToSign>"
        "</Error>"
    )
    request = (
        "GET /k HTTP/1.1\nHost: reports.s3.amazonaws.com\nDate: Fri, 15 Mar 2024 10:15:00 GMT\n"
        f"Authorization: AWS {ACCESS_KEY}:frJIUN8DYpKDtOLCwo//yllqDzg=\n\n"
    )

    diagnosis = diagnose(body, request)

    assert diagnosis.cause == "sigv2_request"


def test_invalid_access_key() -> None:
    client = s3().sign("GET", f"{BUCKET_URL}/k", timestamp=WHEN)

    diagnosis = diagnose(body_file("s3-invalid-access-key-id.xml"), client)

    assert diagnosis.cause == "invalid_access_key"
    assert "access key id 'AKIAI44QH8DHBEXAMPLE'" in diagnosis.summary
    assert "The AWS Access Key Id you provided does not exist" in diagnosis.summary
    assert f"the request given uses {ACCESS_KEY!r}" in " ".join(diagnosis.notes)


def test_invalid_client_token_id_of_temporary_credentials_is_a_session_token_problem() -> None:
    temporary = Credentials("ASIAIOSFODNN7EXAMPLE", SECRET, TOKEN)
    client = Signer(temporary, "us-east-1", "sts").sign(
        "POST", "https://sts.amazonaws.com/", body=b"Action=GetCallerIdentity", timestamp=WHEN
    )
    body = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender'
        "</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the "
        "request is invalid.</Message></Error><RequestId>EXAMPLE</RequestId></ErrorResponse>"
    )

    diagnosis = diagnose(body, client)

    assert diagnosis.cause == "session_token"
    assert_no_secret_material(diagnosis, TOKEN, TOKEN_ENCODED)


def test_session_token_expired_and_the_token_s3_echoes_is_redacted() -> None:
    client = s3(credentials=Credentials(ACCESS_KEY, SECRET, TOKEN)).presign(
        "GET", f"{BUCKET_URL}/k", timestamp=WHEN
    )

    diagnosis = diagnose(body_file("s3-expired-token.xml"), client)

    assert diagnosis.cause == "session_token"
    assert "The provided token has expired." in diagnosis.summary
    assert_no_secret_material(diagnosis, TOKEN, TOKEN_ENCODED)


def test_missing_signature_seen_in_the_request() -> None:
    request = "GET /prod/items HTTP/1.1\nHost: abc123.execute-api.us-east-1.amazonaws.com\n"

    diagnosis = diagnose("", request)

    assert diagnosis.cause == "missing_signature"


def test_malformed_request_named_by_s3() -> None:
    body = (
        "<Error><Code>AuthorizationQueryParametersError</Code><Message>X-Amz-Expires must be "
        "less than a week (in seconds) that is 604800</Message></Error>"
    )
    client = s3().presign("GET", f"{BUCKET_URL}/k", timestamp=WHEN)

    diagnosis = diagnose(body, client)

    assert diagnosis.cause == "malformed_request"
    assert "X-Amz-Expires must be less than a week" in diagnosis.summary


def test_malformed_request_seen_in_the_request() -> None:
    request = (
        "GET / HTTP/1.1\nHost: logs.us-east-1.amazonaws.com\nX-Amz-Date: 20240315T101500Z\n"
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240315/us-east-1/"
        "logs/aws4_request, SignedHeaders=host;x-amz-date\n"
    )

    diagnosis = diagnose("", request)

    assert diagnosis.cause == "malformed_request"
    assert "'Signature'" in diagnosis.summary


def test_canonical_request_differs_when_only_the_string_to_sign_is_quoted() -> None:
    client = logs().sign("POST", LOGS_URL, LOGS_HEADERS, b"{}", timestamp=WHEN)
    server = logs().sign("POST", LOGS_URL, LOGS_HEADERS, b"{ }", timestamp=WHEN)
    message = f"{IAM_MESSAGE} The String-to-Sign should have been '{server.string_to_sign}'"

    diagnosis = diagnose(json.dumps({"message": message}), client)

    assert diagnosis.cause == "canonical_request_differs"
    assert "a different canonical request" in diagnosis.summary
    assert diagnosis.first_difference is not None
    assert diagnosis.first_difference.part == "canonical request hash"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (body_file("s3-no-such-key.xml"), "NoSuchKey"),
        (
            "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
            "AccessDenied",
        ),
        (
            '{"__type": "AccessDeniedException", "message": "User: arn:aws:iam::123456789012:'
            'user/ci is not authorized to perform: logs:PutLogEvents"}',
            "AccessDeniedException",
        ),
    ],
)
def test_not_a_signing_error(body: str, code: str) -> None:
    client = s3().sign("GET", f"{BUCKET_URL}/reports/q1.pdf", timestamp=WHEN)

    diagnosis = diagnose(body, client)

    assert diagnosis.cause == "not_a_signing_error"
    assert f"The server answered {code}" in diagnosis.summary


def test_undetermined_for_the_empty_body_of_a_head_response() -> None:
    client = s3().sign("HEAD", f"{BUCKET_URL}/k", timestamp=WHEN)

    diagnosis = diagnose(b"", client)

    assert diagnosis.cause == "undetermined"
    assert "repeat the request as GET" in diagnosis.fix
    assert diagnosis.error_code is None


# -- reading error bodies ---------------------------------------------------------------


def test_s3_hex_forms_are_read_and_match_the_text_forms() -> None:
    docs_example = s3("us-east-1").sign(
        "GET", "https://examplebucket.s3.amazonaws.com/test.txt", {"Range": "bytes=0-9"},
        timestamp="20130524T000000Z",
    )  # fmt: skip
    assert docs_example.signature == (
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )
    body = body_file("s3-signature-does-not-match.xml")

    diagnosis = diagnose(body, docs_example)

    assert diagnosis.cause == "header_value_changed"
    assert diagnosis.notes == ()  # text and bytes agree, the signature is the one sent
    expected = diagnosis.expected_canonical_request
    assert expected is not None
    assert bytes.fromhex(body.split("<CanonicalRequestBytes>")[1].split("<")[0]) == (
        expected.encode()
    )
    assert "range:bytes=0-99" in expected.split("\n")
    assert diagnosis.first_difference == LineDifference(
        "canonical request", 5, "header range", "range:bytes=0-99", "range:bytes=0-9"
    )


def test_the_exact_bytes_win_over_an_altered_text_form() -> None:
    client = s3().presign("GET", f"{BUCKET_URL}/k", timestamp=WHEN)
    server = s3().presign("HEAD", f"{BUCKET_URL}/k", timestamp=WHEN)
    body = server_error("s3", server, client).replace(
        "<CanonicalRequest>HEAD", "<CanonicalRequest>PATCH"
    )

    diagnosis = diagnose(body, client)

    assert diagnosis.expected_canonical_request == server.canonical_request
    assert diagnosis.cause == "method_changed"
    assert any("<CanonicalRequestBytes> disagree (line 1)" in note for note in diagnosis.notes)


def test_a_string_to_sign_that_does_not_hash_the_canonical_request_is_noted() -> None:
    client = logs().sign("POST", LOGS_URL, LOGS_HEADERS, b"{}", timestamp=WHEN)
    # Pasted through something that added a space: the server's hash no longer matches.
    altered = client.canonical_request.replace("x-amz-target:", "x-amz-target: ")

    diagnosis = diagnose(
        error_body("iam", altered, client.string_to_sign, client.signature), client
    )

    assert any("does not end with the hash" in note for note in diagnosis.notes)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
            '"&lol;&lol;&lol;">]><Error><Code>&lol2;</Code></Error>',
            "DOCTYPE or ENTITY",
        ),
        ('<!doctype Error SYSTEM "file:///etc/passwd"><Error/>', "DOCTYPE or ENTITY"),
        ("<Error><Code>&xxe;</Code></Error>", "not well-formed XML"),
        ("<Error><Code>SignatureDoesNotMatch</Code>", "not well-formed XML"),
        ("<ListBucketResult><Name>reports</Name></ListBucketResult>", "without an <Error>"),
        ('{"message": ', "not valid JSON"),
        ('{"a":' * 100_000, "not valid JSON"),  # deeper than the JSON parser recurses
        (
            "<Error><CanonicalRequestBytes>47 45 5</CanonicalRequestBytes></Error>",
            "<CanonicalRequestBytes>",
        ),
        (b"<Error><Message>\xff</Message></Error>", "not UTF-8"),
        (12, "must be the error response body"),
    ],
)
def test_bad_error_bodies_are_refused_with_a_clear_message(body: object, problem: str) -> None:
    client = s3().sign("GET", f"{BUCKET_URL}/k", timestamp=WHEN)

    with pytest.raises(InvalidRequestError, match=problem):
        diagnose(body, client)  # type: ignore[arg-type]


def test_the_error_body_size_is_bounded() -> None:
    client = s3().sign("GET", f"{BUCKET_URL}/k", timestamp=WHEN)
    body = "<Error><Code>NoSuchKey</Code><Message>" + "x" * 2000 + "</Message></Error>"

    with pytest.raises(InvalidRequestError, match=r"max_error_body_bytes=1000\)"):
        diagnose(body, client, max_error_body_bytes=1000)
    with pytest.raises(InvalidRequestError, match="larger than"):
        diagnose(body.encode(), client, max_error_body_bytes=1000)
    assert diagnose(body, client, max_error_body_bytes=4000).cause == "not_a_signing_error"
    with pytest.raises(InvalidRequestError, match="max_error_body_bytes must be"):
        diagnose(body, client, max_error_body_bytes=0)


def test_bad_requests_and_settings_are_refused() -> None:
    with pytest.raises(InvalidRequestError, match="request must be the SignedRequest"):
        diagnose("", 42)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="no Host header"):
        diagnose("", "GET / HTTP/1.1\n\n")
    with pytest.raises(InvalidRequestError, match="settings must be"):
        diagnose("", "https://a.example/", settings="s3")  # type: ignore[arg-type]


def test_bytes_and_str_bodies_give_the_same_diagnosis() -> None:
    client = s3("us-east-1").presign("GET", f"{BUCKET_URL}/k", timestamp=WHEN)
    body = body_file("s3-authorization-query-parameters-error.xml")

    assert diagnose(body.encode(), client) == diagnose(body, client)
    assert diagnose("\ufeff" + body, client) == diagnose(body, client)


def test_a_botocore_client_error_message_is_read() -> None:
    client = s3("us-east-1").sign("GET", f"{BUCKET_URL}/k", timestamp=WHEN)
    text = (
        "An error occurred (AuthorizationHeaderMalformed) when calling the GetObject operation: "
        "The authorization header is malformed; the region 'us-east-1' is wrong; expecting "
        "'eu-west-1'"
    )

    diagnosis = diagnose(text, client)

    assert diagnosis.cause == "wrong_region"
    assert diagnosis.error_code == "AuthorizationHeaderMalformed"


def test_a_bare_presigned_url_takes_its_method_from_the_server() -> None:
    client = s3().presign("PUT", f"{BUCKET_URL}/avatars/1.png", timestamp=WHEN)
    server = s3().presign("PUT", f"{BUCKET_URL}/avatars/1.png?x-id=PutObject", timestamp=WHEN)

    diagnosis = diagnose(server_error("s3", server, client), client.url)

    assert diagnosis.cause == "query_changed"
    assert diagnosis.local_canonical_request == client.canonical_request


def test_a_pasted_request_is_compared_as_sent() -> None:
    client = s3().presign("GET", f"{BUCKET_URL}/k", timestamp=WHEN)
    server = s3().presign("GET", f"{BUCKET_URL}/k?x-id=GetObject", timestamp=WHEN)
    body = server_error("iam", server, client)

    for request in (http_text(client), http_text(client, line_break="\n").encode()):
        diagnosis = diagnose(body, request)
        assert diagnosis.cause == "query_changed"
        assert diagnosis.local_canonical_request == client.canonical_request
    assert diagnose(body, parse_http_request(http_text(client))).cause == "query_changed"


def test_the_failing_request_being_another_one_is_noted() -> None:
    client = s3().sign("GET", f"{BUCKET_URL}/k", timestamp=WHEN)
    body = error_body("s3", client.canonical_request, client.string_to_sign, "0" * 64).replace(
        ACCESS_KEY, "AKIAI44QH8DHBEXAMPLE"
    )

    diagnosis = diagnose(body, client)

    assert diagnosis.cause == "signing_key_mismatch"
    assert len(diagnosis.notes) == 2
    assert "the failing request is not this one" in diagnosis.notes[0]


# -- the Verifier's own rejections ------------------------------------------------------


def _verifier_rejection(**options: object) -> tuple[VerificationError, str]:
    client = logs(WRONG_SECRET if options.pop("wrong_secret", False) else CREDS).sign(
        "POST", LOGS_URL, LOGS_HEADERS, b"{}", timestamp=WHEN
    )
    verifier = Verifier({ACCESS_KEY: SECRET}, **options)  # type: ignore[arg-type]
    with pytest.raises(VerificationError) as caught:
        verifier.verify(client.method, client.url, client.headers, b"{}")
    return caught.value, http_text(client, b"{}")


@pytest.mark.parametrize(
    ("options", "cause"),
    [
        ({"wrong_secret": True, "clock": SIGNED_AT.timestamp}, "signing_key_mismatch"),
        ({"regions": {"eu-west-1"}, "clock": SIGNED_AT.timestamp}, "wrong_region"),
        ({"services": {"iam"}, "clock": SIGNED_AT.timestamp}, "wrong_service"),
        ({"clock": lambda: SIGNED_AT + timedelta(minutes=20)}, "clock_skew"),
    ],
)
def test_the_verifiers_rejections_are_diagnosed(options: dict[str, object], cause: str) -> None:
    error, request = _verifier_rejection(**options)

    assert diagnose(f"{error.code}: {error}", request).cause == cause


def test_the_verifiers_expired_presigned_url_is_diagnosed() -> None:
    client = s3().presign("GET", f"{BUCKET_URL}/k", expires=60, timestamp=WHEN)
    verifier = Verifier({ACCESS_KEY: SECRET}, clock=lambda: SIGNED_AT + timedelta(hours=1))
    with pytest.raises(VerificationError) as caught:
        verifier.verify(client.method, client.url, client.headers)

    diagnosis = diagnose(f"{caught.value.code}: {caught.value}", client.url)

    assert diagnosis.cause == "presigned_url_expired"
    assert "59 min later" in diagnosis.summary


# -- secrets and presentation -----------------------------------------------------------


def test_a_session_token_never_reaches_the_diagnosis() -> None:
    with_token = Signer(Credentials(ACCESS_KEY, SECRET, TOKEN), "us-east-1", "logs")
    client = with_token.sign("POST", LOGS_URL, LOGS_HEADERS, b"{}", timestamp=WHEN)
    server = with_token.sign(
        "POST", LOGS_URL, {**LOGS_HEADERS, "Content-Type": "application/json"}, b"{}",
        timestamp=WHEN,
    )  # fmt: skip
    assert f"x-amz-security-token:{TOKEN}" in server.canonical_request

    for request in (client, http_text(client, b"{}")):
        diagnosis = diagnose(server_error("iam", server, client), request)
        assert diagnosis.cause == "header_value_changed"
        assert "x-amz-security-token:<redacted>" in (diagnosis.expected_canonical_request or "")
        assert_no_secret_material(diagnosis, TOKEN, TOKEN_ENCODED, SECRET)


def test_a_session_token_in_a_presigned_url_never_reaches_the_diagnosis() -> None:
    with_token = s3(credentials=Credentials(ACCESS_KEY, SECRET, TOKEN))
    client = with_token.presign("GET", f"{BUCKET_URL}/k", timestamp=WHEN)
    server = with_token.presign("GET", f"{BUCKET_URL}/k?x-id=GetObject", timestamp=WHEN)
    assert TOKEN_ENCODED in server.canonical_request

    for request in (client, client.url):
        diagnosis = diagnose(server_error("s3", server, client), request)
        assert diagnosis.cause == "query_changed"
        assert "X-Amz-Security-Token=<redacted>" in (diagnosis.local_canonical_request or "")
        assert_no_secret_material(diagnosis, TOKEN, TOKEN_ENCODED, SECRET)


def test_str_shows_the_differing_lines_one_above_the_other_with_a_caret() -> None:
    client = s3().presign("GET", f"{BUCKET_URL}/reports/q1.pdf", timestamp=WHEN)
    server = s3().presign("GET", f"{BUCKET_URL}/reports/q2.pdf", timestamp=WHEN)

    report = str(diagnose(server_error("s3", server, client), client))

    assert report.startswith("Cause: path_changed\n  The path the server received")
    assert "\nFix:\n  Send the URL exactly as signed" in report
    assert "\nServer error: SignatureDoesNotMatch: The request signature we calculated" in report
    assert report.endswith(
        "First difference: canonical request line 2 (path)\n"
        "  server: /reports/q2.pdf\n"
        "  local:  /reports/q1.pdf\n"
        "                    ^"
    )


def test_str_windows_a_long_line_around_the_difference() -> None:
    long_value = "v" * 300
    client = logs().sign("GET", f"{LOGS_URL}?a={long_value}&z=1", timestamp=WHEN)
    server = logs().sign("GET", f"{LOGS_URL}?a={long_value}&z=2", timestamp=WHEN)

    report = str(diagnose(server_error("s3", server, client), client))

    server_line, local_line, caret_line = report.split("\n")[-3:]
    assert server_line.startswith("  server: …")
    assert server_line.endswith("&z=2")
    assert local_line.startswith("  local:  …")
    assert local_line.endswith("&z=1")
    assert caret_line.index("^") == len(local_line) - 1
    assert len(server_line) < 120


def test_str_marks_a_line_only_one_side_has() -> None:
    client = logs().sign("GET", LOGS_URL, timestamp=WHEN)
    truncated = client.canonical_request.rsplit("\n", 1)[0]

    diagnosis = diagnose(
        error_body("s3", truncated, string_to_sign_for(truncated, client), client.signature),
        client,
    )

    assert diagnosis.cause == "canonical_request_differs"
    assert "  server: (no such line)" in str(diagnosis)


def test_the_cause_set() -> None:
    assert len(CAUSES) == len(set(CAUSES)) == 28
    assert all(cause == cause.lower() and " " not in cause for cause in CAUSES)


# -- arbitrary input: a Diagnosis or a SigV4Error, nothing else -------------------------

# Lone surrogates included: they have no UTF-8 form, and must be refused cleanly.
ANY_TEXT = st.text(st.characters(exclude_categories=[]), max_size=300)
_FRAGMENTS = st.sampled_from(
    [
        "<Error>",
        "</Error>",
        "<ErrorResponse><Error>",
        "<Code>SignatureDoesNotMatch</Code>",
        "<Code>AccessDenied</Code>",
        "<Code>RequestTimeTooSkewed</Code>",
        "<Message>",
        "</Message>",
        "<CanonicalRequest>GET\n/\n\nhost:a\n\nhost\nUNSIGNED-PAYLOAD</CanonicalRequest>",
        "<CanonicalRequestBytes>47 45 54</CanonicalRequestBytes>",
        "<StringToSign>AWS4-HMAC-SHA256\n20240315T101500Z\n20240315/x/y/aws4_request\n0",
        "</StringToSign>",
        "<ServerTime>2024-03-15T11:02:03Z</ServerTime><RequestTime>bad</RequestTime>",
        "<Expires>2024-99-15T11:15:00Z</Expires>",
        "The Canonical String for this request should have been '",
        "' The String-to-Sign should have been '",
        "'",
        "Signature expired: 20240315T101500Z is now earlier than 20240315T104500Z "
        "(20240315T110000Z - 15 min.)",
        "the region 'a' is wrong; expecting 'b'",
        "Request has expired",
        "There were headers present in the request which were not signed",
        '{"__type": "InvalidSignatureException", "message": "',
        '"}',
        "HTTP/1.1 403 Forbidden\r\nx-amzn-ErrorType: X\r\n\r\n",
        "\n",
        "&amp;",
    ]
)
_REQUEST_FRAGMENTS = st.sampled_from(
    [
        "GET /a%20b?x=1&x=2 HTTP/1.1\r\n",
        "PUT /k HTTP/1.0\n",
        "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256",
        "&X-Amz-Credential=AKID%2F20240315%2Fus-east-1%2Fs3%2Faws4_request",
        "&X-Amz-Date=20240315T101500Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host",
        "&X-Amz-Signature=00&AWSAccessKeyId=A&Signature=B",
        "Host: b.s3.amazonaws.com\r\n",
        "X-Amz-Date: 20240315T101500Z\r\n",
        "X-Amz-Content-SHA256: UNSIGNED-PAYLOAD\r\n",
        "X-Amz-Security-Token: tok\r\n",
        "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20240315/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=00\r\n",
        "Authorization: AWS AKID:sig\r\n",
        "Content-Length: 2\r\n",
        "\r\n",
        "{}",
    ]
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    error=st.one_of(ANY_TEXT, st.lists(_FRAGMENTS, max_size=12).map("".join)),
    request=st.one_of(
        ANY_TEXT, st.binary(max_size=300), st.lists(_REQUEST_FRAGMENTS, max_size=10).map("".join)
    ),
)
def test_arbitrary_text_gives_a_diagnosis_or_a_sigv4_error(
    error: str, request: str | bytes
) -> None:
    try:
        diagnosis = diagnose(error, request)
    except SigV4Error:
        return
    assert diagnosis.cause in CAUSES
    assert isinstance(str(diagnosis), str)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(error=st.lists(_FRAGMENTS, max_size=12).map("".join), shape=st.sampled_from(SHAPES))
def test_arbitrary_errors_about_a_signed_request_give_a_diagnosis_or_a_sigv4_error(
    error: str, shape: str
) -> None:
    client = s3().presign("GET", f"{BUCKET_URL}/k", timestamp=WHEN)
    for body in (error, error_body(shape, error, error, client.signature)):
        try:
            diagnosis = diagnose(body, client)
        except SigV4Error:
            continue
        assert diagnosis.cause in CAUSES
