"""W1 (one presigned S3 GET per call, key varies) and W1-batch (100,000 keys).

Run: ``python -m pytest benchmarks/test_bench_w1.py --benchmark-only``. Each case
first checks that the participant's URLs carry the pure twin's signatures (see
workloads.check_s3). The recorded one-process ratios are in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import pytest

import workloads as w
from conftest import S3_NAMES

if TYPE_CHECKING:
    from pytest_benchmark.fixture import BenchmarkFixture

pytest.importorskip("pytest_benchmark")

# The peers have no batch API; their W1-batch is a loop over this many keys a round.
PEER_BATCH = 2_000


@pytest.mark.parametrize("s3_participant", S3_NAMES, indirect=True)
def test_w1_presign_one_url(benchmark: BenchmarkFixture, s3_participant: w.S3Participant) -> None:
    keys = itertools.cycle(w.KEYS)
    presign = s3_participant.presign
    benchmark.group = "W1"
    with s3_participant.context():
        url = benchmark(lambda: presign(next(keys)))
    assert url.startswith("https://" + w.S3_HOST + "/photos/")


@pytest.mark.parametrize("s3_participant", S3_NAMES, indirect=True)
def test_w1_batch(benchmark: BenchmarkFixture, s3_participant: w.S3Participant) -> None:
    keys = w.KEYS if s3_participant.batch_api else w.KEYS[:PEER_BATCH]
    benchmark.group = "W1-batch"
    benchmark.extra_info["urls_per_round"] = len(keys)
    with s3_participant.context():
        urls = benchmark.pedantic(  # type: ignore[no-untyped-call]
            s3_participant.presign_many, args=(keys,), rounds=5, iterations=1, warmup_rounds=1
        )
    assert len(urls) == len(keys)
    if benchmark.stats is not None:  # None under --benchmark-disable
        best = benchmark.stats.stats.min
        benchmark.extra_info["us_per_url"] = round(best / len(keys) * 1e6, 4)
