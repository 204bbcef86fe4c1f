"""Instructions per operation under ``valgrind --tool=callgrind``: repeatable ratios.

    python benchmarks/callgrind.py            # every participant below (several minutes)
    python benchmarks/callgrind.py --quick    # fewer operations
    python benchmarks/callgrind.py --only "fastsigv4 c" --only "awscrt aws_sign_request"

Wall-clock times on a shared machine wander; instruction counts do not. For each
participant this runs the process twice under callgrind, with N0 and N1 operations of
the same workload, and reports (Ir(N1) - Ir(N0)) / (N1 - N0): the instructions one more
operation costs, with start-up, imports, set-up and warm-up cancelled out.

- W1-batch: presigned GET URLs for distinct keys (``presign_many`` for fastsigv4,
  a loop of the single-URL call for the peers, which have no batch API).
- W2: the CloudWatch Logs PutLogEvents request with its 1 KiB body, header-signed.
- W5: ``Verifier.verify`` of the W1 presigned URLs, a different URL each operation
  (see verify_workloads.py); compare with W1-batch's instructions per URL.

Each worker first checks its participant's signatures (workloads.check_s3 /
check_headers). Valgrind's CPUID hides the SHA extensions, so under callgrind every
participant runs its portable (non-SHA-NI) SHA-256 code: instruction counts compare
the code paths a CPU without SHA-NI runs, not this machine's wall-clock ones.
Needs valgrind (Debian/Ubuntu: ``apt-get install -y valgrind``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import workloads as w

HERE = Path(__file__).resolve()

# (workload, participant, N0, N1): N1 - N0 operations are the measured difference.
CASES: list[tuple[str, str, int, int]] = [
    ("W1-batch", "fastsigv4 c", 2_000, 22_000),
    ("W1-batch", "fastsigv4 python", 2_000, 22_000),
    ("W1-batch", "awscrt aws_sign_request", 2_000, 22_000),
    ("W1-batch", "minio presign_v4", 500, 5_500),
    ("W1-batch", "botocore S3SigV4QueryAuth", 500, 5_500),
    ("W2", "fastsigv4 c", 1_000, 11_000),
    ("W2", "fastsigv4 python", 1_000, 11_000),
    ("W2", "awscrt aws_sign_request", 1_000, 11_000),
    ("W2", "requests-aws4auth", 200, 2_200),
    ("W2", "botocore SigV4Auth", 200, 2_200),
    ("W5", "fastsigv4 c", 1_000, 11_000),
    ("W5", "fastsigv4 python", 1_000, 11_000),
]
W5_URLS = 12_000


# ---------------------------------------------------------------------------
# Worker: runs inside valgrind


def worker(workload: str, name: str, operations: int) -> None:
    with w.no_network():
        if workload == "W1-batch":
            participant = w.s3_factories()[name]()
            result = w.check_s3(participant)
            keys = w.KEYS[:operations]
            with participant.context():
                participant.presign_many(w.KEYS[-1000:])  # warm-up, not in either count
                urls = participant.presign_many(keys)
            assert len(urls) == operations
        elif workload == "W5":
            import verify_workloads as vw

            # The same URLs in the N0 and N1 runs, so making them cancels out.
            verifier = {p.name: p for p in vw.participants(W5_URLS)}[name]
            assert operations + 1000 <= W5_URLS
            result = w.CheckResult(name)  # participants() checked it
            with verifier.context():
                for url in verifier.urls[-1000:]:  # warm-up, not in either count
                    verifier.verify_url(url)
                for url in verifier.urls[:operations]:
                    verifier.verify_url(url)
        else:
            header_participant = w.header_factories()[name]()
            result = w.check_headers(header_participant)
            with header_participant.context():
                for _ in range(200):
                    header_participant.sign()
                for _ in range(operations):
                    header_participant.sign()
    if not result.ok:
        sys.exit(f"{name}: signature check failed: {result.mismatches[:3]}")
    print(f"sha256 path seen by the worker: {w.sha256_path()}", file=sys.stderr)


# ---------------------------------------------------------------------------
# Driver


@dataclass
class Count:
    workload: str
    participant: str
    n0: int
    n1: int
    ir0: int
    ir1: int
    seconds: float

    @property
    def per_op(self) -> float:
        return (self.ir1 - self.ir0) / (self.n1 - self.n0)


def _total_ir(out_file: Path) -> int:
    for line in out_file.read_text().splitlines():
        match = re.match(r"(?:summary|totals):\s+(\d+)", line)
        if match:
            return int(match.group(1))
    raise RuntimeError(f"no instruction total in {out_file}")


def _run(workload: str, name: str, operations: int, directory: Path) -> tuple[int, str]:
    """Total instructions of one worker run, and the SHA-256 path it saw."""
    out = directory / f"callgrind.{workload}.{name.replace(' ', '_')}.{operations}.out"
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        sys.executable,
        str(HERE),
        "--worker",
        workload,
        name,
        str(operations),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({completed.returncode}):\n{completed.stderr[-2000:]}"
        )
    seen = re.search(r"sha256 path seen by the worker: (.*)", completed.stderr)
    return _total_ir(out), seen.group(1) if seen else "?"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--worker", nargs=3, metavar=("WORKLOAD", "NAME", "N"), help=argparse.SUPPRESS
    )
    parser.add_argument("--quick", action="store_true", help="a tenth of the operations")
    parser.add_argument("--only", action="append", help="participant name (repeatable)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the counts here")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep callgrind.out files here")
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker[0], args.worker[1], int(args.worker[2]))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind not found: apt-get install -y valgrind (Debian/Ubuntu)")
        return 2
    version = subprocess.run(["valgrind", "--version"], capture_output=True, text=True).stdout
    print(" ".join(["python benchmarks/callgrind.py", *(sys.argv[1:] if argv is None else argv)]))
    print(f"  {version.strip()}, {w.machine()['python']}, cpu: {w.cpu_model()}")
    print(f"  fastsigv4 source: {w.source_state()}")
    print("  instructions per operation = (Ir(N1) - Ir(N0)) / (N1 - N0); portable SHA-256 paths")
    print()

    factories: dict[str, dict[str, Callable[[], object]]] = {
        "W1-batch": dict(w.s3_factories()),
        "W2": dict(w.header_factories()),
        "W5": {name: object for name, _ in w._twins()},
    }
    counts: list[Count] = []
    directory = Path(args.keep or tempfile.mkdtemp(prefix="fastsigv4-callgrind-"))
    directory.mkdir(parents=True, exist_ok=True)
    for workload, name, n0, n1 in CASES:
        if args.only and name not in args.only:
            continue
        if name not in factories[workload]:
            print(f"  skip {workload} {name}: not available here")
            continue
        try:
            factories[workload][name]()  # Unavailable if not installed
        except w.Unavailable as exc:
            print(f"  skip {workload} {name}: {exc}")
            continue
        if args.quick:
            n0, n1 = max(n0 // 10, 1), max(n1 // 10, 2)
        start = time.perf_counter()
        ir0, sha_path = _run(workload, name, n0, directory)
        ir1, _ = _run(workload, name, n1, directory)
        count = Count(workload, name, n0, n1, ir0, ir1, time.perf_counter() - start)
        if name == "fastsigv4 c":
            print(f"  (fastsigv4 c under valgrind runs SHA-256 path: {sha_path})")
        counts.append(count)
        print(
            f"  {workload:<8} {name:<28} {count.per_op:>12,.0f} Ir/op  "
            f"({n1 - n0:,} ops, {count.seconds:.0f} s)",
            flush=True,
        )
    if not args.keep:
        shutil.rmtree(directory, ignore_errors=True)

    print()
    header = f"{'workload':<9} {'participant':<28} {'N1-N0':>7} {'Ir/op':>12} {'vs ours c':>10}"
    print(header)
    print("-" * len(header))
    for workload in dict.fromkeys(count.workload for count in counts):
        group = [count for count in counts if count.workload == workload]
        ours = next((count for count in group if count.participant == "fastsigv4 c"), None)
        for count in group:
            ratio = f"{count.per_op / ours.per_op:.1f}x" if ours else "-"
            print(
                f"{workload:<9} {count.participant:<28} {count.n1 - count.n0:>7,} "
                f"{count.per_op:>12,.0f} {ratio:>10}"
            )
    if args.json is not None:
        rows = [dict(vars(count), ir_per_op=count.per_op) for count in counts]
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")  # same dict/set layouts run to run
    sys.exit(main())
