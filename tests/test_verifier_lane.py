"""The verifier's fast lane (``read_presigned``) changes nothing but the speed.

The lane reads a presigned request of the common shape in one core call and only ever
accepts: whatever it returns must be what the full reading (``inspect_request``) finds,
both twins must return the same (None included), and ``Verifier.verify`` must give the
same result or the same error with the lane as without it.
"""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from functools import partial
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastsigv4 import (
    Credentials,
    RequestLimits,
    S3Presigner,
    Signer,
    SigningSettings,
    SigV4Error,
    Verifier,
    _core,
    _core_py,
    inspect_request,
)
from fastsigv4._core_py import amz_date_seconds
from fastsigv4.verifier import VerifiedRequest

ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEJr//////////wEaDOV+token/with+slashes=="
SIGNED_AT = datetime(2024, 6, 1, 12, 0, 0, tzinfo=timezone.utc)
LIMITS = RequestLimits()
LIMIT_NUMBERS = (
    LIMITS.max_url_length,
    LIMITS.max_query_parameters,
    LIMITS.max_headers,
    LIMITS.max_header_bytes,
)
EXAMPLES = settings(
    max_examples=700, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

_COMPILED = _core.compiled_twin()
TWINS: list[ModuleType] = [_core_py] + ([_COMPILED] if _COMPILED is not None else [])


def presigned_url(
    key: str = "photos/2024/img 1.jpg",
    *,
    service: str = "s3",
    endpoint: str = "https://bucket.s3.us-east-1.amazonaws.com",
    query: str = "",
    token: str | None = None,
    method: str = "GET",
) -> str:
    """A URL presigned by our Signer (the pure twin: independent of the twin under test)."""
    with _core.using(_core_py):
        signer = Signer(Credentials(ACCESS_KEY, SECRET, token), "us-east-1", service)
        url = f"{endpoint}/{key}" + (f"?{query}" if query else "")
        return signer.presign(method, url, expires=600, timestamp=SIGNED_AT).url


STANDARD = presigned_url()
EMPTY_CREDENTIAL = re.sub("X-Amz-Credential=[^&]*", "X-Amz-Credential=", STANDARD)


def lane(twin: ModuleType, method: str, url: str, headers: Any = None) -> Any:
    return twin.read_presigned(method, url, headers, None, LIMIT_NUMBERS)


def outcome(call: Callable[[], object]) -> tuple[str, object]:
    try:
        return "returned", call()
    except SigV4Error as error:
        return type(error).__name__, str(error)


def assert_lane_reads_as_the_full_reading(method: str, url: str, headers: Any) -> Any:
    """Both twins' lanes agree; what they accept, inspect_request reads the same way."""
    readings = [lane(twin, method, url, headers) for twin in TWINS]
    assert all(reading == readings[0] for reading in readings), readings
    reading = readings[0]
    if reading is not None:
        with _core.using(_core_py):
            full = inspect_request(method, url, headers)
        assert full.auth_type == "query"
        assert full.signed_headers == ("host",)
        assert full.date == full.amz_date[:8]
        assert reading == (
            full.access_key_id,
            full.date,
            full.region,
            full.service,
            amz_date_seconds(full.amz_date),
            full.expires,
            full.signature,
            full.payload_hash,
            full.string_to_sign,
        )
    return reading


@pytest.fixture
def no_lane(monkeypatch: pytest.MonkeyPatch) -> Callable[[], Iterator[None]]:
    """A context in which verify() takes the full reading for every request."""
    from contextlib import contextmanager

    @contextmanager
    def without() -> Iterator[None]:
        with monkeypatch.context() as patch:
            patch.setattr(_core, "read_presigned", lambda *arguments: None)
            yield

    return without


# --- what the lane takes ----------------------------------------------------------------


@pytest.mark.python_only
@pytest.mark.parametrize(
    "url",
    [
        STANDARD,
        presigned_url("a b+c/%41/~x"),
        presigned_url(service="execute-api", endpoint="https://api.example.com"),
        presigned_url(endpoint="http://127.0.0.1:9000"),
        presigned_url(endpoint="https://bucket.s3.us-east-1.amazonaws.com:443"),
        presigned_url(query="x-id=GetObject&response-content-type=text%2Fplain"),
        presigned_url(query="versionId=3&acl"),
        presigned_url(""),
    ],
    ids=[
        "standard",
        "odd-key",
        "execute-api",
        "port",
        "default-port",
        "extra",
        "valueless",
        "root",
    ],
)
def test_the_lane_reads_common_presigned_urls(url: str) -> None:
    assert assert_lane_reads_as_the_full_reading("GET", url, None) is not None
    host = url.split("/")[2].removesuffix(":443")
    headers = {"Host": host, "User-Agent": "curl/8", "Range": "0-"}
    assert assert_lane_reads_as_the_full_reading("GET", url, headers) is not None
    assert assert_lane_reads_as_the_full_reading("GET", url, list(headers.items())) is not None


@pytest.mark.python_only
@pytest.mark.parametrize(
    ("method", "url", "headers"),
    [
        ("get", STANDARD, None),
        ("GET", STANDARD.replace("https://bucket", "https://Bucket"), None),
        ("GET", STANDARD.replace("https://", "HTTPS://"), None),
        ("GET", STANDARD.replace("https://", "https://user@"), None),
        ("GET", STANDARD.replace(".com/", ".com:0/"), None),
        ("GET", STANDARD.replace(".com/", ".com:123456/"), None),
        ("GET", STANDARD.replace(".com/", ".com:/"), None),
        ("GET", STANDARD.replace("/photos", "/ph#otos"), None),
        ("GET", STANDARD.replace("/photos", "/ph\x00otos"), None),
        ("GET", STANDARD.replace("/photos", "/phötos"), None),
        ("GET", STANDARD.split("?")[0], None),
        ("GET", presigned_url(token=TOKEN), None),
        ("GET", STANDARD + "&AWSAccessKeyId=x&Signature=y", None),
        ("GET", STANDARD + "&a+b=1", None),
        ("GET", STANDARD + "&%41=1", None),
        ("GET", STANDARD + "&a=%2f", None),
        ("GET", STANDARD + "&X-Amz-Date=20240601T120000Z", None),
        ("GET", STANDARD.replace("X-Amz-Date=", "X-Amz-%44ate="), None),
        ("GET", STANDARD.replace("X-Amz-Expires=600", "X-Amz-Expires=0600a"), None),
        ("GET", STANDARD.replace("X-Amz-Expires=600", "X-Amz-Expires="), None),
        ("GET", STANDARD.replace("T120000Z", "T250000Z"), None),
        ("GET", STANDARD.replace("Date=20240601", "Date=20240602"), None),
        ("GET", STANDARD.replace("%2F20240601%2F", "/20240601/"), None),
        ("GET", STANDARD.replace("us-east-1%2F", "us%20east%2F"), None),
        ("GET", STANDARD.replace("aws4_request", "aws4_requesT"), None),
        ("GET", EMPTY_CREDENTIAL, None),
        ("GET", STANDARD.replace("SignedHeaders=host", "SignedHeaders=host%3Brange"), None),
        ("GET", STANDARD.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"), None),
        ("GET", STANDARD[:-1] + "A", None),
        ("GET", STANDARD[:-1], None),
        ("GET", STANDARD, {"X-Amz-Meta-A": "1"}),
        ("GET", STANDARD, {"Authorization": "AWS4-HMAC-SHA256 Credential=x"}),
        ("GET", STANDARD, [("Host", "a"), ("host", "a")]),
        ("GET", STANDARD, [("Host", "bucket.s3.us-east-1.amazonaws.com\r\n")]),
        ("GET", STANDARD, [("Host", "bücket")]),
        ("GET", STANDARD, [("Bad Name", "1")]),
        ("GET", STANDARD, [(b"host", b"bucket.s3.us-east-1.amazonaws.com")]),
        ("GET", STANDARD, [["Host", "bucket.s3.us-east-1.amazonaws.com"]]),
        ("GET", STANDARD, "Host: x"),
    ],
)
def test_the_lane_leaves_everything_else_to_the_full_reading(
    method: str, url: str, headers: Any
) -> None:
    assert assert_lane_reads_as_the_full_reading(method, url, headers) is None


@pytest.mark.python_only
def test_the_lane_stays_within_the_limits() -> None:
    url = presigned_url(query="a=1&b=2")
    headers = [("A", "1"), ("B", "22")]
    for twin in TWINS:
        assert twin.read_presigned("GET", url, headers, None, (len(url), 8, 2, 5)) is not None
        tighter = [(len(url) - 1, 8, 2, 5), (len(url), 7, 2, 5), (len(url), 8, 1, 5)]
        for limits in [*tighter, (len(url), 8, 2, 4)]:
            assert twin.read_presigned("GET", url, headers, None, limits) is None, limits
        assert twin.read_presigned("GET", STANDARD, None, None, (10**4, 5, 1, 1)) is None


@pytest.mark.python_only
def test_the_lane_follows_the_settings_given() -> None:
    custom = SigningSettings(double_uri_encode=True, normalize_path=True)
    url = presigned_url("a//b/../c%20d")
    for twin in TWINS:
        preset = twin.read_presigned("GET", url, None, None, LIMIT_NUMBERS)
        given_settings = twin.read_presigned("GET", url, None, custom, LIMIT_NUMBERS)
        assert preset[-2] == "UNSIGNED-PAYLOAD"
        assert given_settings[-2] != "UNSIGNED-PAYLOAD"
        with _core.using(_core_py):
            full = inspect_request("GET", url, settings=custom)
        assert given_settings[-1] == full.string_to_sign != preset[-1]


# --- properties -------------------------------------------------------------------------

KEYS = st.one_of(
    st.sampled_from(["k", "a b", "a+b", "%41", "dir//x/./y/../z", "é/😀", "~!*'()", "a=b&c"]),
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="#?%"),
        max_size=12,
    ),
)
EXTRA_QUERIES = st.sampled_from(
    ["", "x-id=GetObject", "acl", "a=1&a=0", "response-content-type=text%2Fplain", "Z=%7E", "=v"]
)
ENDPOINTS = st.sampled_from(
    [
        "https://bucket.s3.us-east-1.amazonaws.com",
        "http://127.0.0.1:9000",
        "https://b.example.com:8443",
        "http://localhost:0080",
    ]
)
# Fragments spliced into a URL to push it off the common shape, or not.
FRAGMENTS = st.sampled_from(
    [
        "&", "=", "?", "#", "%", "%2F", "%2f", "+", " ", "é", "\t", ":", ":443", "/", "..",
        "X-Amz-Date=20240601T120000Z", "X-Amz-Security-Token=t", "AWSAccessKeyId=a",
        "Signature=s", "X-Amz-Expires=0", "A", "0", "host",
    ]
)  # fmt: skip
HEADER_SETS = st.one_of(
    st.none(),
    st.lists(
        st.tuples(
            st.sampled_from(["Host", "host", "User-Agent", "X-Amz-Date", "Range", "Authorization"]),
            st.sampled_from(["bucket.s3.us-east-1.amazonaws.com", "127.0.0.1:9000", "x", " a  b "]),
        ),
        max_size=3,
    ),
)


