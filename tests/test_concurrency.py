"""Concurrency: eight threads sharing one Signer and one S3Presigner.

Every result a thread gets must equal the one computed single-threaded beforehand, with
fresh objects, for the same input and signing time. The shared objects start cold, so
their caches (URL/header templates, the day's signing key, the kernel of the current
timestamp, the core's signing key cache) are filled, evicted and replaced while threads
race on them. Operations across this module, per core twin: 1,148,720 (mostly
URLs from presign_many / presign_parallel / presign_iter batches):

- test_shared_signer_and_presigner: 901,120 batch URLs + 88,000 single calls;
- test_utc_date_rollover: 23:59:59 and 00:00:00 of the next day interleaved across threads,
  with explicit timestamps and with timestamp=None on a patched time.time;
- test_clear_signing_key_cache_while_signing: one thread empties the key cache in a loop.

A watchdog ends the process with every thread's traceback if a test deadlocks.
"""

from __future__ import annotations

import faulthandler
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

import pytest

import fastsigv4
from fastsigv4 import Credentials, S3Presigner, Signer
from fastsigv4.signer import Headers

THREADS = 8
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
CREDENTIALS = Credentials(ACCESS_KEY, SECRET, "FwoGZXIvYXdzEXAMPLETOKEN//+=")
TIMESTAMP = "20240601T120000Z"
REGION = "eu-west-1"
BUCKET = "examplebucket"
WATCHDOG_SECONDS = 600

Request = tuple[str, str, Headers, bytes]


