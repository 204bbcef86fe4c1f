"""Runs the atheris harness (fuzz_twins.py) for a bounded time in a subprocess.

20 seconds by default; FASTSIGV4_FUZZ_SECONDS=N runs it longer (by hand, or nightly) and
FASTSIGV4_FUZZ_CORPUS=DIR keeps the corpus between runs. Skipped when atheris is not
installed (``pip install '.[fuzz]'``), unless FASTSIGV4_REQUIRE_FUZZ=1 makes that a
failure. A failing input is shown (base64) with the harness's ``--explain`` of it; save it
to a file and run ``python tests/fuzz/fuzz_twins.py FILE`` to replay it.
"""

from __future__ import annotations

import base64
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.python_only, pytest.mark.fuzz]

HARNESS = Path(__file__).with_name("fuzz_twins.py")


def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


def _seconds() -> int:
    text = os.environ.get("FASTSIGV4_FUZZ_SECONDS", "20")
    if not text.isdigit() or int(text) < 1:
        raise pytest.UsageError(f"FASTSIGV4_FUZZ_SECONDS={text!r}: a whole number of seconds >= 1")
    return int(text)


def _stat(output: str, name: str) -> int | None:
    match = re.search(rf"^stat::{name}:\s*(\d+)", output, re.MULTILINE)
    return int(match.group(1)) if match else None


def _explain(artifact: Path) -> str:
    explained = subprocess.run(
        [sys.executable, str(HARNESS), "--explain", str(artifact)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return explained.stdout[-6000:] + explained.stderr[-2000:]


def test_fuzz_twins_bounded(tmp_path: Path) -> None:
    if importlib.util.find_spec("atheris") is None:
        if _flag("FASTSIGV4_REQUIRE_FUZZ"):
            pytest.fail("FASTSIGV4_REQUIRE_FUZZ=1 but atheris is not installed")
        pytest.skip("atheris is not installed: pip install '.[fuzz]'")
    seconds = _seconds()
    corpus = Path(os.environ.get("FASTSIGV4_FUZZ_CORPUS", "") or tmp_path / "corpus")
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    command = [
        sys.executable,
        str(HARNESS),
        f"-max_total_time={seconds}",
        "-timeout=60",  # one input running a minute is a hang: reported as a failure
        "-rss_limit_mb=4096",
        "-max_len=4096",
        "-print_final_stats=1",
        f"-artifact_prefix={artifacts}/",
        str(corpus),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 300, check=False
    )
    output = done.stdout + done.stderr
    executed = _stat(output, "number_of_executed_units")
    rate = _stat(output, "average_exec_per_sec")
    print(f"fuzz_twins: {executed} inputs in {seconds} s ({rate}/s)")
    if done.returncode != 0:
        report = [f"fuzz_twins exited with {done.returncode}:\n{output[-8000:]}"]
        for artifact in sorted(artifacts.iterdir()):
            encoded = base64.b64encode(artifact.read_bytes()).decode()
            report.append(f"{artifact.name} (base64): {encoded}\n{_explain(artifact)}")
        pytest.fail("\n\n".join(report), pytrace=False)
    # The harness really ran inputs (and libFuzzer printed its statistics).
    assert executed is not None, output[-4000:]
    assert executed >= 100, output[-4000:]
