"""Secret hygiene: no repr, str, exception, log record or CLI output carries the secret
key, a derived signing key or the session token (raw or percent-encoded).

Every object the library hands out, and every error path we can reach with these
credentials, is rendered and searched. Runs on both core twins.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import pickle
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape

import pytest

import fastsigv4
from fastsigv4 import (
    Credentials,
    S3Presigner,
    Signer,
    SigV4Error,
    Verifier,
    _core,
    inspect_request,
)
from fastsigv4.cli import main

ACCESS_KEY = "ASIAHYGIENEEXAMPLE"
SECRET = "Hyg1eneSecret/+=Key0123456789abcdefABCDEF"
TOKEN = "HygieneSessionToken/+=//AAAAexampleZZZZ"
NOW = "20240601T120000Z"
NOW_AT = datetime(2024, 6, 1, 12, tzinfo=timezone.utc)
CREDENTIALS = Credentials(ACCESS_KEY, SECRET, TOKEN, NOW_AT + timedelta(hours=1))


def _signing_key_hex() -> str:
    key = ("AWS4" + SECRET).encode()
    for part in ("20240601", "us-east-1", "s3", "aws4_request"):
        key = hmac.digest(key, part.encode(), hashlib.sha256)
    return key.hex()


FORBIDDEN = [
    SECRET,
    quote(SECRET, safe=""),
    TOKEN,
    quote(TOKEN, safe=""),
    _signing_key_hex(),
    ("AWS4" + SECRET),
]


def assert_clean(text: str, what: str = "output") -> None:
    for secret in FORBIDDEN:
        assert secret not in text, f"{what} leaks a secret"


def renderings(value: object) -> Iterator[str]:
    yield repr(value)
    yield str(value)
    yield format(value, "")


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def test_objects_never_render_secrets(records: pytest.LogCaptureFixture) -> None:
    signer = Signer(CREDENTIALS, "us-east-1", "s3")
    presigner = S3Presigner(CREDENTIALS, "us-east-1", "bucket", timestamp=NOW)
    signed = signer.sign(
        "PUT", "https://bucket.s3.amazonaws.com/k", {"A": "1"}, b"x", timestamp=NOW
    )
    presigned = signer.presign("GET", "https://bucket.s3.amazonaws.com/k", timestamp=NOW)
    verifier = Verifier({ACCESS_KEY: CREDENTIALS}, clock=lambda: NOW_AT)
    verified = verifier.verify("GET", presigned.url)
    inspected = inspect_request("GET", presigned.url)
    key = _core.signing_key(ACCESS_KEY, SECRET, "20240601", "us-east-1", "s3")
    values: list[object] = [
        CREDENTIALS,
        signer,
        presigner,
        signed,
        presigned,
        verifier,
        verified,
        inspected,
        key,
        presigner._kernel(),
        pickle.loads(pickle.dumps(signer)),
    ]
    for value in values:
        for text in renderings(value):
            assert_clean(text, type(value).__name__)
    for record in records.records:
        assert_clean(record.getMessage(), "a log record")


def _error_cases() -> Iterator[tuple[str, object]]:
    signer = Signer(CREDENTIALS, "us-east-1", "s3")
    url = "https://bucket.s3.amazonaws.com/k"
    presigned = signer.presign("GET", url, timestamp=NOW).url
    signed = signer.sign("GET", url, timestamp=NOW)
    right = Verifier({ACCESS_KEY: CREDENTIALS}, clock=lambda: NOW_AT)
    yield "signature mismatch", lambda: right.verify("GET", presigned.replace("/k?", "/j?"))
    yield (
        "wrong token",
        lambda: Verifier(
            {ACCESS_KEY: Credentials(ACCESS_KEY, SECRET, "x")}, clock=lambda: NOW_AT
        ).verify("GET", presigned),
    )
    yield (
        "token unexpected",
        lambda: Verifier({ACCESS_KEY: SECRET}, clock=lambda: NOW_AT).verify("GET", presigned),
    )
    yield "header mismatch", lambda: right.verify("PUT", signed.url, signed.headers)
    yield (
        "expired",
        lambda: Verifier(
            {ACCESS_KEY: CREDENTIALS}, clock=lambda: NOW_AT + timedelta(days=1)
        ).verify("GET", presigned),
    )
    yield (
        "expired credentials",
        lambda: Signer(
            Credentials(ACCESS_KEY, SECRET, TOKEN, NOW_AT - timedelta(1)), "us-east-1", "s3"
        ).presign("GET", url, timestamp=NOW),
    )
    yield (
        "clamp refused",
        lambda: Signer(CREDENTIALS, "us-east-1", "s3", on_credential_expiry="raise").presign(
            "GET", url, expires=7200, timestamp=NOW
        ),
    )
    yield "bad header", lambda: signer.sign("GET", url, {"X-Bad": "a\nb"}, timestamp=NOW)
    yield "bad secret type", lambda: Credentials(ACCESS_KEY, b"bytes")  # type: ignore[arg-type]
    yield (
        "secret with surrogate",
        lambda: Signer(Credentials(ACCESS_KEY, SECRET + "\udc80", TOKEN), "us-east-1", "s3").sign(
            "GET", url, timestamp=NOW
        ),
    )


@pytest.mark.parametrize(("name", "action"), list(_error_cases()), ids=lambda v: str(v)[:20])
def test_errors_never_carry_secrets(name: str, action: object) -> None:
    with pytest.raises(SigV4Error) as caught:
        action()  # type: ignore[operator]
    error = caught.value
    texts = [*renderings(error), *(str(arg) for arg in error.args)]
    texts += [str(value) for value in vars(error).values()] if hasattr(error, "__dict__") else []
    for text in texts:
        assert_clean(text, f"the {name} error")
    # Chained causes are suppressed or clean too.
    cause = error.__cause__ or error.__context__
    if cause is not None:
        assert_clean(repr(cause), f"the cause of the {name} error")


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    return monkeypatch


def test_cli_output_never_carries_secrets(
    environment: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    url = S3Presigner(CREDENTIALS, "us-east-1", "bucket", timestamp=NOW).presign("a b")
    signed = Signer(CREDENTIALS, "us-east-1", "logs").sign(
        "POST",
        "https://logs.us-east-1.amazonaws.com/",
        {"X-Amz-Target": "T"},
        b"{}",
        timestamp=NOW,
    )
    raw = tmp_path / "request.http"
    raw.write_bytes(
        (
            "POST / HTTP/1.1\r\n"
            + "".join(f"{n}: {v}\r\n" for n, v in signed.headers)
            + "Content-Length: 2\r\n\r\n{}"
        ).encode()
    )
    unsigned = tmp_path / "unsigned.http"
    unsigned.write_bytes(b"GET /x HTTP/1.1\r\nHost: sts.amazonaws.com\r\n\r\n")
    keys = tmp_path / "keys.txt"
    keys.write_text("a\nb b\n")
    # The server's view of that request, echoed in its error as S3 does: token included.
    server_view = signed.canonical_request.replace("\nx-amz-target:T\n", "\nx-amz-target:U\n")
    assert TOKEN in server_view
    error = tmp_path / "error.xml"
    error.write_text(
        "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we "
        "calculated does not match the signature you provided.</Message>"
        f"<CanonicalRequest>{escape(server_view)}</CanonicalRequest></Error>"
    )
    # presign-bulk's URLs must carry X-Amz-Security-Token (they are the product): they go
    # to a file, and what the command prints besides is checked.
    runs = [
        ["diagnose", str(error), "--request", str(raw)],
        ["diagnose", str(error), "--url", url],
        ["verify", url, "--now", NOW],
        ["verify", url.replace("a%20b", "a%20c"), "--now", NOW],
        ["verify", url, "--now", "20250101T000000Z"],
        ["verify", "--request", str(raw), "--now", NOW],
        ["verify", "--request", str(raw)],
        ["explain", url],
        ["explain", "--request", str(raw)],
        ["explain", "--request", str(unsigned), "--region", "us-east-1", "--service", "sts"],
        [
            "presign-bulk",
            "--bucket",
            "b",
            "--region",
            "us-east-1",
            "--input",
            str(keys),
            "--output",
            str(tmp_path / "urls.txt"),
            "--timestamp",
            NOW,
        ],
        [
            "presign-bulk",
            "--bucket",
            "b",
            "--region",
            "us-east-1",
            "--input",
            str(keys),
            "--format",
            "jsonl",
            "--expires",
            "999999",
        ],
    ]
    for argv in runs:
        main(argv)
        captured = capsys.readouterr()
        assert_clean(captured.out + captured.err, " ".join(argv[:2]))


def test_the_library_logs_nothing_secret(records: pytest.LogCaptureFixture) -> None:
    # fastsigv4 has no logger of its own; whatever a debug-level root logger collects
    # while signing and verifying must still be clean.
    logging.getLogger("fastsigv4").debug("probe")
    signer = Signer(CREDENTIALS, "us-east-1", "sts")
    signer.sign("POST", "https://sts.amazonaws.com/", None, b"Action=GetCallerIdentity")
    assert all(not record.name.startswith("fastsigv4.") for record in records.records)
    for record in records.records:
        assert_clean(record.getMessage(), "a log record")
    assert fastsigv4.IMPLEMENTATION in ("c", "python")
