"""The command line: ``fastsigv4 verify`` and ``fastsigv4 explain``.

Exit codes: 0 valid, 1 invalid, 2 usage error. Secrets come from the environment or
--secret-file and are never printed; session tokens are redacted.
"""

from __future__ import annotations

import hashlib
import io
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from fastsigv4 import Credentials, S3Presigner, SignatureDoesNotMatchError, Signer, Verifier
from fastsigv4.cli import main

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE+TOKEN/=="
NOW = "20240601T120000Z"
NOW_AT = datetime(2024, 6, 1, 12, tzinfo=timezone.utc)


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    return monkeypatch


def presigned_url(key: str = "reports/a b.csv", credentials: Credentials | None = None) -> str:
    presigner = S3Presigner(
        credentials or Credentials(ACCESS_KEY, SECRET), "us-east-1", "bucket", timestamp=NOW
    )
    return presigner.presign(key)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def raw_request(signed_headers: tuple[tuple[str, str], ...], target: str, body: bytes) -> bytes:
    lines = [f"PUT {target} HTTP/1.1"] + [f"{name}: {value}" for name, value in signed_headers]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def test_verify_a_presigned_url(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "verify", presigned_url(), "--now", NOW, "--region", "us-east-1")
    assert code == 0
    assert out.startswith("valid: query-signed by AKIAIOSFODNN7EXAMPLE for us-east-1/s3")
    assert "valid until 2024-06-01T13:00:00Z" in out
    assert SECRET not in out


@pytest.mark.parametrize(
    ("change", "code_name"),
    [
        (lambda url: url.replace("a%20b", "a%20c"), "SignatureDoesNotMatch"),
        (
            lambda url: url.replace("X-Amz-Expires=3600", "X-Amz-Expires=0"),
            "AuthorizationQueryParametersError",
        ),
        (
            lambda url: url.replace("us-east-1%2F", "eu-west-1%2F"),
            "AuthorizationQueryParametersError",
        ),
    ],
)
def test_verify_rejects_tampered_urls(
    environment: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    change: object,
    code_name: str,
) -> None:
    url = change(presigned_url())  # type: ignore[operator]
    code, out, _ = run(capsys, "verify", url, "--now", NOW, "--region", "us-east-1")
    assert code == 1
    assert out.startswith(f"invalid: {code_name} (HTTP ")
    assert SECRET not in out


def test_verify_an_expired_url(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "verify", presigned_url(), "--now", "20240601T130001Z")
    assert code == 1
    assert "invalid: AccessDenied (HTTP 403): Request has expired" in out


