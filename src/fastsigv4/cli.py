"""Command-line interface: ``demo``, ``presign-bulk``, ``verify``, ``explain``, ``diagnose``.

Secrets come from the environment or a file, never from an argument (it would land in
shell history and process listings), and are never printed; session tokens are
redacted from everything shown.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import sys
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from typing import IO

from . import __version__, _core, _core_py
from ._core_py import decode_lines, line_keys
from ._time import resolve_timestamp
from .credentials import Credentials
from .diagnose import diagnose
from .errors import SigV4Error, VerificationError
from .http_message import HttpRequest, parse_http_request
from .s3 import S3Presigner, _check_workers
from .signer import Signer, _redact
from .verifier import Verifier, inspect_request

# The example key pair from the AWS documentation: it signs correctly and opens nothing.
EXAMPLE_CREDENTIALS = Credentials(
    "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)


def example_keys(count: int) -> list[str]:
    """Object keys shaped like a real bucket's, with the characters that break signers."""
    specials = (
        "a b",
        "a+b",
        "a%2Bb",
        "~tilde",
        "!'()*",
        "[x]",
        "k=v",
        "#hash",
        "q?",
        "café",
        "日本",
        "🙂",
    )
    return [
        f"photos/{index % 97:02d}/{specials[index % len(specials)]}/img_{index:07d}.jpg"
        for index in range(count)
    ]


def _demo(args: argparse.Namespace) -> int:
    keys = example_keys(args.count)
    # One signing time for the batch and for its re-verification.
    amz_date, _ = resolve_timestamp(args.timestamp)
    presigner = S3Presigner(
        EXAMPLE_CREDENTIALS, args.region, args.bucket, expires=args.expires, timestamp=amz_date
    )
    started = time.perf_counter()
    urls = presigner.presign_many(keys)
    elapsed = time.perf_counter() - started

    # Every URL through the server-side Verifier, at the signing time.
    _, signed_at = resolve_timestamp(amz_date)
    verifier = Verifier(
        {EXAMPLE_CREDENTIALS.access_key_id: EXAMPLE_CREDENTIALS.secret_access_key},
        regions={args.region},
        services={"s3"},
        clock=lambda: signed_at,
    )
    verify = verifier.verify
    rejected = 0
    started = time.perf_counter()
    for url in urls:
        try:
            verify("GET", url)
        except VerificationError:
            rejected += 1
    verify_elapsed = time.perf_counter() - started

    # Verify a sample with the pure twin and, independently, the generic Signer.
    sample = random.Random(0).sample(range(len(keys)), min(args.sample, len(keys)))
    compiled = _core.IMPLEMENTATION
    with _core.using(_core_py):
        pure_urls = S3Presigner(
            EXAMPLE_CREDENTIALS, args.region, args.bucket, expires=args.expires, timestamp=amz_date
        ).presign_many([keys[index] for index in sample])
        signer = Signer(EXAMPLE_CREDENTIALS, args.region, "s3")
        mismatches = 0
        for index, pure_url in zip(sample, pure_urls, strict=True):
            unsigned = urls[index].partition("?")[0]
            generic = signer.presign("GET", unsigned, expires=args.expires, timestamp=amz_date).url
            mismatches += urls[index] != pure_url or urls[index] != generic

    print(
        f"fastsigv4 {__version__} demo (core: {compiled}) "
        "with the AWS documentation's EXAMPLE credentials"
    )
    print(f"first URL: {urls[0]}")
    print(
        f"presigned {len(urls):,} URLs in {elapsed:.3f} s: {len(urls) / elapsed:,.0f} URLs/s, "
        f"{elapsed / len(urls) * 1e6:.2f} µs per URL"
    )
    print(
        f"verified {len(urls):,} URLs with fastsigv4.Verifier in {verify_elapsed:.3f} s: "
        f"{len(urls) / verify_elapsed:,.0f} URLs/s, "
        + ("all valid" if rejected == 0 else f"{rejected:,} REJECTED")
    )
    verdict = "all identical" if mismatches == 0 else f"{mismatches} DIFFER"
    print(
        f"verified {len(sample):,} sampled URLs against the pure-Python twin "
        f"and the generic Signer: {verdict}"
    )
    return 0 if mismatches == 0 and rejected == 0 else 1


