"""Reading received requests: the compiled twin against the pure twin.

``split_url``, ``presigned_parts``, ``amz_date_seconds`` and ``request_to_sign`` (the
core functions the verifier reads a request with) must return equal results in both
twins, or raise the same exception with the same message, for arbitrary input:
malformed escapes, duplicated parameters, non-ASCII text, lone surrogates, odd ports.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastsigv4 import _core_py
from fastsigv4._time import _fields_to_datetime, parse_amz_date

if os.environ.get("FASTSIGV4_NO_EXTENSIONS", "") not in ("", "0"):
    pytest.skip(
        "FASTSIGV4_NO_EXTENSIONS is set: the compiled twin is disabled", allow_module_level=True
    )

_core_c: ModuleType = pytest.importorskip("fastsigv4._core_c")

# Both twins are called directly: once per routed twin would only repeat the work.
pytestmark = pytest.mark.python_only

PROPERTY = settings(max_examples=2000, deadline=None)


def outcome(call: Callable[[], object]) -> tuple[object, ...]:
    try:
        result = call()
    except Exception as exc:
        return ("raised", type(exc), str(exc))
    return ("returned", type(result), result)


def assert_twins_agree(name: str, *args: object) -> tuple[object, ...]:
    expected = outcome(lambda: getattr(_core_py, name)(*args))
    assert outcome(lambda: getattr(_core_c, name)(*args)) == expected
    return expected


# --- strategies ---------------------------------------------------------------------------

SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)

# fmt: off
URL_PIECES = [
    "https://", "HTTP://", "ws://", "wss://", "s3+x://", "1a://", "://", ":", "//", "/", "?",
    "@", "user:pw@", "@@", "[", "]", "[::1]", "[::1]:8080", ":0", ":00443", ":443", ":80",
    ":65535", ":65536", ":99999999999999999999", ":8a", ":²", ":٨٠", "#", "%", "%2F", " ",
    "\t", "\x00", "\x7f", "é", "EXAMPLE.com", "b.s3.amazonaws.com", "a", "x=1&y", "&",
]
QUERY_NAMES = [
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
    "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token", "AWSAccessKeyId",
    "Signature", "X-Amz-%44ate", "X-Amz-Signatur%65", "X-Amz-Signature%", "x-amz-date",
    "%58-Amz-Expires", "", "a", "é", "%C3%A9", "%zz", "X-Amz-Date ",
]
QUERY_VALUES = [
    "", "AWS4-HMAC-SHA256", "AKID%2F20240101%2Fus-east-1%2Fs3%2Faws4_request",
    "AKID/20240101/us-east-1/s3/aws4_request", "20240101T000000Z", "20240230T000000Z",
    "3600", "0", "-5", "9" * 20, "%33600", "host", "host%3Bx-amz-date", "0" * 64,
    "%", "%zz", "%4", "%%41", "%C3%A9", "%C3", "%FF", "%2f", "+", " ", "=", "é", "😀",
    "a%2Bb%3D%3D", "%E2%82", "%E2%82¬",
]
# fmt: on

URL_TEXT = st.one_of(
    st.lists(st.one_of(st.sampled_from(URL_PIECES), st.characters()), max_size=14).map("".join),
    st.builds(
        "{}{}{}{}{}".format,
        st.sampled_from(["https://", "http://", "HTTPS://", "ws://", "x+y://"]),
        st.sampled_from(["", "u@", "u:p@", "@"]),
        st.sampled_from(["h", "Example.COM", "b.s3.us-east-1.amazonaws.com", "[::1]", "h h"]),
        st.sampled_from(["", ":80", ":443", ":0443", ":8080", ":0", ":", ":x"]),
        st.text(max_size=30),
    ),
    st.text(max_size=40),
)
PIECES = st.one_of(
    st.builds(
        "{}={}".format,
        st.sampled_from(QUERY_NAMES),
        st.one_of(st.sampled_from(QUERY_VALUES), st.text(max_size=8)),
    ),
    st.sampled_from(QUERY_NAMES),
    st.text(max_size=8),
    st.just(""),
)
QUERIES = st.one_of(
    st.lists(PIECES, max_size=10).map("&".join),
    st.lists(st.one_of(st.sampled_from(QUERY_VALUES), SURROGATES), max_size=6).map("&".join),
    st.text(max_size=40),
)
AMZ_DATES = st.one_of(
    st.builds(
        "{:04d}{:02d}{:02d}T{:02d}{:02d}{:02d}Z".format,
        st.integers(0, 9999),
        st.integers(0, 13),
        st.integers(0, 32),
        st.integers(0, 25),
        st.integers(0, 61),
        st.integers(0, 61),
    ),
    st.sampled_from(["20240101T000000Z", "2024010lT000000Z", "\uff120240101T000000Z", "x", ""]),
    st.text(max_size=17),
)


# --- properties ----------------------------------------------------------------------------


@PROPERTY
@given(url=URL_TEXT)
def test_split_url(url: str) -> None:
    result = assert_twins_agree("split_url", url)
    if result[0] == "raised":
        assert result[1].__name__ == "InvalidRequestError"  # type: ignore[union-attr]


@PROPERTY
@given(query=QUERIES, drop_token=st.booleans())
def test_presigned_parts(query: str, drop_token: bool) -> None:
    result = assert_twins_agree("presigned_parts", query, drop_token)
    assert result[0] == "returned"  # errors are reported in the result, never raised
    parts: Any = result[2]
    canonical, error = parts[:2]
    assert (canonical is None) != (error is None) or parts[2] is not None
    if canonical is not None:
        # The canonical query is canonical_query's, of every parameter but the signature.
        assert _core_py.canonical_query(canonical) == canonical


@PROPERTY
@given(text=AMZ_DATES)
def test_amz_date_seconds(text: str) -> None:
    result = assert_twins_agree("amz_date_seconds", text)
    instant = parse_amz_date(text)
    expected = None if instant is None else int(instant.timestamp())
    assert result == ("returned", type(expected), expected)


HEADER_NAMES = st.sampled_from(["host", "content-type", "x-amz-date", "x-amz-meta-é", "a", ""])
HEADER_VALUES = st.one_of(
    st.sampled_from(["h", " a  b ", "a\r\n b", "é", "\x00", "a,b", "\ud800", ""]),
    st.text(max_size=10),
)


@PROPERTY
@given(
    method=st.sampled_from(["GET", "PUT", "é", "\ud800"]),
    path=st.one_of(st.sampled_from(["", "/", "/a b/./c/../d", "//x", "/%2F%zz", "/é"]), st.text()),
    double_encode=st.booleans(),
    normalize=st.booleans(),
    query=st.sampled_from(["", "a=b", "X-Amz-Date=20240101T000000Z&a="]),
    headers=st.dictionaries(HEADER_NAMES, st.lists(HEADER_VALUES, max_size=3), max_size=4),
    extra_names=st.lists(HEADER_NAMES, max_size=3),
    payload_hash=st.sampled_from(["UNSIGNED-PAYLOAD", "é"]),
    amz_date=st.sampled_from(["20240101T000000Z", "é"]),
    scope=st.sampled_from(["20240101/us-east-1/s3/aws4_request", "\ud800"]),
)
def test_request_to_sign(
    method: str,
    path: str,
    double_encode: bool,
    normalize: bool,
    query: str,
    headers: dict[str, list[str]],
    extra_names: list[str],
    payload_hash: str,
    amz_date: str,
    scope: str,
) -> None:
    # Usually the verifier's case (sorted unique names, each in headers); sometimes not.
    names = sorted(headers) if not extra_names else [*sorted(headers), *extra_names]
    assert_twins_agree(
        "request_to_sign",
        method,
        path,
        double_encode,
        normalize,
        query,
        headers,
        tuple(names),
        payload_hash,
        amz_date,
        scope,
    )


@PROPERTY
@given(text=AMZ_DATES)
def test_fromisoformat_reads_amz_dates_as_the_fields_do(text: str) -> None:
    # parse_amz_date's Python >= 3.11 reader (datetime.fromisoformat) and the field-by-field
    # one of 3.10 agree on every text of the checked shape.
    instant = parse_amz_date(text)
    if instant is None:
        return
    assert _fields_to_datetime(text) == instant
    assert repr(_fields_to_datetime(text)) == repr(instant)


# --- examples ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://User@Ex.com:0443/a?b=1?c", ("https://User@ex.com", "ex.com", "/a", "b=1?c")),
        ("http://h:8080?x", ("http://h:8080", "h:8080", "", "x")),
        ("ws://@H:080/p", ("ws://@h", "h", "/p", "")),
        ("https://h:/x", ("https://h", "h", "/x", "")),
        ("https://[::1]:8/x", ("https://[::1]:8", "[::1]:8", "/x", "")),
    ],
)
def test_split_url_examples(url: str, expected: tuple[str, str, str, str]) -> None:
    assert _core_py.split_url(url) == _core_c.split_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://h:²/",
        "https://h:٨٠/",
        "https://h:000080/",
        "https://h:0/",
        "https://h:65536/",
        "https://a b/",
        "1x://h",
        "h",
    ],
)
def test_split_url_errors(url: str) -> None:
    result = assert_twins_agree("split_url", url)
    assert result[0] == "raised"
    assert result[1].__name__ == "InvalidRequestError"  # type: ignore[union-attr]


PRESIGNED_QUERY = (
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240101%2Fus-east-1%2Fs3%2F"
    "aws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
    "&X-Amz-Security-Token=a%2Bb&X-Amz-Signature=" + "0" * 64
)


@pytest.mark.parametrize("twin", [_core_py, _core_c], ids=["python", "c"])
def test_presigned_parts_example(twin: ModuleType) -> None:
    parts = twin.presigned_parts("versionId=3&" + PRESIGNED_QUERY)
    assert parts == (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240101%2Fus-east-1%2Fs3%2F"
        "aws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600&X-Amz-Security-Token="
        "a%2Bb&X-Amz-SignedHeaders=host&versionId=3",
        None,
        None,
        False,
        "AWS4-HMAC-SHA256",
        "AKID/20240101/us-east-1/s3/aws4_request",
        "20240101T000000Z",
        "3600",
        "host",
        "0" * 64,
        "a+b",
        1704067200,
        3600,
    )
    assert "X-Amz-Security-Token" not in twin.presigned_parts(PRESIGNED_QUERY, True)[0]
    duplicated = twin.presigned_parts(PRESIGNED_QUERY + "&X-Amz-%44ate=1")
    assert duplicated[2] == "X-Amz-Date"
    malformed = twin.presigned_parts(PRESIGNED_QUERY + "&a=%zz")
    assert malformed[0] is None
    assert malformed[1] == (
        "a query parameter value contains a '%' that is not followed by two hex digits; "
        "encode a literal '%' as %25"
    )
    assert twin.presigned_parts("AWSAccessKeyId=a&b&Signature=s")[3] is True


# --- VerifiedRequest: a value, like the frozen dataclass it replaces --------------------------


def _verified() -> Any:
    from fastsigv4.verifier import VerifiedRequest

    return VerifiedRequest(
        "AKID",
        datetime(2024, 6, 1, 12, tzinfo=timezone.utc),
        "us-east-1",
        "s3",
        ("host",),
        "query",
        datetime(2024, 6, 1, 13, tzinfo=timezone.utc),
        "UNSIGNED-PAYLOAD",
    )


def test_verified_request_from_seconds_equals_the_public_constructor() -> None:
    from fastsigv4.verifier import VerifiedRequest, _new_tuple

    built = _verified()
    start = int(built.date.timestamp())
    stored = ("AKID", None, "us-east-1", "s3", ("host",), "query", None, "UNSIGNED-PAYLOAD")
    fast = _new_tuple(VerifiedRequest, (*stored, start, start + 3600))
    assert fast == built
    assert not fast.__ne__(built)
    assert hash(fast) == hash(built)
    assert repr(fast) == repr(built) == (
        "VerifiedRequest(access_key_id='AKID', date=datetime.datetime(2024, 6, 1, 12, 0, "
        "tzinfo=datetime.timezone.utc), region='us-east-1', service='s3', "
        "signed_headers=('host',), auth_type='query', expires_at=datetime.datetime(2024, 6, 1, "
        "13, 0, tzinfo=datetime.timezone.utc), payload_sha256='UNSIGNED-PAYLOAD')"
    )
    assert fast.expires_at - fast.date == timedelta(hours=1)
    assert pickle.loads(pickle.dumps(fast)) == built


def test_verified_request_is_immutable_and_unordered() -> None:
    from fastsigv4.verifier import VerifiedRequest

    verified = _verified()
    with pytest.raises(AttributeError):
        verified.region = "eu-west-1"
    with pytest.raises(AttributeError):
        verified.other = 1
    with pytest.raises(TypeError):
        _ = verified < verified  # type: ignore[operator]
    assert verified != ("AKID",)
    match verified:
        case VerifiedRequest("AKID", _, "us-east-1", auth_type="query"):
            pass
        case _:
            pytest.fail("VerifiedRequest matches by position and by field name")