@st.composite
def received_urls(draw: st.DrawFn) -> str:
    url = presigned_url(
        draw(KEYS),
        endpoint=draw(ENDPOINTS),
        query=draw(EXTRA_QUERIES),
        token=draw(st.sampled_from([None, None, TOKEN])),
        service=draw(st.sampled_from(["s3", "s3", "execute-api"])),
    )
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(url)))
        url = url[:at] + draw(FRAGMENTS) + url[at + draw(st.integers(0, 2)) :]
    return url


@pytest.mark.python_only
@EXAMPLES
@given(
    method=st.sampled_from(["GET", "GET", "PUT", "get"]),
    url=received_urls(),
    headers=HEADER_SETS,
)
def test_the_lane_reads_what_the_full_reading_reads(method: str, url: str, headers: Any) -> None:
    assert_lane_reads_as_the_full_reading(method, url, headers)


@pytest.mark.python_only
@EXAMPLES
@given(
    url=received_urls(),
    headers=HEADER_SETS,
    minutes=st.sampled_from([0, 9, 11, -16]),
    secret=st.sampled_from([SECRET, SECRET, "other", "", None, 5]),
    regions=st.sampled_from([None, frozenset({"us-east-1"}), frozenset({"eu-west-1"})]),
    max_expires=st.sampled_from([600, 599, 2**60]),
)
def test_both_twins_verify_in_the_lane_alike(
    url: str,
    headers: Any,
    minutes: int,
    secret: object,
    regions: frozenset[str] | None,
    max_expires: int,
) -> None:
    now = (SIGNED_AT + timedelta(minutes=minutes)).timestamp()
    policy = (regions, None, 900, max_expires, {ACCESS_KEY: secret}.get, VerifiedRequest)
    arguments = ("GET", url, headers, None, LIMIT_NUMBERS, policy, now)
    outcomes = [outcome(partial(twin.verify_presigned, *arguments)) for twin in TWINS]
    assert all(each == outcomes[0] for each in outcomes), outcomes
    result = outcomes[0][1]
    if type(result) is VerifiedRequest:
        assert secret == SECRET
        assert result == Verifier({ACCESS_KEY: SECRET}, clock=lambda: now).verify(
            "GET", url, headers
        )


