"""Conformance: every public SigV4 vector, byte for byte, on both core twins.

The vectors are copies of upstream files (tests/vectors/README.md says where from);
none is ever edited to make a test pass.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

import pytest

import fastsigv4
from fastsigv4 import Credentials, Signer, SigningSettings
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


def _target(url: str) -> str:
    """The request target (path and query) of an absolute URL."""
    rest = url.partition("://")[2]
    slash = rest.find("/")
    return rest[slash:]


def _query_set(target: str) -> list[str]:
    return sorted(target.partition("?")[2].split("&"))


def _lowercase_names(headers: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    return [(name.lower(), value) for name, value in headers]


# --- aws-c-auth v4 suite -----------------------------------------------------


def _aws_c_auth_signer(case: AwsCAuthCase) -> Signer:
    credentials = Credentials(case.access_key_id, case.secret_access_key, case.session_token)
    settings = SigningSettings(
        double_uri_encode=True,
        normalize_path=case.normalize,
        session_token_mode="append_after_signing" if case.omit_session_token else "include",
        add_content_sha256_header=case.sign_body,
    )
    return Signer(credentials, case.region, case.service, settings=settings)


@pytest.mark.parametrize("case", AWS_C_AUTH, ids=lambda case: case.name)
def test_aws_c_auth_header_signing(case: AwsCAuthCase) -> None:
    signed = _aws_c_auth_signer(case).sign(
        case.request.method,
        request_url(case.request),
        case.request.headers,
        case.request.body,
        timestamp=case.timestamp,
    )
    assert signed.canonical_request == case.header.canonical_request
    assert signed.string_to_sign == case.header.string_to_sign
    assert signed.signature == case.header.signature
    expected = case.header.signed_request
    assert signed.method == expected.method
    assert _target(signed.url) == expected.target
    # The suite writes the one header it adds in lowercase (x-amz-content-sha256).
    assert _lowercase_names(signed.headers) == _lowercase_names(expected.headers)


@pytest.mark.parametrize("case", AWS_C_AUTH, ids=lambda case: case.name)
def test_aws_c_auth_query_signing(case: AwsCAuthCase) -> None:
    presigned = _aws_c_auth_signer(case).presign(
        case.request.method,
        request_url(case.request),
        expires=case.expires,
        headers=case.request.headers,
        body=case.request.body if case.sign_body else None,
        timestamp=case.timestamp,
    )
    assert presigned.canonical_request == case.query.canonical_request
    assert presigned.string_to_sign == case.query.string_to_sign
    assert presigned.signature == case.query.signature
    expected = case.query.signed_request
    target = _target(presigned.url)
    assert target.partition("?")[0] == expected.target.partition("?")[0]
    # The suite's signed URL lists the X-Amz-* parameters in another order: compare as a set.
    assert _query_set(target) == _query_set(expected.target)
    # Every caller header is signed in this suite: the client must send them all but Host.
    assert list(presigned.headers) == [
        (name, value) for name, value in expected.headers if name.lower() != "host"
    ]


def test_aws_c_auth_suite_is_complete() -> None:
    assert len(AWS_C_AUTH) == 38


# --- botocore's aws4_testsuite ---------------------------------------------


def _botocore_inputs(case: BotocoreCase) -> tuple[Signer, list[tuple[str, str]]]:
    """The signer and unsigned headers botocore's runner would use for a case."""
    token, mode = botocore_session_token(case)
    signer = Signer(
        Credentials(BOTOCORE_ACCESS_KEY, BOTOCORE_SECRET, token),
        BOTOCORE_REGION,
        BOTOCORE_SERVICE,
        settings=SigningSettings(session_token_mode=mode),
    )
    # The suite's .req already carries X-Amz-Date; the signer adds it from timestamp=.
    headers = [
        (name, value)
        for name, value in case.request.headers
        if name.lower() not in ("x-amz-date", "x-amz-security-token")
    ]
    return signer, headers


@pytest.mark.parametrize("case", BOTOCORE, ids=lambda case: case.name)
def test_botocore_suite(case: BotocoreCase) -> None:
    signer, headers = _botocore_inputs(case)
    signed = signer.sign(
        case.request.method,
        request_url(case.request),
        headers,
        case.request.body,
        timestamp=BOTOCORE_TIMESTAMP,
    )
    assert signed.canonical_request == case.canonical_request
    assert signed.string_to_sign == case.string_to_sign
    authorization = dict(signed.headers)["Authorization"]
    assert authorization == case.authorization
    if case.signed_request is None:
        return
    sent = sorted((name.lower(), value.strip()) for name, value in signed.headers)
    expected = sorted((name.lower(), value.strip()) for name, value in case.signed_request.headers)
    if is_sreq_known_bad(case):
        # Upstream defect: this .sreq carries plain get-vanilla's signature; its .authz
        # (checked above, and equal to aws-c-auth's) is the right one.
        assert case.authorization.rsplit("=", 1)[1] not in dict(expected)["authorization"]
        return
    assert sent == expected


def test_botocore_suite_is_complete() -> None:
    assert len(BOTOCORE) == 34


# --- S3 documentation examples ---------------------------------------------


def _example_signer(example: dict[str, Any]) -> Signer:
    credentials = example["credentials"]
    return Signer(
        Credentials(credentials["access_key_id"], credentials["secret_access_key"]),
        example["region"],
        example["service"],
    )


HEADER_EXAMPLES = s3_doc_header_examples(S3_DOC)
PRESIGN_EXAMPLES = s3_doc_presign_examples(S3_DOC)


