"""Bulk presigning: presign_iter, presign_parallel and presign_parallel_iter of S3Presigner.

Every test runs on both core twins (the conftest's autouse fixture). The reference is
always ``presign_many`` (itself checked against ``presign`` and botocore elsewhere).
"""

from __future__ import annotations

import itertools
import threading
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

import pytest

import fastsigv4
from fastsigv4 import Credentials, InvalidRequestError, S3Presigner, s3
from fastsigv4._time import Timestamp

CREDENTIALS = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
TIMESTAMP = "20240601T120000Z"


def presigner(timestamp: Timestamp = TIMESTAMP) -> S3Presigner:
    return S3Presigner(CREDENTIALS, "us-east-1", "examplebucket", timestamp=timestamp)


def make_keys(count: int, start: int = 0) -> list[str]:
    return [
        f"photos/2024/{index % 12:02d}/img_{index:06d}.jpg" for index in range(start, start + count)
    ]


# Keys that take every branch of the encoder, one longer than 4 KiB.
ODD_KEYS = ["a b+c", "日本/語", "%2F", "~-._", "x/" * 2500, "é😀\x00", "./..//x", "a" * 1024]
BAD: Any = None  # a non-str key: ill-typed on purpose

BulkCall = Callable[[S3Presigner, Iterable[str]], list[str]]

# Every bulk path, each consumed to a list.
BULK_CALLS: dict[str, BulkCall] = {
    "iter": lambda p, keys: list(p.presign_iter(keys)),
    "iter-batch-1": lambda p, keys: list(p.presign_iter(keys, batch_size=1)),
    "iter-batch-7": lambda p, keys: list(p.presign_iter(keys, batch_size=7)),
    "parallel": lambda p, keys: p.presign_parallel(keys),
    "parallel-1": lambda p, keys: p.presign_parallel(keys, workers=1),
    "parallel-2-batch-7": lambda p, keys: p.presign_parallel(keys, workers=2, batch_size=7),
    "parallel-8-batch-3": lambda p, keys: p.presign_parallel(keys, workers=8, batch_size=3),
    "parallel-iter": lambda p, keys: list(p.presign_parallel_iter(keys)),
    "parallel-iter-2-batch-7": lambda p, keys: list(
        p.presign_parallel_iter(keys, workers=2, batch_size=7)
    ),
    "parallel-iter-3-batch-1": lambda p, keys: list(
        p.presign_parallel_iter(keys, workers=3, batch_size=1)
    ),
}
bulk_calls = pytest.mark.parametrize("call", BULK_CALLS.values(), ids=BULK_CALLS.keys())


class Boom(Exception):
    """Raised by an input iterable itself."""


def failing(items: Iterable[str], after: int) -> Iterator[str]:
    """The items, then Boom once ``after`` of them have been drawn."""
    for index, item in enumerate(items):
        if index == after:
            raise Boom("the key source failed")
        yield item
    raise Boom("the key source failed")


def error_of(call: Callable[[], object]) -> tuple[type[BaseException], str]:
    """(type, message) of what call() raises; it must raise."""
    try:
        call()
    except Exception as exc:
        return type(exc), str(exc)
    raise AssertionError("no exception")


# --- equal to presign_many -------------------------------------------------------------


@bulk_calls
@pytest.mark.parametrize("count", [0, 1, 6, 7, 8, 50])
def test_equals_presign_many_on_lists_and_generators(call: BulkCall, count: int) -> None:
    p = presigner()
    keys = (make_keys(count) + ODD_KEYS)[:count]
    expected = p.presign_many(keys)
    assert call(p, keys) == expected
    assert call(p, tuple(keys)) == expected
    assert call(p, (key for key in keys)) == expected
    assert call(p, iter(keys)) == expected


def test_presign_iter_batch_sizes() -> None:
    p = presigner()
    keys = make_keys(100) + ODD_KEYS
    expected = p.presign_many(keys)
    for batch_size in (1, 2, 3, 7, 10, 107, 108, 109, 8192):
        assert list(p.presign_iter(keys, batch_size)) == expected
        assert list(p.presign_iter(iter(keys), batch_size=batch_size)) == expected
    assert list(p.presign_iter([])) == []
    assert list(p.presign_iter(iter(()))) == []


@pytest.mark.parametrize("workers", [1, 2, 8])
@pytest.mark.parametrize("count", [0, 1, 50_000])
def test_presign_parallel_equals_presign_many(workers: int, count: int) -> None:
    p = presigner()
    keys = make_keys(count)
    expected = p.presign_many(keys)
    assert p.presign_parallel(keys, workers=workers) == expected
    if count:  # a generator: drawn batch by batch while earlier batches are signed
        assert p.presign_parallel((key for key in keys), workers, 4096) == expected


