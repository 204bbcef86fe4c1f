"""Batch signing (Signer.sign_many / presign_many) and the Signer's caches.

Public API only. The conftest runs every test on each core twin. The caches are
observable only through results, so every check compares against a fresh Signer (which
has never cached anything) or against per-call results.
"""

from __future__ import annotations

import copy
import pickle
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from fastsigv4 import (
    UNSIGNED_PAYLOAD,
    Credentials,
    InvalidRequestError,
    PresignedRequest,
    SignedRequest,
    Signer,
    SigningSettings,
)
from fastsigv4.signer import Body, Headers

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
CREDS_TOKEN = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok+en/==")
REGION = "us-east-1"
AMZ_DATE = "20150830T123600Z"
BEFORE_MIDNIGHT = "20150830T235959Z"
AFTER_MIDNIGHT = "20150831T000000Z"

LOGS_URL = "https://logs.us-east-1.amazonaws.com/"
LOGS_HEADERS = {
    "Content-Type": "application/x-amz-json-1.1",
    "X-Amz-Target": "Logs_20140328.PutLogEvents",
}
LOGS_BODY = b'{"logGroupName":"g","logStreamName":"s","logEvents":[]}'

Request = tuple[str, str, Headers, Body]

REQUESTS: list[Request] = [
    ("POST", LOGS_URL, LOGS_HEADERS, LOGS_BODY),
    ("POST", LOGS_URL, LOGS_HEADERS, LOGS_BODY.decode()),
    ("get", "https://h.example/a/../b//c?x=1&a=%20", None, b""),
    ("PUT", "https://h.example:8443/k%2F?a", [("X-Dup", "1"), ("x-dup", " 2  3 ")], None),
    ("DELETE", "http://H.Example:80/", (("Host", "h.example"), ("User-Agent", "t")), None),
    ("POST", LOGS_URL, LOGS_HEADERS, UNSIGNED_PAYLOAD),
    ("PATCH", "https://h.example/\u00e9 x", {"X-Amz-Meta-A": "a\r\n b"}, bytearray(b"ab")),
]

SIGNERS = [
    Signer(CREDS, REGION, "logs"),
    Signer(CREDS_TOKEN, REGION, "s3"),
    Signer(
        CREDS_TOKEN,
        "eu-west-1",
        "execute-api",
        settings=SigningSettings(
            add_content_sha256_header=True, session_token_mode="append_after_signing"
        ),
    ),
]