@EXAMPLES
@given(
    url=received_urls(),
    headers=HEADER_SETS,
    minutes=st.sampled_from([0, 5, 9, 11, -14, -16, 100]),
    regions=st.sampled_from([None, {"us-east-1"}, {"eu-west-1"}]),
)
def test_verify_is_the_same_with_the_lane_and_without_it(
    core_twin: ModuleType,
    no_lane: Callable[[], Any],
    url: str,
    headers: Any,
    minutes: int,
    regions: set[str] | None,
) -> None:
    now = SIGNED_AT + timedelta(minutes=minutes)
    lookups: list[str] = []

    def secret_for(access_key_id: str) -> str:
        lookups.append(access_key_id)
        return SECRET

    verifier = Verifier(secret_for, clock=lambda: now, regions=regions, max_expires=600)
    with_lane = outcome(lambda: verifier.verify("GET", url, headers))
    asked_with_lane = len(lookups)
    with no_lane():
        without_lane = outcome(lambda: verifier.verify("GET", url, headers))
    assert with_lane == without_lane
    # The lookup (a database query, perhaps) is asked at most once per request.
    assert asked_with_lane <= 1
    assert asked_with_lane == len(lookups) - asked_with_lane


def test_a_verified_presigned_url_reports_the_same_either_way(
    no_lane: Callable[[], Any],
) -> None:
    verifier = Verifier({ACCESS_KEY: SECRET}, clock=lambda: SIGNED_AT)
    fast = verifier.verify("GET", STANDARD)
    with no_lane():
        full = verifier.verify("GET", STANDARD)
    assert fast == full
    assert fast.expires_at == SIGNED_AT + timedelta(seconds=600)
    assert fast.signed_headers == ("host",)
    assert fast.auth_type == "query"
    assert repr(fast) == repr(full)