@pytest.mark.parametrize("workers", [2, 3, 8])
def test_presign_parallel_uneven_splits(workers: int) -> None:
    p = presigner()
    for count in (1023, 1024, 2047, 2048, 2049, 5000):
        keys = make_keys(count)
        expected = p.presign_many(keys)
        for batch_size in (1000, 1024, 8192):
            assert p.presign_parallel(keys, workers, batch_size) == expected


def test_presign_parallel_iter_equals_presign_many() -> None:
    p = presigner()
    keys = make_keys(20_000) + ODD_KEYS
    expected = p.presign_many(keys)
    assert list(p.presign_parallel_iter(keys, workers=2, batch_size=1000)) == expected
    assert list(p.presign_parallel_iter(iter(keys), workers=8, batch_size=333)) == expected


def test_str_subclass_keys_are_presigned_like_str() -> None:
    class Key(str):
        pass

    p = presigner()
    keys = ["a", Key("b c"), "d", Key("é")]
    expected = p.presign_many(["a", "b c", "d", "é"])
    for call in BULK_CALLS.values():
        assert call(p, keys) == expected


# --- laziness and bounded memory -----------------------------------------------------------


class Counting:
    """An endless (or ``limit``-long) key source that counts the keys drawn from it."""

    def __init__(self, limit: int | None = None) -> None:
        self.drawn = 0
        self.limit = limit

    def __iter__(self) -> Iterator[str]:
        for index in itertools.count() if self.limit is None else range(self.limit):
            self.drawn += 1
            yield f"photos/{index:07d}.jpg"


def test_presign_iter_is_lazy_on_an_endless_generator() -> None:
    p = presigner()
    expected = p.presign_many([f"photos/{index:07d}.jpg" for index in range(10)])
    source = Counting()
    assert list(itertools.islice(p.presign_iter(source), 10)) == expected
    assert source.drawn == 8192  # one batch, not the endless rest
    source = Counting(limit=1_000_000)
    urls = p.presign_iter(source, batch_size=100)
    assert source.drawn == 0  # nothing is drawn before the first URL is asked for
    assert list(itertools.islice(urls, 10)) == expected
    assert source.drawn == 100
    assert next(urls) == p.presign("photos/0000010.jpg")
    assert source.drawn == 100


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_presign_parallel_iter_draws_a_bounded_window(workers: int) -> None:
    p = presigner()
    expected = p.presign_many([f"photos/{index:07d}.jpg" for index in range(10)])
    source = Counting(limit=1_000_000)
    urls = p.presign_parallel_iter(source, workers=workers, batch_size=100)
    assert list(itertools.islice(urls, 10)) == expected
    # One batch at a time on the caller's thread (always with the pure twin, which holds
    # the GIL while it signs), else 2 * workers + 1 batches in flight.
    assert source.drawn in (100, (2 * workers + 1) * 100)
    assert source.drawn == 100 or fastsigv4.IMPLEMENTATION == "c"
    del urls  # cancels what is still queued and joins the pool's threads
    assert not any(thread.name.startswith("fastsigv4") for thread in threading.enumerate())


def test_presign_iter_memory_stays_bounded() -> None:
    p = presigner()
    count = 0
    tracemalloc.start()
    try:
        for url in p.presign_iter(Counting(limit=40_000), batch_size=500):
            count += len(url) > 0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 40_000
    # 40k URLs of ~420 bytes would be ~17 MB; a batch of 500 is ~0.2 MB.
    assert peak < 4_000_000, peak


# --- errors ----------------------------------------------------------------------------


@bulk_calls
@pytest.mark.parametrize("bad", [BAD, "", 7, "\ud800", b"k"])
@pytest.mark.parametrize("position", [0, 5, 49])
def test_invalid_key_raises_what_presign_many_raises(
    call: BulkCall, bad: Any, position: int
) -> None:
    p = presigner()
    keys: list[Any] = make_keys(50)
    keys[position] = bad
    expected = error_of(lambda: p.presign_many(keys))
    assert expected[0] is InvalidRequestError
    assert error_of(lambda: call(p, keys)) == expected
    assert error_of(lambda: call(p, iter(keys))) == expected


@pytest.mark.parametrize("batch_size", [1, 4, 8192])
def test_presign_iter_yields_the_urls_before_an_invalid_key(batch_size: int) -> None:
    p = presigner()
    keys: list[Any] = make_keys(10)
    keys[6] = BAD
    for urls in (
        p.presign_iter(keys, batch_size),
        p.presign_parallel_iter(keys, workers=2, batch_size=batch_size),
    ):
        assert [next(urls) for _ in range(6)] == p.presign_many(keys[:6])
        with pytest.raises(InvalidRequestError, match="non-empty str, got NoneType"):
            next(urls)
        assert list(urls) == []  # finished, as a generator of presign calls would be


