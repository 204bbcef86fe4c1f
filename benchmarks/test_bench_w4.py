"""W4: W1-batch on two threads against one thread.

fastsigv4 runs ``S3Presigner.presign_parallel(keys, workers=2)`` when it has it (the
compiled core signs without the GIL), else two threads each calling presign_many on
half the keys; the peers run two threads each looping over half the keys.
``extra_info["how"]`` says which ran. Run:
``python -m pytest benchmarks/test_bench_w4.py --benchmark-only``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import workloads as w
from conftest import W4_NAMES

if TYPE_CHECKING:
    from pytest_benchmark.fixture import BenchmarkFixture

pytest.importorskip("pytest_benchmark")

PEER_BATCH = 2_000


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("s3_participant", W4_NAMES, indirect=True)
def test_w4_threads(
    benchmark: BenchmarkFixture, s3_participant: w.S3Participant, threads: int
) -> None:
    keys = w.KEYS if s3_participant.batch_api else w.KEYS[:PEER_BATCH]
    if threads == 1:
        how, run = "1 thread: presign_many", s3_participant.presign_many
    else:
        how, run = w.two_thread_runner(s3_participant)
    benchmark.group = f"W4 {s3_participant.name}"
    benchmark.extra_info.update(how=how, urls_per_round=len(keys))
    with s3_participant.context():
        assert run(keys[:3000]) == s3_participant.presign_many(keys[:3000])
        benchmark.pedantic(  # type: ignore[no-untyped-call]
            run, args=(keys,), rounds=5, iterations=1, warmup_rounds=1
        )
    if benchmark.stats is not None:  # None under --benchmark-disable
        best = benchmark.stats.stats.min
        benchmark.extra_info["us_per_url"] = round(best / len(keys) * 1e6, 4)
