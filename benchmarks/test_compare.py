"""Smoke test of compare.py: ``--quick`` runs every workload and writes its JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import compare


def test_compare_quick_runs_every_workload(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results.json"
    assert compare.main(["--quick", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    rows = {(row["workload"], row["participant"], row["threads"]) for row in report["rows"]}
    for workload in ("W1", "W1-batch", "W2", "W5", "W5-header"):
        assert (workload, "fastsigv4 python", 1) in rows
    assert ("W4", "fastsigv4 python", 2) in rows
    assert all(
        check["ok"] for check in report["checks"] if check["participant"].startswith("fastsigv4")
    )
    printed = capsys.readouterr().out
    assert "== results" in printed
    assert "== targets" in printed
