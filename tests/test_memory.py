"""Memory: a million signatures leave the resident set size (RSS) flat, on each core twin.

The workload mixes S3Presigner.presign_many batches (the bulk of the million), Signer.sign
and Signer.presign, on inputs made fresh for every call (new key, URL and header strings,
a different signing date on every header signature), so that a leaked reference or
buffer keeps something alive per call. Every cache involved is bounded (templates 128,
parsed URLs 256, signing keys 256, one kernel per timestamp) and fills up during the
warm-up; RSS is read from /proc/self/statm after the warm-up and again at the end.

The threshold: after the warm-up the workload only reuses memory it has already touched,
so the RSS of a leak-free run stays put (measured: 0 to 16 KiB, allocator noise). A leak
of 50 bytes per operation in the *smallest* group of operations (50,000 Signer.sign
calls, likewise Signer.presign) adds 2.5 MB (3.2 MB once malloc rounds 50 up to a 64-byte
chunk; measured: RSS +2.2 MiB, as part of it lands in memory freed earlier), and far
more in the bulk (900,000 presign_many URLs: 45 MB). SLACK = 512 KiB sits between noise
and that smallest leak with a margin of 4x or more each way, and a test below injects
exactly that leak (a 50-byte malloc per Signer.sign) to show that it is caught. Another
test checks the reference counts of every argument object, which also catches leaked
references to objects that are reused (and so never grow RSS).
"""

from __future__ import annotations

import ctypes
import gc
import os
import subprocess
import sys
from array import array
from collections.abc import Callable
from types import ModuleType

import pytest

import fastsigv4
from fastsigv4 import Credentials, S3Presigner, Signer, _core, _core_py

if not os.path.exists("/proc/self/statm"):
    pytest.skip("RSS is read from /proc/self/statm (Linux)", allow_module_level=True)

PAGE = os.sysconf("SC_PAGE_SIZE")
SLACK = 512 << 10
CREDENTIALS = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "tok")
TIMESTAMP = "20240601T120000Z"
DATES = [
    f"2024{month:02d}{day:02d}T120000Z" for month in (1, 3, 5, 7, 8, 10) for day in range(1, 29)
]

WARMUP_ROUNDS, ROUNDS = 20, 200
BATCH = 4500  # presign_many keys per round: more than one chunk of the compiled twin (4096)
CALLS = 250  # Signer.sign and Signer.presign calls per round, each
# Measured: 200 * (4,500 + 2 * 250) = 1,000,000 operations (900,000 + 50,000 + 50,000).


def rss() -> int:
    gc.collect()
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def keys(round_: int) -> list[str]:
    return [
        f"photos/{round_:04d}/{index:05d}" + (" é+x.jpg" if index % 3 else ".jpg")
        for index in range(BATCH)
    ]


def workload(rounds: int, start: int, on_sign: Callable[[], None] = lambda: None) -> int:
    """``rounds`` rounds of fresh input; returns the number of signatures made."""
    signer = Signer(CREDENTIALS, "us-east-1", "execute-api")
    s3_signer = Signer(CREDENTIALS, "us-east-1", "s3")
    made = 0
    for round_ in range(start, start + rounds):
        # A new presigner per round: a new kernel (and its buffers) every time.
        presigner = S3Presigner(CREDENTIALS, "us-east-1", "examplebucket", timestamp=TIMESTAMP)
        made += len(presigner.presign_many(keys(round_)))
        for call in range(CALLS):
            number = round_ * CALLS + call
            signed = signer.sign(
                "POST",
                f"https://logs.us-east-1.amazonaws.com/{number}/a b?n={number}&x",
                [("Content-Type", "application/json"), ("X-Amz-Target", f"Logs.{number}")],
                b'{"n": %d}' % number,
                timestamp=DATES[number % len(DATES)],  # a signing key lookup per call
            )
            on_sign()
            presigned = s3_signer.presign(
                "PUT",
                f"https://b.s3.us-east-1.amazonaws.com/k/{number} é",
                headers={"Content-Type": "text/plain"},
                timestamp=TIMESTAMP,
            )
            made += 2
            del signed, presigned
    return made