def fresh(signer: Signer) -> Signer:
    """A Signer equal to ``signer`` that has never signed anything."""
    return Signer(signer.credentials, signer.region, signer.service, settings=signer.settings)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A fake clock: ``clock[0]`` is the time; ``len(clock) - 1`` counts the reads."""
    state = [1440938160.0]  # 2015-08-30T12:36:00Z

    def read() -> float:
        state.append(state[0])
        return state[0]

    monkeypatch.setattr(time, "time", read)  # what fastsigv4 reads, at each call
    return state


def x_amz_date(result: SignedRequest) -> str:
    return dict(result.headers)["X-Amz-Date"]


# -- sign_many / presign_many equal the per-call results ---------------------------------


@pytest.mark.parametrize("signer", SIGNERS, ids=["logs", "s3-token", "content-sha-append"])
@pytest.mark.parametrize(
    "timestamp",
    [AMZ_DATE, datetime(2015, 8, 31, 1, 0, 0, 999, tzinfo=timezone(timedelta(hours=2)))],
)
def test_sign_many_equals_sign_per_request(signer: Signer, timestamp: datetime | str) -> None:
    batch = signer.sign_many(REQUESTS, timestamp=timestamp)
    expected = [
        fresh(signer).sign(method, url, headers, body, timestamp=timestamp)
        for method, url, headers, body in REQUESTS
    ]
    assert batch == expected
    assert all(type(result) is SignedRequest for result in batch)
    # Again, now from the Signer's caches.
    assert signer.sign_many(REQUESTS, timestamp=timestamp) == expected
    assert [signer.sign(*request, timestamp=timestamp) for request in REQUESTS] == expected


@pytest.mark.parametrize("signer", SIGNERS, ids=["logs", "s3-token", "content-sha-append"])
@pytest.mark.parametrize("headers", [None, {"Content-Type": "text/plain", "X-Amz-Meta-A": "1"}])
def test_presign_many_equals_presign_per_url(signer: Signer, headers: Headers) -> None:
    urls = [
        "https://b.s3.us-east-1.amazonaws.com/k",
        "https://h.example/a b/\u00fc?list-type=2&prefix=x%2Fy",
        "https://[::1]:9000/bucket/key",
        "https://b.s3.us-east-1.amazonaws.com/k",
    ]
    timestamp = datetime(2015, 8, 30, 12, 36, 0, 123456, tzinfo=timezone.utc)
    batch = signer.presign_many("PUT", urls, expires=900, headers=headers, timestamp=timestamp)
    expected = [
        fresh(signer).presign("PUT", url, expires=900, headers=headers, timestamp=timestamp)
        for url in urls
    ]
    assert batch == expected
    assert all(type(result) is PresignedRequest for result in batch)
    assert batch[0].expires_at == datetime(2015, 8, 30, 12, 51, 0, tzinfo=timezone.utc)


def test_empty_batches() -> None:
    signer = Signer(CREDS, REGION, "logs")
    assert signer.sign_many([], timestamp=AMZ_DATE) == []
    assert signer.sign_many(iter(())) == []
    assert signer.presign_many("GET", [], timestamp=AMZ_DATE) == []
    # The batch's own arguments are checked even when there is nothing to sign.
    with pytest.raises(InvalidRequestError, match="timestamp"):
        signer.sign_many([], timestamp="2015-08-30")
    with pytest.raises(InvalidRequestError, match="timestamp"):
        signer.presign_many("GET", [], timestamp="2015-08-30")
    with pytest.raises(InvalidRequestError, match="method"):
        signer.presign_many("BAD METHOD", [])
    with pytest.raises(InvalidRequestError, match="expires"):
        signer.presign_many("GET", [], expires=0)
    with pytest.raises(InvalidRequestError, match="X-Amz-Date"):
        signer.presign_many("GET", [], headers={"X-Amz-Date": AMZ_DATE})


def test_generators_are_consumed_once_in_order() -> None:
    signer = Signer(CREDS_TOKEN, REGION, "s3")
    drawn: list[int] = []

    def requests() -> Iterator[Request]:
        for index, request in enumerate(REQUESTS):
            drawn.append(index)
            yield request

    def urls() -> Iterator[str]:
        for index in range(3):
            drawn.append(index)
            yield f"https://b.s3.us-east-1.amazonaws.com/key-{index}"

    signed = signer.sign_many(requests(), timestamp=AMZ_DATE)
    assert drawn == list(range(len(REQUESTS)))
    assert signed == [signer.sign(*request, timestamp=AMZ_DATE) for request in REQUESTS]
    drawn.clear()
    presigned = signer.presign_many("GET", urls(), timestamp=AMZ_DATE)
    assert drawn == [0, 1, 2]
    assert [result.url.partition("?")[0][-5:] for result in presigned] == [
        "key-0",
        "key-1",
        "key-2",
    ]


@pytest.mark.parametrize(
    ("bad", "pattern"),
    [
        (("BAD METHOD", LOGS_URL, None, b""), r"^requests\[2\]: method 'BAD METHOD'"),
        (("GET", "logs.example/", None, b""), r"^requests\[2\]: url .* is not absolute"),
        (("GET", LOGS_URL, {"X-Amz-Date": AMZ_DATE}, b""), r"^requests\[2\]: header 'X-Amz-Date'"),
        (
            ("GET", LOGS_URL, {"X-Bad": "a\nb"}, b""),
            r"^requests\[2\]: header 'x-bad' contains a line break",
        ),
        (("GET", LOGS_URL, None, 5), r"^requests\[2\]: body must be"),
        (("GET", LOGS_URL, None), r"^requests\[2\] must be a \(method, url, headers, body\)"),
        (["GET", LOGS_URL, None, b""], r"^requests\[2\] must be a \(method, url, headers, body\)"),
    ],
)
def test_sign_many_reports_the_bad_request_by_position(bad: Any, pattern: str) -> None:
    signer = Signer(CREDS, REGION, "logs")
    consumed: list[object] = []

    def requests() -> Iterator[Any]:
        for request in [REQUESTS[0], REQUESTS[2], bad, REQUESTS[3]]:
            consumed.append(request)
            yield request

    with pytest.raises(InvalidRequestError, match=pattern):
        signer.sign_many(requests(), timestamp=AMZ_DATE)
    assert consumed[-1] is bad  # stopped at the bad request
    # The Signer is unaffected: the good requests still sign as before.
    assert signer.sign(*REQUESTS[0], timestamp=AMZ_DATE) == fresh(signer).sign(
        *REQUESTS[0], timestamp=AMZ_DATE
    )


@pytest.mark.parametrize(
    ("bad", "pattern"),
    [
        ("ftp//h/x", r"^urls\[1\]: url .* is not absolute"),
        ("https://h.example/k?X-Amz-Signature=1", r"^urls\[1\]: url already carries"),
        ("https://h.example/#x", r"^urls\[1\]: url contains '#'"),
        (None, r"^urls\[1\]: url must be a str"),
    ],
)
def test_presign_many_reports_the_bad_url_by_position(bad: Any, pattern: str) -> None:
    signer = Signer(CREDS, REGION, "s3")
    with pytest.raises(InvalidRequestError, match=pattern):
        signer.presign_many("GET", ["https://h.example/a", bad, "https://h.example/b"])


# -- one timestamp per batch ---------------------------------------------------------------


def test_sign_many_reads_the_clock_once(clock: list[float]) -> None:
    signer = Signer(CREDS, REGION, "logs")
    clock[0] = 1440979199.0  # 23:59:59: a second (and a day) boundary is one tick away

    def requests() -> Iterator[Request]:
        for index in range(50):
            clock[0] += 0.5  # time passes while the batch is being produced
            yield ("POST", LOGS_URL, LOGS_HEADERS, b"%d" % index)

    reads_before = len(clock)
    results = signer.sign_many(requests())
    assert len(clock) - reads_before == 1
    assert {x_amz_date(result) for result in results} == {BEFORE_MIDNIGHT}
    assert results == [
        fresh(signer).sign(method, url, headers, body, timestamp=BEFORE_MIDNIGHT)
        for method, url, headers, body in [
            ("POST", LOGS_URL, LOGS_HEADERS, b"%d" % index) for index in range(50)
        ]
    ]


def test_presign_many_reads_the_clock_once(clock: list[float]) -> None:
    signer = Signer(CREDS, REGION, "s3")
    reads_before = len(clock)
    results = signer.presign_many("GET", [f"https://h.example/{index}" for index in range(20)])
    assert len(clock) - reads_before == 1
    assert {result.expires_at for result in results} == {
        datetime(2015, 8, 30, 13, 36, 0, tzinfo=timezone.utc)
    }
    assert all(f"X-Amz-Date={AMZ_DATE}&" in result.url for result in results)


def test_default_time_changes_with_each_second(clock: list[float]) -> None:
    signer = Signer(CREDS, REGION, "logs")
    dates = []
    for now in (1440979199.0, 1440979199.99, 1440979200.0, 1440979200.5, 1440979201.0):
        clock[0] = now
        dates.append(x_amz_date(signer.sign("GET", LOGS_URL)))
    assert dates == [
        BEFORE_MIDNIGHT,
        BEFORE_MIDNIGHT,
        AFTER_MIDNIGHT,
        AFTER_MIDNIGHT,
        "20150831T000001Z",
    ]


@pytest.mark.parametrize(
    "timestamp",
    [
        "20150830T123600",
        "20150830t123600z",
        "20150830T123660Z",
        "20150230T000000Z",
        "00000101T000000Z",
        "2015083OT123600Z",
        "+2015830T123600Z",
        " 2015830T123600Z",
        "20150830T1236 0Z",
        # Unicode digits are digits to strptime, but not to AWS.
        "20150830T1236\uff10\uff10Z",
        "\u0662\u0660\u0661\u0665\u0660\u0668\u0663\u0660T123600Z",
    ],
)
def test_malformed_timestamp_strings_are_rejected_after_a_good_one(timestamp: str) -> None:
    signer = Signer(CREDS, REGION, "logs")
    signer.sign("GET", LOGS_URL, timestamp=AMZ_DATE)
    with pytest.raises(InvalidRequestError, match="is not a valid 'YYYYMMDDTHHMMSSZ'"):
        signer.sign("GET", LOGS_URL, timestamp=timestamp)
    with pytest.raises(InvalidRequestError, match="is not a valid 'YYYYMMDDTHHMMSSZ'"):
        signer.sign_many([("GET", LOGS_URL, None, b"")], timestamp=timestamp)


# -- the Signer's caches ---------------------------------------------------------------------


@pytest.mark.parametrize("signer", SIGNERS, ids=["logs", "s3-token", "content-sha-append"])
def test_signing_key_follows_the_date_across_midnight(signer: Signer) -> None:
    for _ in range(3):
        for timestamp in (BEFORE_MIDNIGHT, AFTER_MIDNIGHT):
            expected_sign = fresh(signer).sign(*REQUESTS[0], timestamp=timestamp)
            expected_presign = fresh(signer).presign("GET", LOGS_URL, timestamp=timestamp)
            assert signer.sign(*REQUESTS[0], timestamp=timestamp) == expected_sign
            assert signer.presign("GET", LOGS_URL, timestamp=timestamp) == expected_presign
            assert signer.sign_many([REQUESTS[0]], timestamp=timestamp) == [expected_sign]
            assert f"/{timestamp[:8]}/" in dict(expected_sign.headers)["Authorization"]


def test_mutated_headers_are_signed_as_they_are_now() -> None:
    signer = Signer(CREDS_TOKEN, REGION, "s3")
    mapping = {"Content-Type": "text/plain"}
    pairs = [("Content-Type", "text/plain")]
    for headers in (mapping, pairs):
        first = signer.sign("PUT", "https://h.example/k", headers, b"x", timestamp=AMZ_DATE)
        if isinstance(headers, dict):
            headers["Content-Type"] = "text/html"
            headers["X-Amz-Meta-A"] = "1"
        else:
            headers[0] = ("Content-Type", "text/html")
            headers.append(("X-Amz-Meta-A", "1"))
        second = signer.sign("PUT", "https://h.example/k", headers, b"x", timestamp=AMZ_DATE)
        assert second != first
        assert second == fresh(signer).sign(
            "PUT", "https://h.example/k", headers, b"x", timestamp=AMZ_DATE
        )
        assert ("Content-Type", "text/html") in second.headers


def test_str_subclass_header_values_are_passed_through_as_given() -> None:
    class Text(str):
        pass

    signer = Signer(CREDS, REGION, "logs")
    plain = signer.sign("POST", LOGS_URL, {"X-A": "v"}, timestamp=AMZ_DATE)
    subclassed = signer.sign("POST", LOGS_URL, {"X-A": Text("v")}, timestamp=AMZ_DATE)
    assert subclassed == plain
    assert [type(value) for name, value in subclassed.headers if name == "X-A"] == [Text]


@pytest.mark.parametrize("signer", SIGNERS, ids=["logs", "s3-token", "content-sha-append"])
def test_a_used_signer_pickles_and_copies(signer: Signer) -> None:
    expected = [fresh(signer).sign(*request, timestamp=AMZ_DATE) for request in REQUESTS]
    assert signer.sign_many(REQUESTS, timestamp=AMZ_DATE) == expected
    copies = [copy.copy(signer), copy.deepcopy(signer)] + [
        pickle.loads(pickle.dumps(signer, protocol))
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1)
    ]
    for other in copies:
        assert (other.credentials, other.region, other.service, other.settings) == (
            signer.credentials,
            signer.region,
            signer.service,
            signer.settings,
        )
        assert other.sign_many(REQUESTS, timestamp=AMZ_DATE) == expected
        assert other.sign_many(REQUESTS, timestamp=AFTER_MIDNIGHT) == signer.sign_many(
            REQUESTS, timestamp=AFTER_MIDNIGHT
        )


def test_many_distinct_urls_and_header_lists() -> None:
    """More distinct (URL, headers) pairs than the Signer keeps: results stay right."""
    signer = Signer(CREDS_TOKEN, REGION, "s3")
    requests: list[Request] = [
        (
            "PUT",
            f"https://b.s3.us-east-1.amazonaws.com/key-{index % 300}",
            [("X-Amz-Meta-I", str(index % 7))],
            b"x",
        )
        for index in range(900)
    ]
    expected = [fresh(signer).sign(*request, timestamp=AMZ_DATE) for request in requests]
    for _ in range(2):
        assert signer.sign_many(requests, timestamp=AMZ_DATE) == expected


# -- threads -----------------------------------------------------------------------------------

THREADS = 8
SIGNS = 50_000


@pytest.fixture
def frequent_thread_switches() -> Iterator[None]:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


@pytest.mark.usefixtures("frequent_thread_switches")
def test_threads_sharing_one_signer_get_single_threaded_results() -> None:
    """8 threads, 50k signs, dates on both sides of UTC midnight, mixed URLs and headers."""
    signer = Signer(CREDS_TOKEN, REGION, "s3")
    timestamps = [BEFORE_MIDNIGHT, AFTER_MIDNIGHT, "20150831T000001Z", "20240229T235959Z"]
    urls = [
        f"https://b{index}.s3.us-east-1.amazonaws.com/k/{index}?v={index}" for index in range(6)
    ]
    header_lists: list[Headers] = [None, {"Content-Type": "text/plain"}, [("X-Amz-Meta-A", "1")]]

    def job(index: int) -> tuple[int, int, int, int]:
        """Which timestamp, URL, headers and body the index-th sign uses."""
        return index // 3 % 4, index % 6, index // 7 % 3, index % 5

    def sign(on: Signer, index: int) -> SignedRequest:
        timestamp, url, headers, body = job(index)
        return on.sign(
            "PUT", urls[url], header_lists[headers], b"%d" % body, timestamp=timestamps[timestamp]
        )

    # Single-threaded: every distinct job (they repeat every 420) on a Signer of its own,
    # then all of them in order on one Signer.
    distinct = {job(index): sign(fresh(signer), index) for index in range(420)}
    reference = fresh(signer)
    single = [sign(reference, index) for index in range(SIGNS)]
    assert single == [distinct[job(index)] for index in range(SIGNS)]

    results: list[SignedRequest | None] = [None] * SIGNS
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(offset: int) -> None:
        try:
            start.wait()
            for index in range(offset, SIGNS, THREADS):
                if index % 11 == 0:  # batches of one on the same Signer, too
                    timestamp, url, headers, body = job(index)
                    [results[index]] = signer.sign_many(
                        [("PUT", urls[url], header_lists[headers], b"%d" % body)],
                        timestamp=timestamps[timestamp],
                    )
                else:
                    results[index] = sign(signer, index)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(offset,)) for offset in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results == single