def _environment_credentials() -> Credentials:
    # Secrets come from the environment only: an argument would land in shell history
    # and in every process listing.
    access_key_id = os.environ.get("AWS_ACCESS_KEY_ID")
    secret_access_key = os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not access_key_id or not secret_access_key:
        raise SigV4Error(
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for "
            "temporary credentials) in the environment"
        )
    return Credentials(
        access_key_id, secret_access_key, os.environ.get("AWS_SESSION_TOKEN") or None
    )


# Input is read in blocks of this many bytes: enough to make the per-block work negligible,
# few enough that a block's URLs (about eight times its size) stay in the CPU caches.
READ_SIZE = 1 << 18


def line_blocks(stream: IO[bytes]) -> Iterator[tuple[bytes, int]]:
    """Blocks of whole lines read from a binary stream (the input's last line may lack its
    "\n"), each with the number of its first line in the input."""
    parts: list[bytes] = []  # a line longer than a read, in pieces: no quadratic copying
    number = 1
    while chunk := stream.read(READ_SIZE):
        cut = chunk.rfind(b"\n") + 1
        if not cut:
            parts.append(chunk)
            continue
        parts.append(chunk[:cut])
        block = b"".join(parts)
        parts = [chunk[cut:]] if cut < len(chunk) else []
        yield block, number
        number += block.count(b"\n")
    if parts:
        yield b"".join(parts), number


def read_key_batches(stream: IO[bytes], input_format: str, size: int) -> Iterator[list[str]]:
    """Object keys from a binary stream in lists of ``size``: one key per line (see
    ``_core_py.line_keys``), or one JSON string per line (jsonl).

    In ``lines`` format only the line break is removed (a trailing CR too), so spaces
    around a key are kept and blank lines are skipped; keys that contain line breaks
    need ``jsonl`` (``"a\\nb"``), which also accepts ``{"key": "..."}`` objects.
    """
    keys = (
        (line_keys(block, number) for block, number in line_blocks(stream))
        if input_format == "lines"
        else _jsonl_keys(stream)
    )
    batch: list[str] = []
    for block in keys:
        batch.extend(block)
        while len(batch) >= size:
            yield batch[:size]
            del batch[:size]
    if batch:
        yield batch


def _jsonl_keys(stream: IO[bytes]) -> Iterator[list[str]]:
    for number, raw in enumerate(stream, 1):
        line = decode_lines(raw, number)
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SigV4Error(f"input line {number} is not JSON: {exc.msg}") from None
        if isinstance(item, dict):
            item = item.get("key")
        if not isinstance(item, str):
            raise SigV4Error(
                f'input line {number} must be a JSON string or an object with a "key" string'
            )
        yield [item]


def _presign_line_blocks(
    presigner: S3Presigner, stream: IO[bytes], workers: int
) -> Iterator[tuple[bytes, int]]:
    """The URL lines of every block of key lines and how many there are, in input order.

    Past one worker the blocks are presigned on threads (the compiled core holds no GIL
    meanwhile), at most 2 * workers + 1 of them ahead of the output.
    """
    blocks = line_blocks(stream)
    if workers == 1:
        for block, number in blocks:
            yield presigner.presign_lines(block, number)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="fastsigv4-presign") as pool:
        pending: deque[Future[tuple[bytes, int]]] = deque()
        try:
            for block, number in blocks:
                pending.append(pool.submit(presigner.presign_lines, block, number))
                if len(pending) > 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:  # on an error: what is queued is not presigned
                future.cancel()


def _write_urls(out: IO[bytes], output_format: str, keys: list[str], urls: list[str]) -> None:
    # One encoded write per batch: bytes skip the text layer, which costs more than signing.
    if output_format == "lines":
        text = "\n".join(urls) + "\n"
    elif output_format == "csv":
        rows = io.StringIO()
        csv.writer(rows, lineterminator="\n").writerows(zip(keys, urls, strict=True))
        text = rows.getvalue()
    else:
        text = "".join(
            json.dumps({"key": key, "url": url}, ensure_ascii=False) + "\n"
            for key, url in zip(keys, urls, strict=True)
        )
    out.write(text.encode("utf-8"))


