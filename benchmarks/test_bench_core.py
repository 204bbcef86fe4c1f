"""Core benchmarks on both twins (pytest-benchmark).

Run: ``python -m pytest benchmarks --benchmark-only``. Each case first checks that
the twins produce the same output, so a fast wrong answer cannot win.
Peer comparisons and recorded ratios live in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from types import ModuleType

import pytest

from fastsigv4 import Credentials, S3Presigner, Signer, _core, _core_py

pytest.importorskip("pytest_benchmark")

CREDENTIALS = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
TIMESTAMP = "20240101T000000Z"
KEYS = [f"photos/2024/{index % 12:02d}/img_{index:06d}.jpg" for index in range(100_000)]
BODY = (b'{"logGroupName":"app","logStreamName":"web-1","logEvents":[' + b"x" * 950 + b"]}")[:1024]
LOG_HEADERS = {
    "Content-Type": "application/x-amz-json-1.1",
    "X-Amz-Target": "Logs_20140328.PutLogEvents",
}

_compiled = _core.compiled_twin()
TWINS = [_core_py] + ([_compiled] if _compiled is not None else [])


@pytest.fixture(params=TWINS, ids=[twin.IMPLEMENTATION for twin in TWINS])
def twin(request: pytest.FixtureRequest) -> Iterator[ModuleType]:
    with _core.using(request.param) as selected:
        yield selected


def _presign_reference(keys: list[str]) -> list[str]:
    with _core.using(_core_py):
        return S3Presigner(
            CREDENTIALS, "us-east-1", "examplebucket", timestamp=TIMESTAMP
        ).presign_many(keys)


def test_w1_presign_one_url(benchmark: pytest.FixtureRequest, twin: ModuleType) -> None:
    presigner = S3Presigner(CREDENTIALS, "us-east-1", "examplebucket", timestamp=TIMESTAMP)
    assert [presigner.presign(key) for key in KEYS[:100]] == _presign_reference(KEYS[:100])
    keys = itertools.cycle(KEYS)
    benchmark(lambda: presigner.presign(next(keys)))  # type: ignore[operator]


def test_w1_presign_many_100k(benchmark: pytest.FixtureRequest, twin: ModuleType) -> None:
    presigner = S3Presigner(CREDENTIALS, "us-east-1", "examplebucket", timestamp=TIMESTAMP)
    assert presigner.presign_many(KEYS[:1000]) == _presign_reference(KEYS[:1000])
    benchmark.pedantic(presigner.presign_many, args=(KEYS,), rounds=5, iterations=1)  # type: ignore[attr-defined]


def test_w2_sign_log_events(benchmark: pytest.FixtureRequest, twin: ModuleType) -> None:
    signer = Signer(CREDENTIALS, "us-east-1", "logs")
    url = "https://logs.us-east-1.amazonaws.com/"
    with _core.using(_core_py):
        reference = Signer(CREDENTIALS, "us-east-1", "logs").sign(
            "POST", url, LOG_HEADERS, BODY, timestamp=TIMESTAMP
        )
    assert signer.sign("POST", url, LOG_HEADERS, BODY, timestamp=TIMESTAMP) == reference
    benchmark(signer.sign, "POST", url, LOG_HEADERS, BODY, timestamp=TIMESTAMP)  # type: ignore[operator]
