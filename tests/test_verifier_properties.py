"""Verifier properties: botocore-signed requests verify; any input gives a result or a
VerificationError/SigV4Error, never another exception; both twins agree.

botocore is the independent signer here (its clock frozen as in
test_botocore_differential), so a request it signs for an arbitrary key, query or header
set must verify, and the same request with one byte changed must not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastsigv4 import Credentials, SigV4Error, Verifier, _core, _core_py, inspect_request
from fastsigv4.errors import SignatureDoesNotMatchError, VerificationError
from test_botocore_differential import (
    ACCESS_KEY,
    AMZ_DATE,
    EXPIRES,
    FROZEN_NOW,
    GENERIC_ORIGIN,
    GENERIC_SERVICE,
    HEADER_VALUE,
    S3_KEYS,
    SECRET_KEY,
    SESSION_TOKEN,
    _RecS3SigV4Auth,
    _RecS3SigV4QueryAuth,
    _RecSigV4Auth,
    botocore_s3_url,
    botocore_sign,
    frozen_botocore_clock,
)

NOW = FROZEN_NOW.replace(tzinfo=dt.timezone.utc)
VERIFIER = Verifier({ACCESS_KEY: SECRET_KEY}, clock=lambda: NOW)
VERIFIER_WITH_TOKEN = Verifier(
    {ACCESS_KEY: Credentials(ACCESS_KEY, SECRET_KEY, SESSION_TOKEN)}, clock=lambda: NOW
)
EXAMPLES = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module", autouse=True)
def _frozen_clock() -> Iterator[None]:
    with frozen_botocore_clock(FROZEN_NOW):
        yield


def _flip_one_byte(url: str, position: int) -> str | None:
    """The URL with one path byte changed, or None when the path has no letter to flip."""
    head, _, query = url.partition("?")
    start = head.index("/", len("https://"))
    letters = [i for i in range(start, len(head)) if head[i].isalpha() and head[i].isascii()]
    if not letters:
        return None
    i = letters[position % len(letters)]
    swapped = head[i].swapcase()
    return head[:i] + swapped + head[i + 1 :] + ("?" + query if query else "")


@EXAMPLES
@given(key=S3_KEYS, token=st.booleans(), position=st.integers(0, 1000))
def test_botocore_presigned_s3_urls_verify(key: str, token: bool, position: int) -> None:
    theirs = botocore_sign(
        _RecS3SigV4QueryAuth,
        "GET",
        botocore_s3_url(key),
        service="s3",
        token=token,
        expires=EXPIRES,
    )
    verifier = VERIFIER_WITH_TOKEN if token else VERIFIER
    verified = verifier.verify("GET", theirs.url)
    assert verified.expires_at == NOW + dt.timedelta(seconds=EXPIRES)
    assert inspect_request("GET", theirs.url).canonical_request == theirs.canonical_request
    tampered = _flip_one_byte(theirs.url, position)
    if tampered is not None:
        with pytest.raises(SignatureDoesNotMatchError):
            verifier.verify("GET", tampered)


@EXAMPLES
@given(
    key=S3_KEYS,
    headers=st.lists(
        st.tuples(st.sampled_from(["X-Amz-Meta-A", "Content-Type", "X-Amz-Meta-B"]), HEADER_VALUE),
        max_size=3,
    ),
    body=st.binary(max_size=64),
    query=st.sampled_from(["", "tagging", "uploads=&x=%20y", "versionId=a%2Bb"]),
)
def test_botocore_header_signed_s3_requests_verify(
    key: str, headers: list[tuple[str, str]], body: bytes, query: str
) -> None:
    url = botocore_s3_url(key) + ("?" + query if query else "")
    theirs = botocore_sign(_RecS3SigV4Auth, "PUT", url, headers, body, service="s3")
    verified = VERIFIER.verify("PUT", theirs.url, theirs.headers, body)
    assert verified.auth_type == "header"
    with pytest.raises(VerificationError):
        VERIFIER.verify("PUT", theirs.url, theirs.headers, body + b"!")


@EXAMPLES
@given(
    path=st.sampled_from(["/", "/a b", "/a/./b/../c", "//x//y", "/%7Euser", "/é"]),
    query=st.lists(
        st.tuples(
            st.text(alphabet="ab+ %&=é/~", min_size=1, max_size=5),
            st.text(alphabet="ab+ %&=é/~", max_size=5),
        ),
        max_size=4,
    ),
    body=st.binary(max_size=64),
)
def test_botocore_header_signed_generic_requests_verify(
    path: str, query: list[tuple[str, str]], body: bytes
) -> None:
    from urllib.parse import quote

    encoded = "&".join(quote(k, safe="") + "=" + quote(v, safe="") for k, v in query)
    url = GENERIC_ORIGIN + quote(path, safe="/%~") + ("?" + encoded if encoded else "")
    theirs = botocore_sign(_RecSigV4Auth, "POST", url, [], body, service=GENERIC_SERVICE)
    VERIFIER.verify("POST", theirs.url, theirs.headers, body)


AUTH_PARTS = st.sampled_from(
    [
        "AWS4-HMAC-SHA256",
        " ",
        "Credential=",
        f"{ACCESS_KEY}/20150830/us-east-1/s3/aws4_request",
        "/",
        ",",
        ", ",
        "SignedHeaders=",
        "host;x-amz-date",
        ";",
        "Signature=",
        "0" * 64,
        "=",
        "é",
        "\t",
        "AWS ",
        ":",
    ]
)
QUERY_PARTS = st.sampled_from(
    [
        "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        f"X-Amz-Credential={ACCESS_KEY}%2F20150830%2Fus-east-1%2Fs3%2Faws4_request",
        f"X-Amz-Date={AMZ_DATE}",
        "X-Amz-Expires=60",
        "X-Amz-Expires=-1",
        "X-Amz-SignedHeaders=host",
        "X-Amz-Signature=" + "0" * 64,
        "X-Amz-Security-Token=t",
        "AWSAccessKeyId=a",
        "Signature=s",
        "%",
        "%zz",
        "a=%C3",
        "=",
        "&",
        "é",
        "X-Amz-Date=",
    ]
)


def _outcome(call: Any) -> tuple[str, str]:
    try:
        result = call()
    except SigV4Error as error:
        return type(error).__name__, str(error)
    return "ok", repr(result)


@settings(max_examples=1500, deadline=None)
@given(
    authorization=st.lists(AUTH_PARTS, max_size=14).map("".join),
    query=st.lists(QUERY_PARTS, max_size=9).map("&".join),
    date=st.sampled_from([AMZ_DATE, "", "x", "20150830T123600", "Sun, 30 Aug 2015 12:36:00 GMT"]),
    extra=st.lists(st.tuples(st.sampled_from(["x-amz-a", "Host", "Date", "a"]), HEADER_VALUE)),
    use_authorization=st.booleans(),
)
@pytest.mark.python_only
def test_any_request_gives_a_result_or_a_sigv4_error_and_both_twins_agree(
    authorization: str,
    query: str,
    date: str,
    extra: list[tuple[str, str]],
    use_authorization: bool,
) -> None:
    headers = [("X-Amz-Date", date), *extra]
    if use_authorization:
        headers.append(("Authorization", authorization))
    url = "https://examplebucket.s3.amazonaws.com/k" + ("?" + query if query else "")
    outcomes = []
    twins = [_core_py] + ([_core.compiled_twin()] if _core.compiled_twin() is not None else [])
    for twin in twins:
        with _core.using(twin):  # type: ignore[arg-type]
            outcomes.append(
                (
                    _outcome(lambda: VERIFIER.verify("GET", url, headers)),
                    _outcome(lambda: inspect_request("GET", url, headers)),
                )
            )
    assert all(outcome == outcomes[0] for outcome in outcomes)
