"""``fastsigv4 presign-bulk``: keys in, presigned URLs out, in order."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from fastsigv4 import Credentials, S3Presigner, cli
from fastsigv4.cli import main

ACCESS_KEY = "AKIDBULKEXAMPLE"
SECRET = "bulk/secret+EXAMPLEKEY"
TIMESTAMP = "20240229T235959Z"
KEYS = ["photos/a b.jpg", "a+b", "  padded  ", "日本/🙂", "%", "x" * 1024, "./..//x"]


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)


def expected_urls(keys: list[str], token: str | None = None, **options: Any) -> list[str]:
    presigner = S3Presigner(
        Credentials(ACCESS_KEY, SECRET, token),
        "eu-west-1",
        "my-bucket",
        timestamp=TIMESTAMP,
        **options,
    )
    return presigner.presign_many(keys)


def run(tmp_path: Path, *extra: str, keys_text: str | bytes | None = None) -> tuple[int, str]:
    source = tmp_path / "keys.txt"
    text = "\n".join(KEYS) + "\n" if keys_text is None else keys_text
    source.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    target = tmp_path / "urls.out"
    code = main(
        [
            "presign-bulk",
            "--bucket",
            "my-bucket",
            "--region",
            "eu-west-1",
            "--timestamp",
            TIMESTAMP,
            "--input",
            str(source),
            "--output",
            str(target),
            *extra,
        ]
    )
    return code, target.read_text(encoding="utf-8") if target.exists() else ""


def test_lines_in_lines_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(tmp_path)
    assert code == 0
    assert out.splitlines() == expected_urls(KEYS)
    err = capsys.readouterr().err
    assert "presigned 7 URLs" in err
    assert SECRET not in err


def test_csv_and_jsonl_outputs_pair_keys_with_urls(tmp_path: Path) -> None:
    urls = expected_urls(KEYS)
    code, out = run(tmp_path, "--format", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["key", "url"]
    assert rows[1:] == [[key, url] for key, url in zip(KEYS, urls, strict=True)]
    code, out = run(tmp_path, "--format", "jsonl")
    assert code == 0
    assert [json.loads(line) for line in out.splitlines()] == [
        {"key": key, "url": url} for key, url in zip(KEYS, urls, strict=True)
    ]


def test_jsonl_input_carries_line_breaks_and_spaces(tmp_path: Path) -> None:
    keys = ["a\nb", " lead", "trail ", "tab\tkey"]
    text = "\n".join(
        json.dumps(key) if index % 2 else json.dumps({"key": key}) for index, key in enumerate(keys)
    )
    code, out = run(tmp_path, "--input-format", "jsonl", keys_text=text + "\n\n")
    assert code == 0
    assert out.splitlines() == expected_urls(keys)


def test_lines_input_drops_only_line_breaks(tmp_path: Path) -> None:
    code, out = run(tmp_path, keys_text="a\r\n\n  b  \nc")
    assert code == 0
    assert out.splitlines() == expected_urls(["a", "  b  ", "c"])


def test_batches_and_workers_keep_input_order(tmp_path: Path) -> None:
    keys = [f"k/{index}" for index in range(2500)]
    code, out = run(tmp_path, "--workers", "2", "--batch-size", "7", keys_text="\n".join(keys))
    assert code == 0
    assert out.splitlines() == expected_urls(keys)


def test_stdin_to_stdout_with_session_token_and_options(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token/with+chars==")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"one\ntwo\n")))
    code = main(
        [
            "presign-bulk",
            "--bucket",
            "my-bucket",
            "--region",
            "eu-west-1",
            "--timestamp",
            TIMESTAMP,
            "--method",
            "PUT",
            "--expires",
            "60",
            "--endpoint",
            "http://127.0.0.1:9000",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert captured.out.splitlines() == expected_urls(
        ["one", "two"],
        "token/with+chars==",
        method="PUT",
        expires=60,
        endpoint="http://127.0.0.1:9000",
    )
    assert captured.out.startswith("http://127.0.0.1:9000/my-bucket/one?")


def test_missing_credentials_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    code, out = run(tmp_path)
    assert code == 2
    assert out == ""
    assert "AWS_SECRET_ACCESS_KEY" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json\n", "input line 1 is not JSON"),
        ('"ok"\n42\n', "input line 2 must be a JSON string"),
    ],
)
def test_bad_jsonl_input_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    code, _ = run(tmp_path, "--input-format", "jsonl", keys_text=text)
    assert code == 2
    assert message in capsys.readouterr().err


def test_unreadable_input_is_a_clean_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "presign-bulk",
            "--bucket",
            "b",
            "--region",
            "us-east-1",
            "--input",
            str(tmp_path / "missing"),
        ]
    )
    assert code == 2
    assert "missing" in capsys.readouterr().err


# Lines in, lines out is presigned block by block (S3Presigner.presign_lines): blocks cut
# at every possible place must give what presign_many gives for the same keys.
LINE_KEYS = [*KEYS, "café/\u00e9", "tab\there", "k/" * 300, "trailing\r", "x"]
LINES_TEXT = "\n\r\n".join(LINE_KEYS[:3]) + "\n" + "\r\n".join(LINE_KEYS[3:]) + "\n\n"


@pytest.mark.parametrize("read_size", [1, 2, 3, 7, 64, 1000, cli.READ_SIZE])
@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("ending", ["", "\n", "\r\n"])
def test_lines_blocks_split_anywhere(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    read_size: int,
    workers: str,
    ending: str,
) -> None:
    monkeypatch.setattr(cli, "READ_SIZE", read_size)
    text = LINES_TEXT.rstrip("\n") + ending  # the last line with or without its line break
    keys = LINE_KEYS  # "trailing\r" before "\r\n" keeps its own CR
    code, out = run(tmp_path, "--workers", workers, keys_text=text)
    assert code == 0
    assert out == "".join(url + "\n" for url in expected_urls(keys))
    assert f"presigned {len(keys)} URLs" in capsys.readouterr().err
    # The CSV path reads the same keys.
    code, _ = run(tmp_path, "--workers", workers, "--format", "csv", keys_text=text)
    assert code == 0
    rows = io.BytesIO()
    cli._write_urls(rows, "csv", keys, expected_urls(keys))
    assert (tmp_path / "urls.out").read_bytes() == b"key,url\n" + rows.getvalue()


@pytest.mark.parametrize("output_format", ["lines", "csv"])
def test_empty_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], output_format: str
) -> None:
    for text in ("", "\n\r\n\n"):
        code, out = run(tmp_path, "--format", output_format, keys_text=text)
        assert code == 0
        assert out == ("key,url\n" if output_format == "csv" else "")
        assert "presigned 0 URLs" in capsys.readouterr().err


@pytest.mark.parametrize("read_size", [1, 5, cli.READ_SIZE])
@pytest.mark.parametrize("extra", [(), ("--workers", "2"), ("--format", "csv")])
def test_invalid_utf8_names_the_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    read_size: int,
    extra: tuple[str, ...],
) -> None:
    monkeypatch.setattr(cli, "READ_SIZE", read_size)
    data = b"one\r\n\ntwo\nbad \xe9t\xe9\nthree\n"
    code, _ = run(tmp_path, *extra, keys_text=data)
    assert code == 2
    err = capsys.readouterr().err
    assert err == (
        "fastsigv4: error: input line 4 is not valid UTF-8 "
        "(invalid continuation byte: 0xE9 at byte 5 of the line)\n"
    )


def test_invalid_utf8_on_stdin_and_in_jsonl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"ok\n\xff\n")))
    code = main(["presign-bulk", "--bucket", "b", "--region", "us-east-1"])
    assert code == 2
    assert "input line 2 is not valid UTF-8 (invalid start byte: 0xFF" in capsys.readouterr().err
    code, _ = run(tmp_path, "--input-format", "jsonl", keys_text=b'"ok"\n\n"\xc3("\n')
    assert code == 2
    assert "input line 3 is not valid UTF-8 (invalid continuation byte: 0xC3 at byte 2" in (
        capsys.readouterr().err
    )