@pytest.fixture(autouse=True)
def watchdog() -> Iterator[None]:
    faulthandler.dump_traceback_later(WATCHDOG_SECONDS, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture(autouse=True)
def frequent_thread_switches() -> Iterator[None]:
    # The interpreter hands the GIL over every 0.1 ms instead of 5 ms: many more
    # interleavings of the pure-Python paths (and of the compiled twin's GIL-held parts).
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def run_threads(worker: Callable[[int, threading.Barrier], int]) -> int:
    """Run ``worker(index, barrier)`` on THREADS threads started together; the total of
    what they return (their operation counts). A thread's exception is raised here."""
    barrier = threading.Barrier(THREADS, timeout=120)
    with ThreadPoolExecutor(THREADS, thread_name_prefix="concurrency") as pool:
        futures = [pool.submit(worker, index, barrier) for index in range(THREADS)]
        return sum(future.result() for future in futures)


def signer() -> Signer:
    return Signer(CREDENTIALS, REGION, "s3")


def presigner(timestamp: Any = TIMESTAMP) -> S3Presigner:
    return S3Presigner(CREDENTIALS, REGION, BUCKET, timestamp=timestamp)


# --- one Signer and one S3Presigner, eight threads -----------------------------------------------

KEYS_PER_BATCH = 2048
BATCHES = [
    [f"photos/{batch:02d}/img {index:05d}+é.jpg" for index in range(KEYS_PER_BATCH)]
    for batch in range(16)
]
ROUNDS = 55  # per thread: 8 * 55 batches of 2,048 keys = 901,120 batch URLs
SIGNS_PER_ROUND, PRESIGNS_PER_ROUND, KEYS_PER_ROUND = 100, 60, 40


def make_requests(count: int) -> list[Request]:
    """More distinct URL/header lists than a Signer's template cache holds (128)."""
    requests: list[Request] = []
    for index in range(count):
        method = ("GET", "PUT", "POST")[index % 3]
        url = f"https://{BUCKET}.s3.{REGION}.amazonaws.com/k/{index % 97}/a b?x={index}&y"
        pairs = [("Content-Type", "text/plain"), ("X-Amz-Meta-N", f" {index}  ")]
        headers: Headers = dict(pairs) if index % 4 == 0 else pairs
        requests.append((method, url, headers, b"body %d" % index))
    return requests


REQUESTS = make_requests(300)
PRESIGN_URLS = [f"https://{BUCKET}.s3.{REGION}.amazonaws.com/p/{index}" for index in range(300)]
PRESIGN_HEADERS: Headers = {"Content-Type": "image/jpeg"}


def test_shared_signer_and_presigner() -> None:
    # The single-threaded reference, computed first with fresh objects.
    reference_batches = [presigner().presign_many(batch) for batch in BATCHES]
    one = signer()
    reference_signed = [
        one.sign(method, url, headers, body, timestamp=TIMESTAMP)
        for method, url, headers, body in REQUESTS
    ]
    reference_presigned = [
        one.presign("PUT", url, headers=PRESIGN_HEADERS, expires=900, timestamp=TIMESTAMP)
        for url in PRESIGN_URLS
    ]

    shared_signer, shared_presigner = signer(), presigner()

    def worker(index: int, barrier: threading.Barrier) -> int:
        barrier.wait()
        operations = 0
        for round_ in range(ROUNDS):
            number = (index * 5 + round_) % len(BATCHES)
            batch = BATCHES[number]
            if round_ % 4 == 1:
                urls = shared_presigner.presign_parallel(batch, workers=2, batch_size=512)
            elif round_ % 8 == 3:
                urls = list(shared_presigner.presign_iter(batch, batch_size=700))
            elif round_ % 8 == 7:
                urls = shared_presigner.presign_parallel(iter(batch), workers=3, batch_size=300)
            else:
                urls = shared_presigner.presign_many(batch)
            assert urls == reference_batches[number]
            operations += len(urls)
            for step in range(SIGNS_PER_ROUND):
                position = (index * 37 + round_ * SIGNS_PER_ROUND + step) % len(REQUESTS)
                method, url, headers, body = REQUESTS[position]
                signed = shared_signer.sign(method, url, headers, body, timestamp=TIMESTAMP)
                assert signed == reference_signed[position]
            for step in range(PRESIGNS_PER_ROUND):
                position = (index * 53 + round_ * PRESIGNS_PER_ROUND + step) % len(PRESIGN_URLS)
                presigned = shared_signer.presign(
                    "PUT",
                    PRESIGN_URLS[position],
                    headers=PRESIGN_HEADERS,
                    expires=900,
                    timestamp=TIMESTAMP,
                )
                assert presigned == reference_presigned[position]
            for step in range(KEYS_PER_ROUND):
                position = (index * 101 + round_ * 41 + step * 13) % KEYS_PER_BATCH
                url = shared_presigner.presign(batch[position])
                assert url == reference_batches[number][position]
            operations += SIGNS_PER_ROUND + PRESIGNS_PER_ROUND + KEYS_PER_ROUND
        return operations

    operations = run_threads(worker)
    per_round = KEYS_PER_BATCH + SIGNS_PER_ROUND + PRESIGNS_PER_ROUND + KEYS_PER_ROUND
    assert operations == THREADS * ROUNDS * per_round  # 989,120


# --- the UTC date rollover -------------------------------------------------------------------

BEFORE = "20240630T235959Z"  # the last second of a UTC day
AFTER = "20240701T000000Z"  # the first of the next
INSTANTS = {
    BEFORE: datetime(2024, 6, 30, 23, 59, 59, 750000, tzinfo=timezone.utc),
    AFTER: datetime(2024, 7, 1, 0, 0, 0, 250000, tzinfo=timezone.utc),
}
ROLLOVER_ROUNDS = 300
ROLLOVER_KEYS = [f"logs/{index:03d}/a b.txt" for index in range(16)]
ROLLOVER_REQUEST: Request = ("POST", "https://logs.eu-west-1.amazonaws.com/", None, b"{}")


class InjectedClock:
    """time.time() replaced: each thread reads the instant it set, other callers the
    real clock."""

    def __init__(self, real: Callable[[], float]) -> None:
        self._real = real
        self._local = threading.local()

    def set(self, instant: datetime) -> None:
        self._local.now = instant.timestamp()

    def __call__(self) -> float:
        now: float | None = getattr(self._local, "now", None)
        return self._real() if now is None else now


def rollover_reference(amz_date: str) -> tuple[Any, Any, Any, list[str]]:
    """(sign, presign, S3Presigner.presign_many) results for amz_date, each from fresh
    objects and an empty signing key cache."""
    fastsigv4.clear_signing_key_cache()
    method, url, headers, body = ROLLOVER_REQUEST
    signed = Signer(CREDENTIALS, REGION, "logs").sign(
        method, url, headers, body, timestamp=amz_date
    )
    fastsigv4.clear_signing_key_cache()
    logs = Signer(CREDENTIALS, REGION, "logs")
    presigned = logs.presign("GET", url + "?q=1", expires=60, timestamp=INSTANTS[amz_date])
    fastsigv4.clear_signing_key_cache()
    urls = presigner(amz_date).presign_many(ROLLOVER_KEYS)
    return signed, presigned, urls[0], urls


def test_utc_date_rollover(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = {amz_date: rollover_reference(amz_date) for amz_date in INSTANTS}
    assert expected[BEFORE][0] != expected[AFTER][0]  # a new day: a new scope and key
    fastsigv4.clear_signing_key_cache()
    clock = InjectedClock(time.time)
    monkeypatch.setattr(time, "time", clock)
    shared_signer = Signer(CREDENTIALS, REGION, "logs")
    shared_presigner = presigner(None)  # reads the (injected) clock on every call
    method, url, headers, body = ROLLOVER_REQUEST

    def worker(index: int, barrier: threading.Barrier) -> int:
        # Half the threads start on each side of midnight, then every thread flips
        # between the two on every step: the shared caches see both days at once.
        order = [BEFORE, AFTER] if index % 2 else [AFTER, BEFORE]
        barrier.wait()
        operations = 0
        for round_ in range(ROLLOVER_ROUNDS):
            amz_date = order[round_ % 2]
            signed, presigned, first_url, urls = expected[amz_date]
            # Explicit timestamps: the text, and an aware datetime of that second.
            assert shared_signer.sign(method, url, headers, body, timestamp=amz_date) == signed
            when = INSTANTS[amz_date]
            assert shared_signer.sign(method, url, headers, body, timestamp=when) == signed
            # timestamp=None: the injected clock, set for this thread only.
            clock.set(when)
            assert shared_signer.sign(method, url, headers, body) == signed
            assert shared_signer.presign("GET", url + "?q=1", expires=60) == presigned
            assert shared_presigner.presign(ROLLOVER_KEYS[0]) == first_url
            assert shared_presigner.presign_many(ROLLOVER_KEYS) == urls
            operations += 5 + len(ROLLOVER_KEYS)
        return operations

    operations = run_threads(worker)
    assert operations == THREADS * ROLLOVER_ROUNDS * (5 + len(ROLLOVER_KEYS))  # 50,400


# --- clear_signing_key_cache() while signing --------------------------------------------------

DATES = [f"202406{day:02d}T120000Z" for day in range(1, 7)]
CLEARING_ROUNDS = 240


def test_clear_signing_key_cache_while_signing() -> None:
    keys = BATCHES[0][:64]
    method, url, headers, body = REQUESTS[1]
    expected: dict[str, tuple[Any, list[str]]] = {}
    for amz_date in DATES:
        fastsigv4.clear_signing_key_cache()
        signed = signer().sign(method, url, headers, body, timestamp=amz_date)
        expected[amz_date] = (signed, presigner(amz_date).presign_many(keys))
    shared_signer = signer()
    signing_done = threading.Event()
    lock = threading.Lock()
    signing = THREADS - 1
    clears = 0

    def worker(index: int, barrier: threading.Barrier) -> int:
        nonlocal clears, signing
        barrier.wait()
        if index == 0:  # the clearing thread, until every other thread is done
            while not signing_done.is_set():
                fastsigv4.clear_signing_key_cache()
                clears += 1
                time.sleep(0)
            return 0
        try:
            operations = 0
            for round_ in range(CLEARING_ROUNDS):
                # Another date on every call: the Signer derives (or looks up) the day's key
                # each time, and each new S3Presigner builds its kernel from the core cache.
                amz_date = DATES[(index + round_) % len(DATES)]
                signed, urls = expected[amz_date]
                assert shared_signer.sign(method, url, headers, body, timestamp=amz_date) == signed
                assert presigner(amz_date).presign_many(keys) == urls
                operations += 1 + len(keys)
            return operations
        finally:
            with lock:
                signing -= 1
                if not signing:
                    signing_done.set()

    operations = run_threads(worker)
    assert operations == (THREADS - 1) * CLEARING_ROUNDS * (1 + len(keys))  # 109,200
    assert clears > 0
