#!/usr/bin/env python3
"""Atheris harness: the compiled and the pure core twin, fed the same fuzzed input.

Each input's bytes choose a target (a core function: uri_encode, canonical_path with
every flag combination, canonical_query, trimall, canonical_headers, string_to_sign,
signing_key + sign, PresignKernel.presign/presign_many; or the public API: Signer.sign,
Signer.presign, S3Presigner's presign/presign_many/presign_iter/presign_parallel, the
Verifier) and then its arguments; ``twin_cases`` runs it on both twins and raises unless
they return equal results or raise the same exception type with the same message, and
any exception is a fastsigv4.SigV4Error.

Usage (libFuzzer flags; a crash writes its input to ``crash-<sha1>``)::

    pip install '.[fuzz]'
    python tests/fuzz/fuzz_twins.py -max_total_time=300 -print_final_stats=1 CORPUS_DIR
    python tests/fuzz/fuzz_twins.py crash-<sha1>          # replay one input
    python tests/fuzz/fuzz_twins.py --explain crash-<sha1>  # and print its calls

The package's Python code is instrumented for coverage feedback; the compiled twin is
not (it is checked by comparison, and by .ci/asan under the sanitizers).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import atheris  # type: ignore[import-not-found,import-untyped,unused-ignore]

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests/ directory

with atheris.instrument_imports(include=["fastsigv4"]):
    from fuzz import twin_cases

T = TypeVar("T")


class FuzzedSource:
    """twin_cases.Source over atheris' FuzzedDataProvider."""

    def __init__(self, data: bytes) -> None:
        self._fdp: Any = atheris.FuzzedDataProvider(data)

    def integer(self, low: int, high: int) -> int:
        value: int = self._fdp.ConsumeIntInRange(low, high)
        return value

    def boolean(self) -> bool:
        return bool(self._fdp.ConsumeBool())

    def pick(self, options: Sequence[T]) -> T:
        return options[self.integer(0, len(options) - 1)]

    def unicode(self, max_chars: int) -> str:
        # ASCII, UTF-16 or UTF-32 code units: lone surrogates included.
        text: str = self._fdp.ConsumeUnicode(self.integer(0, max_chars))
        return text

    def raw(self, max_bytes: int) -> bytes:
        data: bytes = self._fdp.ConsumeBytes(self.integer(0, max_bytes))
        return data

    def join(self, good: Sequence[str], bad: Sequence[str], max_parts: int) -> str:
        return twin_cases.join_pieces(self, good, bad, max_parts)


def test_one_input(data: bytes) -> None:
    _, case = twin_cases.build(FuzzedSource(data))
    twin_cases.check_case(case)


def explain(path: str) -> None:
    """Print the target, then each call's label, arguments and outcome on every twin."""
    name, case = twin_cases.build(FuzzedSource(Path(path).read_bytes()))
    print(f"{path}: target {name}")
    for item in case:
        print(f"  {item.label}: {item.inputs}")
        for twin in twin_cases.TWINS:
            print(f"  {item.label} [{twin.IMPLEMENTATION}]: {twin_cases.run(item.call, twin)!r}")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--explain":
        for path in sys.argv[2:]:
            explain(path)
        return
    twins = ", ".join(twin.IMPLEMENTATION for twin in twin_cases.TWINS)
    print(f"fuzz_twins: twins {twins}", file=sys.stderr, flush=True)
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
