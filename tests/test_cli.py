"""The command line: ``fastsigv4 demo``."""

from __future__ import annotations

import pytest

from fastsigv4 import _core
from fastsigv4.cli import main


def test_demo_presigns_and_verifies(capsys: pytest.CaptureFixture[str]) -> None:
    implementation = _core.IMPLEMENTATION
    exit_code = main(
        ["demo", "--count", "3000", "--sample", "200", "--timestamp", "20130524T000000Z"]
    )
    out = capsys.readouterr().out
    assert exit_code == 0
    assert "presigned 3,000 URLs" in out
    assert "verified 3,000 URLs with fastsigv4.Verifier" in out
    assert "all valid" in out
    assert "verified 200 sampled URLs" in out
    assert "all identical" in out
    assert f"(core: {implementation})" in out
    assert (
        "https://examplebucket.s3.us-east-1.amazonaws.com/photos/00/a%20b/img_0000000.jpg?" in out
    )
    assert "wJalrXUtnFEMI" not in out
    # The demo's re-verification switches twins; it must hand back the one in use.
    assert implementation == _core.IMPLEMENTATION


def test_demo_rejects_a_bad_timestamp(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--count", "10", "--timestamp", "yesterday"]) == 2
    assert "YYYYMMDDTHHMMSSZ" in capsys.readouterr().err


def test_demo_rejects_a_zero_count(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--count", "0"])
    assert exit_info.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err
