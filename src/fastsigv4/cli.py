"""Command-line interface: ``fastsigv4 demo``."""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except SigV4Error as exc:
        print(f"fastsigv4: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