@bulk_calls
@pytest.mark.parametrize("after", [0, 3, 20])
def test_a_failing_key_source(call: BulkCall, after: int) -> None:
    p = presigner()
    keys = make_keys(30)
    assert error_of(lambda: call(p, failing(keys, after))) == (
        Boom,
        "the key source failed",
    )
    assert error_of(lambda: p.presign_many(failing(keys, after))) == (Boom, "the key source failed")
    # An invalid key drawn before the failure is reported first, as presign_many does.
    bad: list[Any] = list(keys)
    bad[after // 2] = BAD
    expected = error_of(lambda: p.presign_many(failing(bad, after + 1)))
    assert expected[0] is InvalidRequestError
    assert error_of(lambda: call(p, failing(bad, after + 1))) == expected


def test_presign_iter_yields_the_urls_drawn_before_a_source_failure() -> None:
    p = presigner()
    keys = make_keys(10)
    for urls in (
        p.presign_iter(failing(keys, 7), batch_size=4),
        p.presign_iter(failing(keys, 7)),
        p.presign_parallel_iter(failing(keys, 7), workers=2, batch_size=2),
    ):
        assert [next(urls) for _ in range(7)] == p.presign_many(keys[:7])
        with pytest.raises(Boom):
            next(urls)


@pytest.mark.parametrize("batch_size", [0, -1, True, 1.5, "8", None])
def test_batch_size_is_validated_at_call_time(batch_size: Any) -> None:
    p = presigner()
    with pytest.raises(InvalidRequestError, match="batch_size must be an int >= 1"):
        p.presign_iter([], batch_size)
    with pytest.raises(InvalidRequestError, match="batch_size must be an int >= 1"):
        p.presign_parallel([], batch_size=batch_size)
    with pytest.raises(InvalidRequestError, match="batch_size must be an int >= 1"):
        p.presign_parallel_iter([], batch_size=batch_size)


@pytest.mark.parametrize("workers", [0, -2, False, 2.0, "2"])
def test_workers_is_validated(workers: Any) -> None:
    p = presigner()
    with pytest.raises(InvalidRequestError, match="workers must be an int >= 1 or None"):
        p.presign_parallel(["a"], workers)
    with pytest.raises(InvalidRequestError, match="workers must be an int >= 1 or None"):
        p.presign_parallel_iter(["a"], workers)


def test_non_iterable_keys() -> None:
    p = presigner()
    expected = error_of(lambda: p.presign_many(7))  # type: ignore[arg-type]
    assert expected[0] is TypeError
    assert error_of(lambda: p.presign_iter(7)) == expected  # type: ignore[arg-type]
    assert error_of(lambda: p.presign_parallel(7, 2)) == expected  # type: ignore[arg-type]
    assert error_of(lambda: p.presign_parallel_iter(7, 2)) == expected  # type: ignore[arg-type]


# --- timestamps --------------------------------------------------------------------------


class Clock:
    """Stands in for resolve_timestamp with timestamp=None: one second later per call."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, timestamp: Timestamp) -> tuple[str, datetime]:
        assert timestamp is None
        now = datetime(2024, 6, 1, 12, tzinfo=timezone.utc) + timedelta(seconds=self.calls)
        self.calls += 1
        return now.strftime("%Y%m%dT%H%M%SZ"), now


def amz_dates(urls: list[str]) -> list[str]:
    return [url.split("X-Amz-Date=")[1][:16] for url in urls]


def test_one_timestamp_per_batch_or_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = make_keys(25)
    for batch_size, workers in ((10, 1), (10, 2), (25, 2), (1, 3)):
        clock = Clock()
        monkeypatch.setattr(s3, "resolve_timestamp", clock)
        p = presigner(timestamp=None)
        batches = -(-len(keys) // batch_size)
        runs: list[Callable[[], Iterator[str]]] = [
            partial(p.presign_iter, keys, batch_size),
            partial(p.presign_parallel_iter, keys, workers, batch_size),
        ]
        for run in runs:
            dates = amz_dates(list(run()))
            assert clock.calls == batches
            # Each batch carries one time, later batches later ones.
            for index in range(0, len(keys), batch_size):
                assert len(set(dates[index : index + batch_size])) == 1
            assert dates == sorted(dates)
            assert len(set(dates)) == batches
            clock.calls = 0
        urls = p.presign_parallel(keys, workers, batch_size)
        assert clock.calls == 1  # one kernel for the whole call
        assert len(set(amz_dates(urls))) == 1
        # And every URL is the one presign_many signs at that time.
        clock.calls = 0
        assert p.presign_many(keys) == urls


# --- threads ---------------------------------------------------------------------------


def test_one_presigner_shared_by_eight_threads() -> None:
    p = presigner()
    keys = make_keys(200_000 - len(ODD_KEYS)) + ODD_KEYS
    expected = p.presign_many(keys)
    share = len(keys) // 8
    ways: list[Callable[[list[str]], list[str]]] = [
        lambda part: [p.presign(key) for key in part],
        p.presign_many,
        lambda part: list(p.presign_iter(part, batch_size=1000)),
        lambda part: p.presign_parallel(part, workers=2, batch_size=4000),
        lambda part: list(p.presign_parallel_iter(iter(part), workers=2, batch_size=3000)),
        lambda part: p.presign_parallel(iter(part), workers=3, batch_size=5000),
        p.presign_many,
        lambda part: list(p.presign_iter(iter(part))),
    ]
    results: list[list[str] | BaseException] = [[] for _ in ways]
    start = threading.Barrier(len(ways))

    def run(index: int) -> None:
        part = keys[index * share : (index + 1) * share]
        start.wait()
        try:
            results[index] = ways[index](part)
        except BaseException as exc:  # reported by the main thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(ways))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    combined: list[str] = []
    for result in results:
        assert isinstance(result, list), result
        combined.extend(result)
    assert len(combined) == 200_000
    assert combined == expected


def test_no_thread_outlives_a_failed_call() -> None:
    p = presigner()
    keys: list[Any] = make_keys(20_000)
    keys[15_000] = BAD
    with pytest.raises(InvalidRequestError):
        p.presign_parallel(keys, workers=4, batch_size=1000)
    with pytest.raises(InvalidRequestError):
        p.presign_parallel(iter(keys), workers=4, batch_size=1000)
    with pytest.raises(InvalidRequestError):
        list(p.presign_parallel_iter(keys, workers=4, batch_size=1000))
    assert not any(thread.name.startswith("fastsigv4") for thread in threading.enumerate())


# --- presign_lines: a block of key lines in, a block of URL lines out -------------------


def url_lines(p: S3Presigner, keys: list[str]) -> bytes:
    return "".join(url + "\n" for url in p.presign_many(keys)).encode()


@pytest.mark.parametrize(
    ("data", "keys"),
    [
        (b"", []),
        (b"\n\r\n", []),
        (b"a", ["a"]),  # no newline after the last line
        (b"a\nb\n", ["a", "b"]),
        (b"a\r\nb\r", ["a", "b"]),  # one trailing CR per line dropped
        (b"a\r\r\n", ["a\r"]),
        (b"  spaced  \n\n\tx\n", ["  spaced  ", "\tx"]),
        ("日本/😀\ncafé\n".encode(), ["日本/😀", "café"]),
        ("\n".join(ODD_KEYS).encode(), ODD_KEYS),
    ],
)
def test_presign_lines_equals_presign_many(data: bytes, keys: list[str]) -> None:
    p = presigner()
    assert p.presign_lines(data) == (url_lines(p, keys), len(keys))


def test_presign_lines_on_many_keys_and_long_keys() -> None:
    p = presigner()
    keys = [*make_keys(20_000), "k/" * 100_000, "é" * 50_000]
    data = "\n".join(keys).encode()
    assert p.presign_lines(data) == (url_lines(p, keys), len(keys))


@pytest.mark.parametrize(
    ("data", "first_line", "message"),
    [
        (b"ok\n\xff\n", 1, "input line 2 is not valid UTF-8 (invalid start byte: 0xFF at byte 1"),
        (b"ok\n\nx\xe6\x97", 41, "input line 43 is not valid UTF-8 (unexpected end of data"),
        (b"\xed\xa0\x80", 1, "input line 1 is not valid UTF-8 (invalid continuation byte"),
    ],
)
def test_presign_lines_rejects_invalid_utf8(data: bytes, first_line: int, message: str) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        presigner().presign_lines(data, first_line)
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize("data", ["a\n", bytearray(b"a\n"), None])
def test_presign_lines_takes_bytes(data: Any) -> None:
    with pytest.raises(InvalidRequestError, match="input lines must be bytes"):
        presigner().presign_lines(data)


@pytest.mark.parametrize("first_line", [0, -1, True, 1.0, "1", None])
def test_presign_lines_first_line_is_validated(first_line: Any) -> None:
    with pytest.raises(InvalidRequestError, match="first_line must be an int >= 1"):
        presigner().presign_lines(b"a\n", first_line)


def test_presign_lines_on_threads() -> None:
    # The compiled kernel releases the GIL over a block: blocks on threads, in order.
    p = presigner()
    blocks = ["\n".join(make_keys(3000, start)).encode() for start in range(0, 30_000, 3000)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(p.presign_lines, blocks))
    assert results == [p.presign_lines(block) for block in blocks]
    assert b"".join(urls for urls, _ in results) == url_lines(p, make_keys(30_000))
