"""W5 (verify a presigned S3 GET, a different URL each call) and W5-header (verify the
header-signed W2 request), on both twins.

Run: ``python -m pytest benchmarks/test_bench_verify.py --benchmark-only``. The
participants are checked first (verify_workloads.check). ``W1-batch`` in the same
session (test_bench_w1.py) is the yardstick: the ratios of record, and the targets
(compiled <= 2 us, pure <= 8 us per W5 verification), are compare.py's.
"""

from __future__ import annotations

import functools
import itertools
from typing import TYPE_CHECKING

import pytest

import verify_workloads as vw

if TYPE_CHECKING:
    from pytest_benchmark.fixture import BenchmarkFixture

pytest.importorskip("pytest_benchmark")

NAMES = ["fastsigv4 c", "fastsigv4 python"]


@functools.cache
def _participants() -> dict[str, vw.VerifyParticipant]:
    return {participant.name: participant for participant in vw.participants()}


def _participant(name: str) -> vw.VerifyParticipant:
    participant = _participants().get(name)
    if participant is None:
        pytest.skip("the compiled twin is not built or is disabled (FASTSIGV4_NO_EXTENSIONS)")
    return participant


@pytest.mark.parametrize("name", NAMES)
def test_w5_verify_presigned_get(benchmark: BenchmarkFixture, name: str) -> None:
    participant = _participant(name)
    urls = itertools.cycle(participant.urls)
    verify = participant.verify_url
    benchmark.group = "W5"
    with participant.context():
        verified = benchmark(lambda: verify(next(urls)))
    assert verified.auth_type == "query"


@pytest.mark.parametrize("name", NAMES)
def test_w5_header_verify_signed_post(benchmark: BenchmarkFixture, name: str) -> None:
    participant = _participant(name)
    benchmark.group = "W5-header"
    with participant.context():
        verified = benchmark(participant.verify_header_request)
    assert verified.service == "logs"
