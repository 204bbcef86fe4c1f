"""Shared fixtures of the benchmark suites: participants by name, checked once.

``python -m pytest benchmarks`` runs the suites (``--benchmark-only`` skips the
smoke test of compare.py); the project's default ``python -m pytest`` does not
collect this folder. A participant that is not installed, or cannot run here, is
skipped with the reason; one whose signature differs from the pure twin's fails.
"""

from __future__ import annotations

import functools

import pytest

import workloads as w

OURS = ["fastsigv4 c", "fastsigv4 python"]
S3_NAMES = [*OURS, *(name for name, _ in w.S3_PEERS)]
HEADER_NAMES = [*OURS, *(name for name, _ in w.HEADER_PEERS)]
W4_NAMES = [*OURS, *sorted(w.W4_PEERS)]


@functools.cache
def _roster() -> w.Roster:
    return w.all_participants()


def _missing(name: str, workload: str) -> str:
    for skipped_workload, skipped_name, why in _roster().skipped:
        if skipped_name == name and skipped_workload == workload:
            return why
    if name == "fastsigv4 c":
        return "the compiled twin is not built or is disabled (FASTSIGV4_NO_EXTENSIONS)"
    return f"{name} is not a participant of {workload}"


@functools.cache
def _checked_s3(name: str) -> w.S3Participant:
    for participant in _roster().s3:
        if participant.name == name:
            result = w.check_s3(participant)
            assert result.ok, f"{name} signs differently: {result.mismatches[:5]}"
            return participant
    pytest.skip(_missing(name, "W1"))


@functools.cache
def _checked_headers(name: str) -> w.HeaderParticipant:
    for participant in _roster().headers:
        if participant.name == name:
            result = w.check_headers(participant)
            assert result.ok, f"{name} signs differently: {result.mismatches}"
            return participant
    pytest.skip(_missing(name, "W2"))


@pytest.fixture
def s3_participant(request: pytest.FixtureRequest) -> w.S3Participant:
    """The S3 presign participant named by the test's parameter, signature-checked."""
    return _checked_s3(request.param)


@pytest.fixture
def header_participant(request: pytest.FixtureRequest) -> w.HeaderParticipant:
    """The W2 participant named by the test's parameter, signature-checked."""
    return _checked_headers(request.param)