@pytest.mark.parametrize("example", HEADER_EXAMPLES, ids=lambda example: example["id"])
def test_s3_documentation_header_examples(example: dict[str, Any]) -> None:
    added_by_signer = {"host", "x-amz-date", "x-amz-content-sha256"}
    headers = [
        (name, value)
        for name, value in example["signed_headers_values"]
        if name not in added_by_signer
    ]
    body = example["payload"].get("body", "").encode()
    assert hashlib.sha256(body).hexdigest() == example["payload"]["sha256"]
    signed = _example_signer(example).sign(
        example["method"],
        s3_doc_example_url(example),
        headers,
        body,
        timestamp=example["timestamp"],
    )
    assert signed.canonical_request == example["canonical_request"]
    assert signed.string_to_sign == example["string_to_sign"]
    assert signed.signature == example["signature"]
    documented = example.get("authorization_as_documented")
    if documented is not None:
        # The documentation prints ',' where SDKs send ', '; the fields are the same.
        assert dict(signed.headers)["Authorization"].replace(", ", ",") == documented


@pytest.mark.parametrize("example", PRESIGN_EXAMPLES, ids=lambda example: example["id"])
def test_s3_documentation_presign_example(example: dict[str, Any]) -> None:
    url = s3_doc_example_url(example, include_query=False)
    presigned = _example_signer(example).presign(
        example["method"],
        url,
        expires=example["expires_in_seconds"],
        timestamp=example["timestamp"],
    )
    assert presigned.canonical_request == example["canonical_request"]
    assert presigned.string_to_sign == example["string_to_sign"]
    assert presigned.signature == example["signature"]
    assert presigned.url == url + example["signed_query_string_as_found"]


def test_s3_documentation_chunked_upload_seed_signature() -> None:
    upload = S3_DOC["chunked_upload"]
    values = dict(upload["signed_headers_values"])
    headers = [
        (name, value)
        for name, value in upload["signed_headers_values"]
        if name not in ("host", "x-amz-date", "x-amz-content-sha256")
    ]
    signed = _example_signer(upload).sign(
        upload["method"],
        "https://" + values["host"] + upload["path"],
        headers,
        payload_sha256=values["x-amz-content-sha256"],
        timestamp=upload["timestamp"],
    )
    seed = upload["seed"]
    assert signed.canonical_request == seed["canonical_request"]
    assert signed.string_to_sign == seed["string_to_sign"]
    assert signed.signature == seed["signature"]


def test_s3_documentation_examples_are_all_covered() -> None:
    assert len(HEADER_EXAMPLES) == 4
    assert len(PRESIGN_EXAMPLES) == 1


# --- botocore's fixed-signature presign cases and canonicalization facts -----


@pytest.mark.parametrize("case", BOTOCORE_S3["cases"], ids=lambda case: case["id"])
def test_botocore_presign_cases(case: dict[str, Any]) -> None:
    inputs = case["inputs"]
    derived = case["derived_here"]
    credentials = inputs["credentials"]
    settings = fastsigv4.S3_SETTINGS if case["botocore_signer"] in S3_QUERY_SIGNERS else None
    signer = Signer(
        Credentials(
            credentials["access_key_id"],
            credentials["secret_access_key"],
            credentials.get("session_token"),
        ),
        inputs["region"],
        inputs["service"],
        settings=settings,
    )
    query = "&".join(
        quote(key, safe="-_.~") + "=" + quote(value, safe="-_.~")
        for key, value in inputs["query_before_signing"]
    )
    url = "https://" + inputs["host"] + inputs["path"] + ("?" + query if query else "")
    # botocore's STS presigner signs the operation's method (POST) for a GET URL.
    method = derived.get("method_in_canonical_request", inputs["method"])
    presigned = signer.presign(
        method, url, expires=inputs["expires_in_seconds"], timestamp=inputs["timestamp"]
    )
    assert presigned.canonical_request == derived["canonical_request"]
    assert presigned.string_to_sign == derived["string_to_sign"]
    assert presigned.signature == case["expected_from_source"]["X-Amz-Signature"]
    assert presigned.url.endswith("&X-Amz-Signature=" + presigned.signature)
    if query:
        assert presigned.url.startswith(url + "&X-Amz-Algorithm=")


def _fact(test_name: str) -> dict[str, Any]:
    return next(
        fact
        for fact in BOTOCORE_S3["canonicalization_facts"]
        if test_name in fact["source"]["test"]
    )


def test_botocore_fact_query_strings() -> None:
    for test_name in ("test_query_string_params_in_urls", "test_canonical_query_string"):
        fact = _fact(test_name)
        query = fact["input_url"].partition("?")[2]
        assert fastsigv4._core.canonical_query(query) == fact["expected_canonical_query_string"]


def test_botocore_fact_whitespace() -> None:
    fact = _fact("test_collapse_multiple_spaces")
    for value, line in zip(fact["header_value_in"], fact["canonical_header_line_out"], strict=True):
        block, _ = fastsigv4._core.canonical_headers([("foo", value)])
        assert block == line + "\n"


def test_botocore_fact_default_ports_and_userinfo() -> None:
    fact = _fact("test_strips_http_default_port")
    signer = Signer(Credentials("AKID", "secret"), "us-west-2", "s3")
    for url in fact["url_in"]:
        signed = signer.sign("GET", url, timestamp="20150830T123600Z")
        assert dict(signed.headers)["Host"] == fact["signed_host_out"]
        assert "\nhost:" + fact["signed_host_out"] + "\n" in signed.canonical_request


def test_botocore_fact_never_signed_headers() -> None:
    fact = _fact("test_blocklist")
    for settings in (fastsigv4.DEFAULT_SETTINGS, fastsigv4.S3_SETTINGS):
        for name in fact["headers_never_signed"]:
            assert not settings.is_signed_header(name), name