def _presign_bulk(args: argparse.Namespace) -> int:
    presigner = S3Presigner(
        _environment_credentials(),
        args.region,
        args.bucket,
        endpoint=args.endpoint,
        method=args.method,
        expires=args.expires,
        timestamp=args.timestamp,
    )
    with ExitStack() as stack:
        # Binary: keys are decoded (and checked) as UTF-8 where they are read.
        source = (
            sys.stdin.buffer if args.input == "-" else stack.enter_context(open(args.input, "rb"))
        )
        sys.stdout.flush()
        out = (
            sys.stdout.buffer
            if args.output == "-"
            else stack.enter_context(open(args.output, "wb"))
        )
        progress = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            progress = stack.enter_context(
                tqdm(unit=" URLs", unit_scale=True, file=sys.stderr, mininterval=0.5)
            )
        count = 0
        started = time.perf_counter()
        if args.input_format == "lines" and args.format == "lines":
            # Bytes in, bytes out: no object per key.
            workers = _check_workers(args.workers)
            for url_lines, done in _presign_line_blocks(presigner, source, workers):
                out.write(url_lines)
                count += done
                if progress is not None:
                    progress.update(done)
        else:
            if args.format == "csv":
                out.write(b"key,url\n")
            # A batch per worker per round, so each thread gets a full batch_size of keys.
            batch_size = args.batch_size * args.workers
            for batch in read_key_batches(source, args.input_format, batch_size):
                if args.workers > 1:
                    urls = presigner.presign_parallel(
                        batch, workers=args.workers, batch_size=args.batch_size
                    )
                else:
                    urls = presigner.presign_many(batch)
                _write_urls(out, args.format, batch, urls)
                count += len(batch)
                if progress is not None:
                    progress.update(len(batch))
        out.flush()
        elapsed = time.perf_counter() - started
    rate = count / elapsed if elapsed > 0 else 0.0
    print(
        f"fastsigv4: presigned {count:,} URLs in {elapsed:.2f} s ({rate:,.0f} URLs/s, "
        f"core: {_core.IMPLEMENTATION})",
        file=sys.stderr,
    )
    return 0


def _read_request(args: argparse.Namespace) -> HttpRequest:
    """The request to verify or explain: a URL argument, or raw HTTP from --request."""
    if (args.url is None) == (args.request is None):
        raise SigV4Error("pass either a presigned URL or --request FILE (- for stdin), not both")
    if args.url is not None:
        return HttpRequest(args.method, args.url, (), b"")
    if args.request == "-":
        data = sys.stdin.buffer.read()
    else:
        with open(args.request, "rb") as stream:
            data = stream.read()
    return parse_http_request(data, scheme=args.scheme)


def _secret_from(args: argparse.Namespace) -> str | None:
    if args.secret_file is not None:
        with open(args.secret_file, encoding="utf-8") as stream:
            secret = stream.read().strip()
        if not secret:
            raise SigV4Error(f"--secret-file {args.secret_file} is empty")
        return secret
    return os.environ.get("AWS_SECRET_ACCESS_KEY") or None


def _verifier_for(args: argparse.Namespace, secret: str) -> Verifier:
    """A verifier that knows one key: AWS_ACCESS_KEY_ID if set, else whichever key the
    request names, with the secret (and AWS_SESSION_TOKEN) given."""
    access_key_id = os.environ.get("AWS_ACCESS_KEY_ID") or None
    token = os.environ.get("AWS_SESSION_TOKEN") or None

    def lookup(requested: str) -> str | Credentials | None:
        if access_key_id is not None and requested != access_key_id:
            return None
        return secret if token is None else Credentials(requested, secret, token)

    now = None
    if args.now is not None:
        _, instant = resolve_timestamp(args.now)
        now = instant.timestamp()
    return Verifier(
        lookup,
        regions=args.region or None,
        services=args.service or None,
        clock=None if now is None else (lambda: now),
        max_skew=args.max_skew,
    )


