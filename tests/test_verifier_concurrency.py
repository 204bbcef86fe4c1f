"""Eight threads share one Verifier (and the signing-key cache behind it).

Each thread verifies its share of a fixed mix of valid and tampered requests, presigned
and header-signed, for two keys and across a UTC date rollover; every outcome must equal
the one a single thread computed first. Runs on both core twins.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from fastsigv4 import (
    Credentials,
    S3Presigner,
    Signer,
    SigV4Error,
    Verifier,
    clear_signing_key_cache,
)

THREADS = 8
ROUNDS = 6
KEYS = {
    "AKIAFIRSTEXAMPLE": "first/secret+key",
    "AKIASECONDEXAMPLE": "second/secret+key",
}
# One second before and one second after a UTC midnight: two scope dates, two signing keys.
SIGNING_TIMES = ["20240601T235959Z", "20240602T000000Z"]
NOW = datetime(2024, 6, 2, 0, 0, 30, tzinfo=timezone.utc)


def _requests() -> list[tuple[str, str, tuple[tuple[str, str], ...], bytes]]:
    requests = []
    for access_key_id, secret in KEYS.items():
        credentials = Credentials(access_key_id, secret)
        for timestamp in SIGNING_TIMES:
            presigner = S3Presigner(credentials, "us-east-1", "bucket", timestamp=timestamp)
            for url in presigner.presign_many([f"k/{i} é+x" for i in range(40)]):
                requests.append(("GET", url, (), b""))
                requests.append(("GET", url.replace("/k/", "/K/"), (), b""))  # tampered
            signer = Signer(credentials, "us-east-1", "logs")
            for i in range(40):
                body = b'{"n": %d}' % i
                signed = signer.sign(
                    "POST",
                    f"https://logs.us-east-1.amazonaws.com/?i={i}",
                    None,
                    body,
                    timestamp=timestamp,
                )
                requests.append(("POST", signed.url, signed.headers, body))
                requests.append(("POST", signed.url, signed.headers, body + b" "))  # tampered
    return requests


def _outcome(verify: Callable[[], object]) -> str:
    try:
        return repr(verify())
    except SigV4Error as error:
        return f"{type(error).__name__}: {error}"


def test_eight_threads_share_one_verifier() -> None:
    verifier = Verifier(KEYS, clock=lambda: NOW, max_skew=60)
    requests = _requests()
    expected = [_outcome(lambda r=r: verifier.verify(*r)) for r in requests]
    assert sum(outcome.startswith("VerifiedRequest") for outcome in expected) == len(requests) // 2

    results: list[list[str]] = [[] for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def work(index: int) -> None:
        try:
            barrier.wait()
            for round_number in range(ROUNDS):
                # Different starting points, so threads hit different keys and days at once.
                offset = (index * 37 + round_number * 11) % len(requests)
                order = requests[offset:] + requests[:offset]
                outcomes = [_outcome(lambda r=r: verifier.verify(*r)) for r in order]
                results[index].extend(
                    outcomes[-offset:] + outcomes[:-offset] if offset else outcomes
                )
                if index == 0 and round_number % 2 == 0:
                    clear_signing_key_cache()  # under the other threads' feet
        except BaseException as error:  # surfaced in the main thread below
            failures.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    for outcomes in results:
        assert outcomes == expected * ROUNDS


def test_scope_dates_either_side_of_midnight_verify_with_their_own_keys() -> None:
    verifier = Verifier(KEYS, clock=lambda: NOW, max_skew=60)
    credentials = Credentials("AKIAFIRSTEXAMPLE", KEYS["AKIAFIRSTEXAMPLE"])
    before, after = (
        Signer(credentials, "us-east-1", "sts").sign(
            "GET", "https://sts.amazonaws.com/", timestamp=t
        )
        for t in SIGNING_TIMES
    )
    assert verifier.verify("GET", before.url, before.headers).date == NOW - timedelta(seconds=31)
    assert verifier.verify("GET", after.url, after.headers).date == NOW - timedelta(seconds=30)
    # The scope date cannot be moved across midnight without the signature breaking.
    swapped = [(n, v.replace("/20240601/", "/20240602/")) for n, v in before.headers]
    swapped = [(n, "20240602T000000Z" if n == "X-Amz-Date" else v) for n, v in swapped]
    assert _outcome(lambda: verifier.verify("GET", before.url, swapped)).startswith(
        "SignatureDoesNotMatchError"
    )