def measure(on_sign: Callable[[], None] = lambda: None) -> tuple[int, int]:
    """(RSS growth over the measured rounds, signatures made in them)."""
    fastsigv4.clear_signing_key_cache()
    workload(WARMUP_ROUNDS, 0, on_sign)
    before = rss()
    made = workload(ROUNDS, WARMUP_ROUNDS, on_sign)
    return rss() - before, made


def _leaky_malloc() -> Callable[[], None]:
    """A callable that leaks a 50-byte malloc per call (the child process exits after)."""
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    blocks = array("Q")  # the leaked addresses: 8 bytes more per call

    def leak() -> None:
        blocks.append(libc.malloc(50))

    return leak


def measure_in_child(twin: str, leak: bool) -> tuple[int, int]:
    """measure() in a fresh interpreter: the memory other tests freed in this process
    would otherwise absorb a leak without any RSS growth (or hide a real one)."""
    result = subprocess.run(
        [sys.executable, __file__, twin, "leak" if leak else "clean"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    growth, made = result.stdout.split()
    return int(growth), int(made)


def test_a_million_signatures_keep_rss_flat(core_twin: ModuleType) -> None:
    growth, made = measure_in_child(core_twin.IMPLEMENTATION, leak=False)
    assert made == ROUNDS * (BATCH + 2 * CALLS) == 1_000_000
    assert growth < SLACK, f"RSS grew {growth / 1024:.0f} KiB over {made} signatures"


@pytest.mark.python_only  # the detector, not a twin, is under test: once, on the faster twin
def test_rss_check_catches_a_50_byte_leak_per_sign() -> None:
    twin = _core.compiled_twin() or _core_py
    growth, _ = measure_in_child(twin.IMPLEMENTATION, leak=True)
    assert growth > SLACK, f"a 50-byte leak per Signer.sign grew RSS only {growth / 1024:.0f} KiB"


def test_reference_counts_of_arguments_are_stable() -> None:
    url = "https://logs.us-east-1.amazonaws.com/a b?n=1&x"
    headers = [("Content-Type", "application/json"), ("X-Amz-Target", "Logs.Put")]
    mapping = {"Content-Type": "text/plain"}
    body = b'{"n": 1}'
    batch = keys(0)[:100]
    signer = Signer(CREDENTIALS, "us-east-1", "execute-api")
    s3_signer = Signer(CREDENTIALS, "us-east-1", "s3")
    presigner = S3Presigner(CREDENTIALS, "us-east-1", "examplebucket", timestamp=TIMESTAMP)
    watched: list[object] = [url, headers, *headers, mapping, body, *batch, TIMESTAMP]

    def calls() -> None:
        signer.sign("POST", url, headers, body, timestamp=TIMESTAMP)
        signer.presign("GET", url, headers=headers, timestamp=TIMESTAMP)
        s3_signer.sign("PUT", url, mapping, body, timestamp=TIMESTAMP)
        presigner.presign_many(batch)
        presigner.presign(batch[0])
        list(presigner.presign_iter(batch, batch_size=7))

    for _ in range(10):  # the caches take their references
        calls()
    counts = [sys.getrefcount(item) for item in watched]
    for _ in range(1000):
        calls()
    assert [sys.getrefcount(item) for item in watched] == counts


if __name__ == "__main__":
    # The child of measure_in_child: python test_memory.py TWIN leak|clean
    twin_name, mode = sys.argv[1:]
    chosen = _core_py if twin_name == _core_py.IMPLEMENTATION else _core.compiled_twin()
    assert chosen is not None, f"twin {twin_name!r} is not built"
    with _core.using(chosen):
        print(*measure(_leaky_malloc() if mode == "leak" else lambda: None))
