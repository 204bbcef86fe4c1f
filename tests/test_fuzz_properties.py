"""Hypothesis properties over every parser and entry point of the public API.

URL parsing (Signer.sign / presign, S3Presigner's endpoint, the verifier), header blocks
(caller headers, received headers), query strings, S3 keys and signing times: for any
input the result is a value or a fastsigv4.SigV4Error, never another exception, and the
compiled and the pure core twin agree exactly (results, or exception type and message).

The inputs come from the same generators as the atheris harness (``fuzz/twin_cases.py``),
decoded from bytes that Hypothesis draws and, on a failure, shrinks; the failure message
names the call, both twins' outcomes and the decoded arguments. Each example runs on both
twins itself, so these tests run once (``python_only``); with FASTSIGV4_NO_EXTENSIONS=1
only the SigV4Error rule is left to check.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastsigv4 import Credentials, S3Presigner, Signer
from fastsigv4.verifier import inspect_request
from fuzz import twin_cases
from fuzz.twin_cases import ByteSource, Case, Check

pytestmark = pytest.mark.python_only


PROPERTY = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FOCUSED = settings(PROPERTY, max_examples=400)
TEXT = settings(PROPERTY, max_examples=200)  # st.text examples cost more to generate

SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
CHARACTERS = st.one_of(st.characters(), SURROGATES)
TIMESTAMP = "20240601T120000Z"
CREDENTIALS = Credentials(twin_cases.ACCESS_KEY, twin_cases.SECRET)
AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240601/us-east-1/execute-api/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
)


# One draw per example: the bytes a twin_cases.ByteSource decodes into a case. Hypothesis
# shrinks a failure by shortening and zeroing them, which decodes to simpler, mostly
# valid arguments (every choice's first option).
BYTES = st.binary(max_size=1024)


def run_checks(case: Case) -> None:
    twin_cases.check_case(case)


# --- every generated target: the atheris harness's inputs -----------------------------------


@pytest.mark.parametrize("target", sorted(twin_cases.API_TARGETS))
@PROPERTY
@given(data=BYTES)
def test_public_api(target: str, data: bytes) -> None:
    run_checks(twin_cases.API_TARGETS[target](ByteSource(data)))


@pytest.mark.parametrize("target", sorted(twin_cases.CORE_TARGETS))
@settings(PROPERTY, max_examples=150)
@given(data=BYTES)
def test_core_functions(target: str, data: bytes) -> None:
    run_checks(twin_cases.CORE_TARGETS[target](ByteSource(data)))


# --- one parser at a time, everything else valid ---------------------------------------------


def url_checks(url: str) -> Case:
    def signed(service: str) -> Callable[[ModuleType], object]:
        return lambda twin: Signer(CREDENTIALS, "us-east-1", service).sign(
            "GET", url, timestamp=TIMESTAMP
        )

    def presigned(service: str) -> Callable[[ModuleType], object]:
        return lambda twin: Signer(CREDENTIALS, "us-east-1", service).presign(
            "GET", url, timestamp=TIMESTAMP
        )

    def endpoint(twin: ModuleType) -> object:
        presigner = S3Presigner(
            CREDENTIALS, "us-east-1", "bucket", endpoint=url, timestamp=TIMESTAMP
        )
        return presigner.presign("key")

    def inspected(twin: ModuleType) -> object:
        headers = [("Authorization", AUTHORIZATION), ("X-Amz-Date", TIMESTAMP)]
        return inspect_request("GET", url, headers)

    inputs = twin_cases.describe(url=url)
    return [
        Check("Signer.sign(url), default rules", signed("execute-api"), inputs=inputs),
        Check("Signer.sign(url), S3 rules", signed("s3"), inputs=inputs),
        Check("Signer.presign(url), default rules", presigned("execute-api"), inputs=inputs),
        Check("Signer.presign(url), S3 rules", presigned("s3"), inputs=inputs),
        Check("S3Presigner(endpoint=url)", endpoint, inputs=inputs),
        Check("inspect_request(url)", inspected, inputs=inputs),
    ]


@FOCUSED
@given(data=BYTES)
def test_url_parsing(data: bytes) -> None:
    run_checks(url_checks(twin_cases.url(ByteSource(data))))


@TEXT
@given(url=st.text(CHARACTERS, max_size=60).map(lambda tail: "https://" + tail))
def test_url_parsing_arbitrary_text(url: str) -> None:
    run_checks(url_checks(url))


def query_checks(query: str) -> Case:
    url = "https://h/p?" + query

    def signed(service: str) -> Callable[[ModuleType], object]:
        return lambda twin: Signer(CREDENTIALS, "us-east-1", service).sign(
            "GET", url, timestamp=TIMESTAMP
        )

    def presigned(twin: ModuleType) -> object:
        return Signer(CREDENTIALS, "us-east-1", "s3").presign("GET", url, timestamp=TIMESTAMP)

    def inspected(twin: ModuleType) -> object:
        return inspect_request(
            "GET", url, [("Authorization", AUTHORIZATION), ("X-Amz-Date", TIMESTAMP)]
        )

    inputs = twin_cases.describe(url=url)
    return [
        Check("Signer.sign(?query), default rules", signed("execute-api"), inputs=inputs),
        Check("Signer.sign(?query), S3 rules", signed("s3"), inputs=inputs),
        Check("Signer.presign(?query)", presigned, inputs=inputs),
        Check("inspect_request(?query)", inspected, inputs=inputs),
    ]


@FOCUSED
@given(data=BYTES)
def test_query_strings(data: bytes) -> None:
    run_checks(query_checks(twin_cases.query_string(ByteSource(data))))


@TEXT
@given(query=st.text(st.one_of(st.sampled_from("&=%+#"), CHARACTERS), max_size=40))
def test_query_strings_arbitrary_text(query: str) -> None:
    run_checks(query_checks(query))


@FOCUSED
@given(data=BYTES)
def test_header_blocks(data: bytes) -> None:
    src = ByteSource(data)
    headers = twin_cases.headers(src)
    received = twin_cases.received_headers(src)

    def signed(service: str) -> Callable[[ModuleType], object]:
        return lambda twin: Signer(CREDENTIALS, "us-east-1", service).sign(
            "PUT", "https://h/k", headers, b"body", timestamp=TIMESTAMP
        )

    def presigned(twin: ModuleType) -> object:
        return Signer(CREDENTIALS, "us-east-1", "s3").presign(
            "PUT", "https://h/k", headers=headers, timestamp=TIMESTAMP
        )

    def inspected(twin: ModuleType) -> object:
        return inspect_request("GET", "https://h/", received)

    inputs = twin_cases.describe(headers=headers, received=received)
    run_checks(
        [
            Check("Signer.sign(headers), default rules", signed("execute-api"), inputs=inputs),
            Check("Signer.sign(headers), S3 rules", signed("s3"), inputs=inputs),
            Check("Signer.presign(headers)", presigned, inputs=inputs),
            Check("inspect_request(received headers)", inspected, inputs=inputs),
        ]
    )


@TEXT
@given(
    name=st.text(st.sampled_from("aA-_!~:é\x00 "), min_size=1, max_size=8),
    value=st.text(st.one_of(st.sampled_from(" \t\r\n"), CHARACTERS), max_size=30),
)
def test_header_blocks_arbitrary_text(name: str, value: str) -> None:
    def signed(twin: ModuleType) -> object:
        return Signer(CREDENTIALS, "us-east-1", "execute-api").sign(
            "GET", "https://h/", [(name, value), ("x-b", value)], timestamp=TIMESTAMP
        )

    inputs = twin_cases.describe(name=name, value=value)
    run_checks([Check("Signer.sign([(name, value)])", signed, inputs=inputs)])


@FOCUSED
@given(data=BYTES, addressing=st.sampled_from(["auto", "path"]), token=st.booleans())
def test_s3_keys(data: bytes, addressing: Any, token: bool) -> None:
    src = ByteSource(data)
    keys = [twin_cases.s3_key(src) for _ in range(src.integer(1, 6))]
    credentials = Credentials(
        twin_cases.ACCESS_KEY, twin_cases.SECRET, twin_cases.TOKEN if token else None
    )

    def presigner() -> S3Presigner:
        return S3Presigner(
            credentials, "eu-west-1", "examplebucket", addressing=addressing, timestamp=TIMESTAMP
        )

    def per_key(twin: ModuleType) -> object:
        return [presigner().presign(key) for key in keys]

    def many(twin: ModuleType) -> object:
        return presigner().presign_many(keys)

    def chunked(twin: ModuleType) -> object:
        return list(presigner().presign_iter(keys, batch_size=2))

    def via_signer(twin: ModuleType) -> object:
        # The Signer, given the URL S3Presigner built, signs the same request.
        signer = Signer(credentials, "eu-west-1", "s3")
        urls = presigner().presign_many(keys)
        return [
            signer.presign("GET", url.partition("?")[0], timestamp=TIMESTAMP).url == url
            for url in urls
        ]

    inputs = twin_cases.describe(keys=keys, addressing=addressing, token=token)
    case = [
        Check("S3Presigner.presign(key)", per_key, inputs=inputs),
        Check("S3Presigner.presign_many(keys)", many, inputs=inputs),
        Check("S3Presigner.presign_iter(keys)", chunked, inputs=inputs),
        Check("Signer.presign(S3Presigner's URL)", via_signer, inputs=inputs),
    ]
    outcomes = twin_cases.check_case(case)
    assert outcomes[1].key() == outcomes[0].key()
    assert outcomes[2].key() == outcomes[0].key()
    if outcomes[3].kind == "returned":
        assert outcomes[3].value == [True] * len(keys)


@FOCUSED
@given(data=BYTES)
def test_signing_times(data: bytes) -> None:
    src = ByteSource(data)
    when = twin_cases.timestamp(src)

    def signed(twin: ModuleType) -> object:
        return Signer(CREDENTIALS, "us-east-1", "logs").sign("GET", "https://h/", timestamp=when)

    def presigned(twin: ModuleType) -> object:
        return Signer(CREDENTIALS, "us-east-1", "s3").presign("GET", "https://h/k", timestamp=when)

    def presigner(twin: ModuleType) -> object:
        return S3Presigner(CREDENTIALS, "us-east-1", "bucket", timestamp=when).presign("k")

    inputs = twin_cases.describe(timestamp=when)
    run_checks(
        [
            Check("Signer.sign(timestamp)", signed, inputs=inputs),
            Check("Signer.presign(timestamp)", presigned, inputs=inputs),
            Check("S3Presigner(timestamp).presign", presigner, inputs=inputs),
        ]
    )


# --- the checker itself ----------------------------------------------------------------------


def test_checker_reports_disagreements_and_foreign_exceptions() -> None:
    def foreign(twin: ModuleType) -> object:
        empty: dict[str, str] = {}
        return empty["missing"]

    def kernel_error(twin: ModuleType) -> object:
        # A kernel S3Presigner never builds: the pure twin's presign raises UnicodeEncodeError.
        kernel = twin.PresignKernel(twin.SigningKey(b"k"), "https://h/", "\ud800", "", "", "?")
        return kernel.presign("key")

    with pytest.raises(twin_cases.TwinCheckError, match=r"not a fastsigv4\.SigV4Error"):
        twin_cases.check(Check("foreign", foreign))
    assert twin_cases.check(Check("internal", foreign, internal=True)).cls is KeyError
    with pytest.raises(twin_cases.TwinCheckError, match="UnicodeEncodeError"):
        twin_cases.check(Check("kernel", kernel_error))
    if len(twin_cases.TWINS) > 1:
        with pytest.raises(twin_cases.TwinCheckError, match="the twins disagree"):
            twin_cases.check(Check("implementation", lambda twin: twin.IMPLEMENTATION))
