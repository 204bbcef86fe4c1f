"""Command-line interface: ``fastsigv4 demo`` and ``fastsigv4 presign-bulk``."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from typing import IO

from . import __version__, _core, _core_py
from ._time import resolve_timestamp
from .credentials import Credentials
from .errors import SigV4Error
from .s3 import S3Presigner
from .signer import Signer

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
    verdict = "all identical" if mismatches == 0 else f"{mismatches} DIFFER"
    print(
        f"verified {len(sample):,} sampled URLs against the pure-Python twin "
        f"and the generic Signer: {verdict}"
    )
    return 0 if mismatches == 0 else 1


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


def read_key_batches(stream: IO[str], input_format: str, size: int) -> Iterator[list[str]]:
    """Object keys from a text stream in lists of ``size``: one key per line, or one JSON
    string per line (jsonl).

    In ``lines`` format only the line break is removed (a trailing CR too), so spaces
    around a key are kept and blank lines are skipped; keys that contain line breaks
    need ``jsonl`` (``"a\\nb"``), which also accepts ``{"key": "..."}`` objects.
    """
    keys = _line_keys(stream) if input_format == "lines" else _jsonl_keys(stream)
    batch: list[str] = []
    for block in keys:
        batch.extend(block)
        while len(batch) >= size:
            yield batch[:size]
            del batch[:size]
    if batch:
        yield batch


def _line_keys(stream: IO[str]) -> Iterator[list[str]]:
    # Whole blocks split at once: a per-line loop would cost more than signing a key.
    pending = ""
    while block := stream.read(1 << 20):
        lines = (pending + block).split("\n")
        pending = lines.pop()
        if "\r" in block:
            lines = [line.removesuffix("\r") for line in lines]
        yield [line for line in lines if line] if "" in lines else lines
    if pending.removesuffix("\r"):
        yield [pending.removesuffix("\r")]


def _jsonl_keys(stream: IO[str]) -> Iterator[list[str]]:
    for number, line in enumerate(stream, 1):
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
        source = (
            sys.stdin
            if args.input == "-"
            else stack.enter_context(open(args.input, encoding="utf-8", newline=""))
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
        if args.format == "csv":
            out.write(b"key,url\n")
        count = 0
        started = time.perf_counter()
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
            "Presign S3 object URLs for raw keys, one per input line, written in input "
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