def test_s3_presigner_urls_take_the_lane() -> None:
    presigner = S3Presigner(
        Credentials(ACCESS_KEY, SECRET), "us-east-1", "bucket", timestamp=SIGNED_AT
    )
    for url in presigner.presign_many(["a", "b c", "d/e/f.txt"]):
        assert _core.read_presigned("GET", url, None, None, LIMIT_NUMBERS) is not None
        Verifier({ACCESS_KEY: SECRET}, clock=lambda: SIGNED_AT).verify("GET", url)


@pytest.mark.python_only
def test_an_empty_credential_first_thing_in_a_process() -> None:
    # The compiled lane remembers the last credential; before the first one, an empty
    # X-Amz-Credential must not match that empty memory (a fuzzer found it did).
    program = (
        "import sys; from fastsigv4 import _core, Verifier, errors\n"
        "verifier = Verifier({'AKIDEXAMPLE': 's'})\n"
        "try:\n"
        "    verifier.verify('GET', sys.argv[1])\n"
        "except errors.AuthorizationQueryParametersError as error:\n"
        "    print(type(error).__name__)\n"
    )
    for twin in TWINS:
        environment = {"FASTSIGV4_NO_EXTENSIONS": "1"} if twin is _core_py else {}
        finished = subprocess.run(
            [sys.executable, "-c", program, EMPTY_CREDENTIAL],
            capture_output=True,
            text=True,
            env={**os.environ, **environment},
            check=False,
        )
        assert finished.stdout.strip() == "AuthorizationQueryParametersError", finished.stderr


def test_clearing_the_key_cache_forgets_the_secrets_the_lane_used() -> None:
    _core.clear_signing_key_cache()  # so this secret object goes into the cache
    secret = "".join(["wJalrXUtnFEMI/K7MDENG", "+bPxRfiCYEXAMPLEKEY"])  # an object of its own
    verifier = Verifier({ACCESS_KEY: secret}, clock=lambda: SIGNED_AT)
    verifier.verify("GET", STANDARD)
    # The key cache holds it (the compiled lane's last key too); counted, not kept.
    assert sum(isinstance(r, tuple) for r in gc.get_referrers(secret))
    _core.clear_signing_key_cache()
    assert not [r for r in gc.get_referrers(secret) if isinstance(r, tuple)]
    verifier.verify("GET", STANDARD)  # and it is derived again
