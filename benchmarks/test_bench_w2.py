"""W2: header-signed POST of a 1 KiB JSON body with CloudWatch Logs PutLogEvents headers.

Run: ``python -m pytest benchmarks/test_bench_w2.py --benchmark-only``. Each case
first checks that the participant's Authorization header is the pure twin's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import workloads as w
from conftest import HEADER_NAMES

if TYPE_CHECKING:
    from pytest_benchmark.fixture import BenchmarkFixture

pytest.importorskip("pytest_benchmark")


@pytest.mark.parametrize("header_participant", HEADER_NAMES, indirect=True)
def test_w2_sign_log_events(
    benchmark: BenchmarkFixture, header_participant: w.HeaderParticipant
) -> None:
    benchmark.group = "W2"
    with header_participant.context():
        result = benchmark(header_participant.sign)
    assert header_participant.authorization(result) == w.reference_authorization()