def _verify(args: argparse.Namespace) -> int:
    request = _read_request(args)
    secret = _secret_from(args)
    if secret is None:
        raise SigV4Error(
            "set AWS_SECRET_ACCESS_KEY (and AWS_ACCESS_KEY_ID, AWS_SESSION_TOKEN as needed) "
            "or pass --secret-file FILE"
        )
    try:
        verified = _verifier_for(args, secret).verify(
            request.method, request.url, request.headers, request.body
        )
    except VerificationError as exc:
        print(f"invalid: {exc.code} (HTTP {exc.status}): {exc}")
        return 1
    expiry = (
        ""
        if verified.expires_at is None
        else f", valid until {verified.expires_at:%Y-%m-%dT%H:%M:%SZ}"
    )
    print(
        f"valid: {verified.auth_type}-signed by {verified.access_key_id} for "
        f"{verified.region}/{verified.service} at {verified.date:%Y-%m-%dT%H:%M:%SZ}{expiry}; "
        f"signed headers: {';'.join(verified.signed_headers)}"
    )
    return 0


def _explain(args: argparse.Namespace) -> int:
    """Show how a signed request canonicalizes; sign an unsigned one first."""
    request = _read_request(args)
    names = {name.lower() for name, _ in request.headers}
    signed_query = "X-Amz-Signature=" in request.url or "X-Amz-Algorithm=" in request.url
    token = os.environ.get("AWS_SESSION_TOKEN") or None
    if "authorization" in names or signed_query:
        inspected = inspect_request(request.method, request.url, request.headers, request.body)
        token = inspected._session_token or token
        lines = [
            f"auth type:        {inspected.auth_type}",
            f"access key id:    {inspected.access_key_id}",
            f"credential scope: {inspected.scope}",
            f"signed headers:   {';'.join(inspected.signed_headers)}",
            f"payload hash:     {inspected.payload_hash}",
        ]
        canonical_request = inspected.canonical_request
        string_to_sign = inspected.string_to_sign
        signature = inspected.signature
        secret = _secret_from(args)
        if secret is not None:
            expected = _core.signing_key(
                inspected.access_key_id,
                secret,
                inspected.date,
                inspected.region,
                inspected.service,
            ).sign(string_to_sign)
            verdict = (
                "matches"
                if expected == signature
                else f"DIFFERS: with the secret given it is {expected}"
            )
            lines.append(f"signature:        {signature} ({verdict})")
        else:
            lines.append(f"signature:        {signature} (not checked: no secret given)")
    else:
        if not args.region or not args.service or len(args.region) > 1 or len(args.service) > 1:
            raise SigV4Error(
                "the request is not signed: pass one --region and one --service to sign it "
                "with the credentials in the environment"
            )
        credentials = _environment_credentials()
        token = credentials.session_token
        signer = Signer(credentials, args.region[0], args.service[0])
        signed = signer.sign(
            request.method, request.url, request.headers, request.body, timestamp=args.now
        )
        canonical_request = signed.canonical_request
        string_to_sign = signed.string_to_sign
        lines = [
            f"signed now as {credentials.access_key_id} for {args.region[0]}/{args.service[0]}"
        ]
        lines += [f"{name}: {_redact(value, token)}" for name, value in signed.headers]
        lines.append(f"signature:        {signed.signature}")
    print("\n".join(lines))
    print("\ncanonical request:\n" + _redact(canonical_request, token))
    print("\nstring to sign:\n" + string_to_sign)
    return 0