def test_verify_a_raw_request_from_a_file_and_stdin(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    body = b'{"logEvents": []}'
    signed = Signer(Credentials(ACCESS_KEY, SECRET), "us-east-1", "s3").sign(
        "PUT",
        "https://bucket.s3.us-east-1.amazonaws.com/k%20ey",
        {"Content-Type": "x/y"},
        body,
        timestamp=NOW,
    )
    data = raw_request(signed.headers, "/k%20ey", body)
    request_file = tmp_path / "request.http"
    request_file.write_bytes(data)
    code, out, _ = run(capsys, "verify", "--request", str(request_file), "--now", NOW)
    assert code == 0
    assert out.startswith("valid: header-signed")
    environment.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert run(capsys, "verify", "--request", "-", "--now", NOW)[0] == 0
    # One body byte changed: the body no longer matches X-Amz-Content-SHA256.
    request_file.write_bytes(data[:-2] + b"X}")
    code, out, _ = run(capsys, "verify", "--request", str(request_file), "--now", NOW)
    assert code == 1
    assert "XAmzContentSHA256Mismatch" in out


def test_verify_with_a_secret_file_and_wrong_secret(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    environment.delenv("AWS_SECRET_ACCESS_KEY")
    secret_file = tmp_path / "secret"
    secret_file.write_text("not-the-secret\n")
    code, out, _ = run(
        capsys, "verify", presigned_url(), "--now", NOW, "--secret-file", str(secret_file)
    )
    assert code == 1
    assert "SignatureDoesNotMatch" in out
    assert "not-the-secret" not in out
    secret_file.write_text(SECRET)
    assert (
        run(capsys, "verify", presigned_url(), "--now", NOW, "--secret-file", str(secret_file))[0]
        == 0
    )


def test_verify_an_unknown_access_key(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.setenv("AWS_ACCESS_KEY_ID", "AKIAOTHER")
    code, out, _ = run(capsys, "verify", presigned_url(), "--now", NOW)
    assert code == 1
    assert "InvalidAccessKeyId" in out


def test_verify_session_token_is_redacted(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.setenv("AWS_SESSION_TOKEN", TOKEN)
    url = presigned_url(credentials=Credentials(ACCESS_KEY, SECRET, TOKEN))
    assert run(capsys, "verify", url, "--now", NOW)[0] == 0
    code, out, err = run(capsys, "verify", url.replace("a%20b", "a%20c"), "--now", NOW)
    assert code == 1
    assert "SignatureDoesNotMatch" in out
    for text in (out, err):
        assert TOKEN not in text
        assert "IQoJb3JpZ2luX2VjEXAMPLE%2BTOKEN" not in text


def test_verify_usage_errors(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "verify")
    assert code == 2
    assert "either a presigned URL or --request" in err
    environment.delenv("AWS_SECRET_ACCESS_KEY")
    code, _, err = run(capsys, "verify", presigned_url())
    assert code == 2
    assert "--secret-file" in err
    bad = tmp_path / "bad.http"
    bad.write_bytes(b"GET / HTTP/1.1\r\n\r\n")
    environment.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    code, _, err = run(capsys, "verify", "--request", str(bad))
    assert code == 2
    assert "Host" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["verify", "--bogus"])
    assert exit_info.value.code == 2


def test_explain_a_presigned_url(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "explain", presigned_url())
    assert code == 0
    assert "credential scope: 20240601/us-east-1/s3/aws4_request" in out
    assert "(matches)" in out
    assert "canonical request:\nGET\n/reports/a%20b.csv\n" in out
    assert "\nhost\nUNSIGNED-PAYLOAD\n" in out
    assert "string to sign:\nAWS4-HMAC-SHA256\n20240601T120000Z\n" in out
    assert SECRET not in out
    environment.setenv("AWS_SECRET_ACCESS_KEY", "other")
    assert "DIFFERS" in run(capsys, "explain", presigned_url())[1]
    environment.delenv("AWS_SECRET_ACCESS_KEY")
    assert "not checked: no secret given" in run(capsys, "explain", presigned_url())[1]


def test_explain_signs_an_unsigned_request(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    environment.setenv("AWS_SESSION_TOKEN", TOKEN)
    request_file = tmp_path / "request.http"
    request_file.write_bytes(
        b"POST / HTTP/1.1\r\nHost: logs.us-east-1.amazonaws.com\r\n"
        b"Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: Logs_20140328.PutLogEvents"
        b"\r\nContent-Length: 2\r\n\r\n{}"
    )
    code, out, _ = run(
        capsys,
        "explain",
        "--request",
        str(request_file),
        "--region",
        "us-east-1",
        "--service",
        "logs",
        "--now",
        NOW,
    )
    assert code == 0
    expected = Signer(Credentials(ACCESS_KEY, SECRET, TOKEN), "us-east-1", "logs").sign(
        "POST",
        "https://logs.us-east-1.amazonaws.com/",
        [
            ("Host", "logs.us-east-1.amazonaws.com"),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "Logs_20140328.PutLogEvents"),
            ("Content-Length", "2"),
        ],
        b"{}",
        timestamp=NOW,
    )
    assert f"signature:        {expected.signature}" in out
    assert "x-amz-security-token:<redacted>" in out
    assert TOKEN not in out
    code, _, err = run(capsys, "explain", "--request", str(request_file))
    assert code == 2
    assert "--region" in err


def _error_response(error: Exception, code: str) -> bytes:
    return (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{code}</Code><Message>{escape(str(error))}</Message></Error>"
        "<RequestId>4f5f0d1c-0000-4000-8000-000000000000</RequestId></ErrorResponse>"
    ).encode()


def test_diagnose_a_wrong_secret_from_a_raw_request(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    signed = Signer(Credentials(ACCESS_KEY, "a-secret-of-another-key"), "us-east-1", "sts").sign(
        "POST",
        "https://sts.amazonaws.com/",
        {"Content-Type": "application/x-www-form-urlencoded"},
        body,
        timestamp=NOW,
    )
    server = Verifier({ACCESS_KEY: SECRET}, clock=lambda: NOW_AT)
    with pytest.raises(SignatureDoesNotMatchError) as caught:
        server.verify("POST", signed.url, signed.headers, body)
    error_file = tmp_path / "error.xml"
    error_file.write_bytes(_error_response(caught.value, "SignatureDoesNotMatch"))
    request_file = tmp_path / "request.http"
    lines = ["POST / HTTP/1.1", *(f"{n}: {v}" for n, v in signed.headers)]
    request_file.write_bytes(
        ("\r\n".join([*lines, f"Content-Length: {len(body)}"]) + "\r\n\r\n").encode() + body
    )
    code, out, _ = run(capsys, "diagnose", str(error_file), "--request", str(request_file))
    assert code == 0
    assert out.startswith("Cause: signing_key_mismatch")
    assert "a-secret-of-another-key" not in out
    assert SECRET not in out


def test_diagnose_a_presigned_put_sent_without_its_content_type(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The client signed Content-Type into a presigned PUT, then sent the body without it:
    # the server canonicalized an empty content-type line.
    signer = Signer(Credentials(ACCESS_KEY, SECRET), "us-east-1", "s3")
    url = "https://bucket.s3.us-east-1.amazonaws.com/upload.png"
    presigned = signer.presign("PUT", url, headers={"Content-Type": "image/png"}, timestamp=NOW)
    server_view = presigned.canonical_request.replace("content-type:image/png", "content-type:")
    string_to_sign = (
        presigned.string_to_sign.rsplit("\n", 1)[0]
        + "\n"
        + hashlib.sha256(server_view.encode()).hexdigest()
    )
    error_file = tmp_path / "error.xml"
    error_file.write_text(
        "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we "
        "calculated does not match the signature you provided. Check your key and signing "
        f"method.</Message><AWSAccessKeyId>{ACCESS_KEY}</AWSAccessKeyId>"
        f"<StringToSign>{string_to_sign}</StringToSign>"
        f"<SignatureProvided>{presigned.signature}</SignatureProvided>"
        f"<CanonicalRequest>{escape(server_view)}</CanonicalRequest></Error>"
    )
    code, out, _ = run(capsys, "diagnose", str(error_file), "--url", presigned.url)
    assert code == 0
    assert out.startswith("Cause: signed_header_not_sent")
    assert "'content-type'" in out
    assert "Fix:" in out


def test_diagnose_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "diagnose", str(tmp_path / "missing.xml"), "--url", "https://h/")
    assert code == 2
    assert "missing.xml" in err
    hostile = tmp_path / "entity.xml"
    hostile.write_text('<!DOCTYPE x [<!ENTITY a "b">]><Error><Code>&a;</Code></Error>')
    code, _, err = run(capsys, "diagnose", str(hostile), "--url", "https://h/")
    assert code == 2
    assert "DOCTYPE" in err or "ENTITY" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["diagnose", str(hostile)])
    assert exit_info.value.code == 2
