"""``fastsigv4 presign-bulk`` end to end: a file of realistic keys through the CLI.

    python benchmarks/presign_bulk_e2e.py                       # 10,000,000 keys
    python benchmarks/presign_bulk_e2e.py --keys 1000000 --repeats 3 --dir /tmp/e2e

Keys look like a log bucket's (``logs/2024/01/31/host-01234/part-000123.json.gz``, 42
to 47 bytes); the file is generated once in ``--dir`` and reused. Each run is
``/usr/bin/time -v python -m fastsigv4 presign-bulk --workers N ...`` with the AWS
documentation's example credentials and a fixed timestamp, written to a file in
``--dir`` (deleted after the run: ~3.6 GB for 10 M keys) and to /dev/null. Reported per
run: the CLI's own URLs/s (reading, signing and writing: the time from its first read to
its last write), wall time, user and system CPU seconds, peak RSS and minor page faults.
The fastsigv4 measured is the one ``python -c "import fastsigv4"`` finds (set PYTHONPATH).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
}
SUFFIXES = ("json.gz", "csv", "parquet", "log.zst")
TIME_FIELDS = {
    "wall": r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)",
    "user": r"User time \(seconds\): (\S+)",
    "sys": r"System time \(seconds\): (\S+)",
    "rss_kb": r"Maximum resident set size \(kbytes\): (\d+)",
    "minor_faults": r"Minor \(reclaiming a frame\) page faults: (\d+)",
}


def key_file(directory: Path, count: int) -> Path:
    path = directory / f"keys-{count}.txt"
    if not path.exists():
        rng = random.Random(42)
        with open(path.with_suffix(".tmp"), "w", encoding="ascii", newline="") as out:
            for start in range(0, count, 100_000):
                out.write(
                    "".join(
                        f"logs/2024/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/"
                        f"host-{rng.randint(0, 99_999):05d}/part-{index:06d}."
                        f"{SUFFIXES[index % 4]}\n"
                        for index in range(start, min(count, start + 100_000))
                    )
                )
        path.with_suffix(".tmp").rename(path)
    return path


def run(keys: Path, output: str, workers: int) -> dict[str, str]:
    command = [
        "/usr/bin/time",
        "-v",
        sys.executable,
        "-m",
        "fastsigv4",
        "presign-bulk",
        "--bucket",
        "examplebucket",
        "--region",
        "us-east-1",
        "--timestamp",
        "20240101T000000Z",
        "--workers",
        str(workers),
        "--input",
        str(keys),
        "--output",
        output,
    ]
    done = subprocess.run(
        command, env={**os.environ, **CREDENTIALS}, capture_output=True, text=True, check=True
    )
    rate = re.search(r"presigned ([\d,]+) URLs in \S+ s \(([\d,]+) URLs/s", done.stderr)
    if rate is None:
        raise RuntimeError(f"no rate in the CLI's output: {done.stderr}")
    result = {"urls": rate.group(1), "urls_per_s": rate.group(2)}
    for name, pattern in TIME_FIELDS.items():
        found = re.search(pattern, done.stderr)
        result[name] = found.group(1) if found else "?"
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=10_000_000, help="keys (default 10 M)")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/fastsigv4-e2e"))
    parser.add_argument("--repeats", type=int, default=1, help="runs per output (default 1)")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    keys = key_file(args.dir, args.keys)
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import fastsigv4, fastsigv4._core as c; print(fastsigv4.__file__, c.IMPLEMENTATION)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"fastsigv4: {where}; {keys} ({keys.stat().st_size:,} bytes); load {os.getloadavg()}")
    for label, output in (("file", str(args.dir / "urls.out")), ("/dev/null", "/dev/null")):
        for _ in range(args.repeats):
            try:
                result = run(keys, output, args.workers)
            finally:
                if output != "/dev/null" and os.path.exists(output):
                    os.unlink(output)
            print(
                f"{label:>9}: {result['urls']} URLs, {result['urls_per_s']} URLs/s; wall "
                f"{result['wall']}, user {result['user']} s, sys {result['sys']} s, peak RSS "
                f"{int(result['rss_kb']) // 1024} MB, minor faults {result['minor_faults']}; "
                f"load {os.getloadavg()[0]:.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