def _diagnose(args: argparse.Namespace) -> int:
    """Explain a server's error response for the request that was sent."""
    with open(args.error, "rb") as stream:
        error_body = stream.read()
    request: bytes | str
    if args.url is not None:
        request = args.url
    elif args.request == "-":
        request = sys.stdin.buffer.read()
    else:
        with open(args.request, "rb") as stream:
            request = stream.read()
    print(diagnose(error_body, request))
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fastsigv4", description=__doc__)
    parser.add_argument("--version", action="version", version=f"fastsigv4 {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="presign example keys with the AWS example credentials and print the rate"
    )
    demo.add_argument(
        "--count", type=_positive, default=1_000_000, help="keys to presign (default 1,000,000)"
    )
    demo.add_argument(
        "--sample", type=_positive, default=1000, help="URLs to re-verify (default 1000)"
    )
    demo.add_argument("--bucket", default="examplebucket")
    demo.add_argument("--region", default="us-east-1")
    demo.add_argument("--expires", type=_positive, default=3600)
    demo.add_argument("--timestamp", default=None, help="fixed signing time, YYYYMMDDTHHMMSSZ")
    demo.set_defaults(run=_demo)

    bulk = commands.add_parser(
        "presign-bulk",
        help="presign one S3 URL per object key read from a file or stdin",
        description=(
            "Presign S3 object URLs for raw keys, one UTF-8 key per input line, written in input "
            "order. Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and "
            "AWS_SESSION_TOKEN. Keys with line breaks, or whose surrounding spaces must "
            'survive any editor, go in --input-format jsonl: one JSON string ("a\\nb") '
            'or {"key": ...} object per line.'
        ),
    )
    bulk.add_argument("--bucket", required=True)
    bulk.add_argument("--region", required=True)
    bulk.add_argument("--endpoint", help="S3-compatible endpoint, e.g. http://127.0.0.1:9000")
    bulk.add_argument("--expires", type=_positive, default=3600, help="seconds (default 3600)")
    bulk.add_argument("--method", choices=("GET", "PUT", "HEAD"), default="GET")
    bulk.add_argument("--input", default="-", help="key file, or - for stdin (default)")
    bulk.add_argument("--input-format", choices=("lines", "jsonl"), default="lines")
    bulk.add_argument("--output", default="-", help="URL file, or - for stdout (default)")
    bulk.add_argument("--format", choices=("lines", "csv", "jsonl"), default="lines")
    bulk.add_argument("--workers", type=_positive, default=1, help="signing threads (default 1)")
    bulk.add_argument("--batch-size", type=_positive, default=8192, help=argparse.SUPPRESS)
    bulk.add_argument("--timestamp", default=None, help="fixed signing time, YYYYMMDDTHHMMSSZ")
    bulk.set_defaults(run=_presign_bulk)

    secret_help = (
        "file holding the secret access key (default: AWS_SECRET_ACCESS_KEY; "
        "AWS_ACCESS_KEY_ID and AWS_SESSION_TOKEN are read from the environment)"
    )
    for name, run, summary in (
        (
            "verify",
            _verify,
            "verify a presigned URL or a raw HTTP request (exit 0 valid, 1 invalid)",
        ),
        (
            "explain",
            _explain,
            "show the canonical request, string to sign and signature of a request",
        ),
    ):
        command = commands.add_parser(name, help=summary, description=summary)
        command.add_argument("url", nargs="?", help="a presigned URL")
        command.add_argument("--request", help="raw HTTP request file, or - for stdin")
        command.add_argument("--method", default="GET", help="method of the URL (default GET)")
        command.add_argument(
            "--scheme", default="https", help="scheme of --request (default https)"
        )
        command.add_argument("--secret-file", help=secret_help)
        command.add_argument("--region", action="append", help="allowed region (repeatable)")
        command.add_argument("--service", action="append", help="allowed service (repeatable)")
        command.add_argument("--now", help="the time to check against, YYYYMMDDTHHMMSSZ")
        command.add_argument("--max-skew", type=int, default=900, help="seconds (default 900)")
        command.set_defaults(run=run)

    explain_error = commands.add_parser(
        "diagnose",
        help="explain a SignatureDoesNotMatch (or other signing error) response",
        description=(
            "Read a server's error response (S3 <Error> or IAM/STS <ErrorResponse> XML, JSON "
            "or the message text) and the request that was sent, recompute the request's "
            "canonical request and name the likely cause with its fix. No secret needed."
        ),
    )
    explain_error.add_argument("error", help="file holding the error response body")
    source = explain_error.add_mutually_exclusive_group(required=True)
    source.add_argument("--request", help="raw HTTP request file, or - for stdin")
    source.add_argument("--url", help="the presigned URL that was used")
    explain_error.set_defaults(run=_diagnose)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except SigV4Error as exc:
        print(f"fastsigv4: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # unreadable input, unwritable output, closed pipe
        print(f"fastsigv4: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
