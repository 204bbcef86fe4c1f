"""fastsigv4 against its peers, every workload in one process: a ratio table.

    python benchmarks/compare.py                 # full run (a few minutes)
    python benchmarks/compare.py --quick         # smoke run (seconds)
    python benchmarks/compare.py --json out.json # also write the raw numbers

Workloads and participants are described in ``workloads.py``. Each participant's
output is first checked against the pure-Python twin's (same signature for the same
inputs); one that differs is excluded, one that is missing is skipped, each with the
reason printed. Times are the best of ``--repeats`` repetitions (``time.perf_counter``,
garbage collector off), each repetition running enough operations to last at least
``--min-time`` seconds. Ratios are t(participant) / t(reference), so a ratio of 30x
means that participant takes 30 times as long per operation as the reference.

Wall-clock time on a shared machine is only as good as the machine is quiet: a
repetition counts only if other processes used less than a quarter of a core
meanwhile (read from /proc/stat), and the run keeps repeating (``--max-wait`` extra
seconds per case at most) to collect enough quiet ones, else uses the least busy.
The ``others`` column shows the most CPU other processes (and hypervisor steal) took
in a repetition used; ``*`` marks a row measured on a busy machine. ``callgrind.py``
gives instruction counts that do not depend on any of that.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import workloads as w
from fastsigv4 import S3Presigner, Signer, _core
from fastsigv4._time import Timestamp

Thunk = Callable[[], object]
Maker = Callable[[int], Thunk]


@dataclass
class Settings:
    repeats: int = 5
    min_time: float = 0.2
    batch_keys: int = w.N_KEYS
    quick: bool = False
    max_wait: float = 60.0  # extra seconds per case to find quiet repetitions


@dataclass
class Row:
    workload: str
    participant: str
    group: str
    us_per_op: float
    ops_per_rep: int
    rep_seconds: list[float]
    how: str = ""
    threads: int = 1
    speedup_vs_one_thread: float | None = None
    other_cores: float | None = None  # CPU other processes used meanwhile, in cores
    ratio_vs_ours_c: float | None = None
    ratio_vs_best_peer: float | None = None


@dataclass
class Report:
    machine: dict[str, str]
    settings: dict[str, object]
    checks: list[dict[str, object]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    targets: list[dict[str, object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Timing


# Other processes' CPU use above this (in cores, during a case) marks the row as
# measured on a busy machine: on 2 cores, W4 and even one thread then lose time.
BUSY = 0.25


class CpuMeter:
    """CPU time that other processes (and the hypervisor: steal) used over an interval."""

    def __init__(self) -> None:
        self.start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float] | None:
        try:
            line = Path("/proc/stat").read_text().split("\n", 1)[0]
        except OSError:
            return None
        values = [int(value) for value in line.split()[1:9]]
        busy = sum(values) - values[3] - values[4]  # all but idle and iowait
        times = os.times()
        return busy / os.sysconf("SC_CLK_TCK"), times.user + times.system, time.perf_counter()

    def others(self) -> float | None:
        end, start = self._sample(), self.start
        if end is None or start is None or end[2] <= start[2]:
            return None
        return max(0.0, ((end[0] - start[0]) - (end[1] - start[1])) / (end[2] - start[2]))


def quiet_rounds(thunks: Sequence[Thunk], settings: Settings) -> tuple[list[list[float]], float]:
    """Time every thunk once per round until ``repeats`` rounds ran on a quiet machine.

    A round is quiet when other processes used less than BUSY cores meanwhile. After
    ``max_wait`` extra seconds the least busy rounds are used instead. Returns each
    thunk's seconds in the rounds used, and the most CPU others used in any of them.
    """
    deadline = time.perf_counter() + settings.max_wait
    rounds: list[tuple[float, list[float]]] = []  # (others, seconds per thunk)
    while True:
        meter = CpuMeter()
        seconds = [_time_once(thunk) for thunk in thunks]
        others = meter.others()
        rounds.append((0.0 if others is None else others, seconds))
        quiet = [entry for entry in rounds if entry[0] < BUSY]
        if len(quiet) >= settings.repeats:
            used = quiet[: settings.repeats]
            break
        if time.perf_counter() >= deadline and len(rounds) >= settings.repeats:
            used = sorted(rounds, key=lambda entry: entry[0])[: settings.repeats]
            break
        if others is not None and others >= BUSY:
            time.sleep(1.0)  # give the other work the machine for a moment
    per_thunk = [[entry[1][index] for entry in used] for index in range(len(thunks))]
    return per_thunk, max(entry[0] for entry in used)


def _time_once(thunk: Thunk) -> float:
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        thunk()
        return time.perf_counter() - start
    finally:
        if gc_was_enabled:
            gc.enable()


def _calibrate(make: Maker, unit: int, max_ops: int | None, min_time: float) -> tuple[int, Thunk]:
    """The smallest multiple of ``unit`` ops (capped at max_ops) lasting >= min_time."""
    ops = unit
    while True:
        thunk = make(ops)
        elapsed = _time_once(thunk)  # also the warm-up
        if elapsed >= min_time or (max_ops is not None and ops >= max_ops):
            return ops, thunk
        grow = max(2.0, min(100.0, 1.2 * min_time / max(elapsed, 1e-9)))
        ops = max(ops + unit, int(ops * grow) // unit * unit)
        if max_ops is not None:
            ops = min(ops, max_ops)


def measure(make: Maker, settings: Settings, unit: int = 1, max_ops: int | None = None) -> Row:
    ops, thunk = _calibrate(make, unit, max_ops, settings.min_time)
    (seconds,), others = quiet_rounds([thunk], settings)
    row = Row("", "", "", min(seconds) / ops * 1e6, ops, seconds)
    row.other_cores = others
    return row


def _keys(count: int) -> list[str]:
    repeats = -(-count // w.N_KEYS)
    return (w.KEYS * repeats)[:count]


def _loop_maker(presign: w.PresignOne) -> Maker:
    def make(ops: int) -> Thunk:
        keys = _keys(ops)

        def run() -> None:
            for key in keys:
                presign(key)

        return run

    return make


def _calls_maker(call: Callable[[], object]) -> Maker:
    def make(ops: int) -> Thunk:
        def run() -> None:
            for _ in range(ops):
                call()

        return run

    return make


def _batch_maker(presign_many: w.PresignMany, batch: Sequence[str]) -> Maker:
    def make(ops: int) -> Thunk:
        calls = ops // len(batch)

        def run() -> None:
            for _ in range(calls):
                presign_many(batch)

        return run

    return make


# ---------------------------------------------------------------------------
# Workloads


def run_checks(roster: w.Roster, report: Report) -> tuple[w.Roster, bool]:
    """Check every participant's output; drop the ones that differ. False if ours differ."""
    kept = w.Roster(skipped=list(roster.skipped))
    ours_ok = True
    print("== signature checks (reference: the pure-Python twin, same inputs)")
    for participant in roster.s3:
        result = w.check_s3(participant)
        _record_check(report, "W1", result, len(w.CHECK_KEYS))
        if result.ok:
            kept.s3.append(participant)
        else:
            ours_ok = ours_ok and participant.group != "ours"
            kept.skipped.append(("W1", participant.name, "signature check failed (see above)"))
    for header_participant in roster.headers:
        result = w.check_headers(header_participant)
        _record_check(report, "W2", result, 1)
        if result.ok:
            kept.headers.append(header_participant)
        else:
            ours_ok = ours_ok and header_participant.group != "ours"
            kept.skipped.append(
                ("W2", header_participant.name, "signature check failed (see above)")
            )
    print()
    return kept, ours_ok


def _record_check(report: Report, workload: str, result: w.CheckResult, inputs: int) -> None:
    if result.ok:
        what = (
            f"{inputs} keys: same X-Amz-Signature and URL"
            if workload == "W1"
            else "same Authorization header"
        )
        status = "ok"
    else:
        what = f"{len(result.mismatches)} mismatches: " + "; ".join(result.mismatches[:3])
        status = "EXCLUDED"
    print(f"  {workload:<3} {result.name:<28} {status:<8} {what}")
    for refusal in result.refused:
        print(f"  {'':<3} {'':<28} {'note':<8} refuses special key {refusal}")
    report.checks.append(
        {
            "workload": workload,
            "participant": result.name,
            "ok": result.ok,
            "mismatches": result.mismatches,
            "refused": result.refused,
        }
    )


def w1(roster: w.Roster, settings: Settings) -> list[Row]:
    rows = []
    for participant in roster.s3:
        with participant.context():
            row = measure(_loop_maker(participant.presign), settings, max_ops=w.N_KEYS)
        row.workload, row.participant, row.group = "W1", participant.name, participant.group
        row.how = "presign(key) per call" if participant.group == "ours" else participant.note
        rows.append(row)
        _progress(row)
    return rows


def w1_batch(roster: w.Roster, settings: Settings) -> list[Row]:
    rows = []
    batch = w.KEYS[: settings.batch_keys]
    for participant in roster.s3:
        with participant.context():
            if participant.batch_api:
                unit = len(batch)
                row = measure(_batch_maker(participant.presign_many, batch), settings, unit)
                how = f"presign_many({len(batch):,} keys)"
            else:
                row = measure(_loop_maker(participant.presign), settings, max_ops=len(batch))
                how = f"loop of presign over {row.ops_per_rep:,} keys (no batch API)"
        row.workload, row.participant, row.group = "W1-batch", participant.name, participant.group
        row.how = how
        rows.append(row)
        _progress(row)
    return rows


def w2(roster: w.Roster, settings: Settings) -> list[Row]:
    rows = []
    for participant in roster.headers:
        with participant.context():
            row = measure(_calls_maker(participant.sign), settings)
        row.workload, row.participant, row.group = "W2", participant.name, participant.group
        row.how = participant.note
        rows.append(row)
        _progress(row)
    return rows


def w4(roster: w.Roster, settings: Settings) -> list[Row]:
    """W1-batch on one thread and on two, alternating repetitions; µs per URL (wall)."""
    rows = []
    batch = w.KEYS[: settings.batch_keys]
    for participant in roster.s3:
        if participant.group != "ours" and participant.name not in w.W4_PEERS:
            continue
        how, two = w.two_thread_runner(participant)
        with participant.context():
            if participant.batch_api:
                unit, max_ops = len(batch), None
                make_one = _batch_maker(participant.presign_many, batch)
                make_two = _batch_maker(two, batch)
            else:
                unit, max_ops = 1, len(batch)

                def make_one(ops: int, run: w.PresignMany = participant.presign_many) -> Thunk:
                    keys = _keys(ops)
                    return lambda: run(keys)

                def make_two(ops: int, run: w.PresignMany = two) -> Thunk:
                    keys = _keys(ops)
                    return lambda: run(keys)

            ops, one_thunk = _calibrate(make_one, unit, max_ops, settings.min_time)
            two_thunk = make_two(ops)
            _time_once(two_thunk)  # warm-up
            (one_seconds, two_seconds), others = quiet_rounds([one_thunk, two_thunk], settings)
        one_row = Row("W4", participant.name, participant.group, 0.0, ops, one_seconds)
        one_row.us_per_op = min(one_seconds) / ops * 1e6
        one_row.how = "1 thread: " + (
            "presign_many" if participant.batch_api else "loop of presign"
        )
        two_row = Row("W4", participant.name, participant.group, 0.0, ops, two_seconds)
        two_row.us_per_op = min(two_seconds) / ops * 1e6
        two_row.threads = 2
        two_row.how = how
        two_row.speedup_vs_one_thread = min(one_seconds) / min(two_seconds)
        one_row.other_cores = two_row.other_cores = others
        rows += [one_row, two_row]
        _progress(one_row)
        _progress(two_row)
    return rows


def w5(settings: Settings, only: Sequence[str] | None) -> list[Row]:
    """W5 / W5-header: Verifier.verify on both twins (verify_workloads.py)."""
    import verify_workloads as vw

    rows: list[Row] = []
    header_rows: list[Row] = []
    for participant in vw.participants():
        if only and participant.name not in only:
            continue

        def make(
            ops: int,
            verify: Callable[[str], object] = participant.verify_url,
            urls: list[str] = participant.urls,
        ) -> Thunk:
            batch = (urls * -(-ops // len(urls)))[:ops]

            def run() -> None:
                for url in batch:
                    verify(url)

            return run

        with participant.context():
            one = measure(make, settings, max_ops=len(participant.urls))
            header = measure(_calls_maker(participant.verify_header_request), settings)
        one.workload, one.participant, one.group = "W5", participant.name, "ours"
        one.how = "Verifier.verify('GET', url): a different presigned URL each call"
        header.workload, header.participant, header.group = "W5-header", participant.name, "ours"
        header.how = "Verifier.verify(W2's method, URL, headers, body)"
        rows.append(one)
        header_rows.append(header)
        _progress(one)
        _progress(header)
    return rows + header_rows


def _progress(row: Row) -> None:
    extra = f" ({row.threads} threads)" if row.threads > 1 else ""
    print(
        f"  {row.workload:<8} {row.participant + extra:<40} {row.us_per_op:>10.3f} us/op",
        flush=True,
    )


# ---------------------------------------------------------------------------
# Ratios, targets, table


def add_ratios(rows: list[Row]) -> None:
    for workload in dict.fromkeys(row.workload for row in rows):
        for threads in (1, 2):
            group = [r for r in rows if r.workload == workload and r.threads == threads]
            if not group:
                continue
            ours_c = next((r for r in group if r.participant == "fastsigv4 c"), None)
            peers = [r for r in group if r.group == "peer"]
            best_peer = min(peers, key=lambda r: r.us_per_op) if peers else None
            for row in group:
                if ours_c is not None:
                    row.ratio_vs_ours_c = row.us_per_op / ours_c.us_per_op
                if best_peer is not None:
                    row.ratio_vs_best_peer = row.us_per_op / best_peer.us_per_op


def _find(rows: list[Row], workload: str, participant: str, threads: int = 1) -> Row | None:
    for row in rows:
        if row.workload == workload and row.participant == participant and row.threads == threads:
            return row
    return None


def evaluate_targets(rows: list[Row]) -> list[dict[str, object]]:
    targets: list[dict[str, object]] = []

    def add(name: str, value: float | None, goal: float, unit: str, at_most: bool) -> None:
        if value is None:
            targets.append({"target": name, "value": None, "goal": goal, "met": None})
            return
        met = value <= goal if at_most else value >= goal
        targets.append({"target": name, "value": value, "goal": goal, "unit": unit, "met": met})

    def us(workload: str, participant: str) -> float | None:
        row = _find(rows, workload, participant)
        return row.us_per_op if row else None

    def ratio(workload: str, peer: str, workload_ours: str | None = None) -> float | None:
        ours = us(workload_ours or workload, "fastsigv4 c")
        other = us(workload, peer)
        return other / ours if ours and other else None

    add("W1-batch compiled presign_many, us/URL", us("W1-batch", "fastsigv4 c"), 1.0, "us", True)
    add(
        "W1-batch compiled vs awscrt (x faster)",
        ratio("W1-batch", "awscrt aws_sign_request"),
        20,
        "x",
        False,
    )
    add(
        "W1-batch compiled vs botocore client, Python signer (x faster)",
        ratio("W1-batch", "botocore client (python)"),
        300,
        "x",
        False,
    )
    add(
        "W1-batch compiled vs botocore client, CRT signer (x faster)",
        ratio("W1-batch", "botocore client (crt)"),
        300,
        "x",
        False,
    )
    add("W1-batch pure presign_many, us/URL", us("W1-batch", "fastsigv4 python"), 3.5, "us", True)
    add("W2 compiled, us/request", us("W2", "fastsigv4 c"), 2.5, "us", True)
    add("W2 pure, us/request", us("W2", "fastsigv4 python"), 7.0, "us", True)
    add("W5 compiled verify, us/URL", us("W5", "fastsigv4 c"), 2.0, "us", True)
    add("W5 pure verify, us/URL", us("W5", "fastsigv4 python"), 8.0, "us", True)
    two = _find(rows, "W4", "fastsigv4 c", threads=2)
    add(
        "W4 compiled, 2 threads vs 1 thread (x)",
        two.speedup_vs_one_thread if two else None,
        1.8,
        "x",
        False,
    )
    return targets


def _fmt_ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}x" if value < 10 else f"{value:.1f}x" if value < 100 else f"{value:.0f}x"


def print_table(report: Report) -> None:
    header = (
        f"{'workload':<9} {'participant':<28} {'thr':>3} {'us/op':>10} "
        f"{'vs ours c':>10} {'vs best peer':>12} {'2T/1T':>6} {'others':>6}  how"
    )
    print(header)
    print("-" * len(header))
    previous = None
    for row in report.rows:
        if previous is not None and row.workload != previous:
            print()
        previous = row.workload
        speedup = (
            f"{row.speedup_vs_one_thread:.2f}" if row.speedup_vs_one_thread is not None else ""
        )
        others = "?" if row.other_cores is None else f"{row.other_cores:.2f}"
        if row.other_cores is not None and row.other_cores >= BUSY:
            others += "*"
        print(
            f"{row.workload:<9} {row.participant:<28} {row.threads:>3} {row.us_per_op:>10.3f} "
            f"{_fmt_ratio(row.ratio_vs_ours_c):>10} {_fmt_ratio(row.ratio_vs_best_peer):>12} "
            f"{speedup:>6} {others:>6}  {row.how}"
        )
    print(
        f"others: most CPU (in cores) other processes and steal used in a repetition used; "
        f"* = {BUSY} or more, a busy machine: that row's time is suspect"
    )


def print_targets(targets: list[dict[str, object]]) -> None:
    print("== targets")
    for target in targets:
        value = target["value"]
        if value is None:
            status, shown = "n/a ", "not measured"
        else:
            assert isinstance(value, float)
            status = "MET " if target["met"] else "MISS"
            shown = (
                f"{value:.3f} {target['unit']} (goal {'<=' if target['unit'] == 'us' else '>='} "
            )
            shown += f"{target['goal']} {target['unit']})"
        print(f"  [{status}] {target['target']}: {shown}")


def timestamp_modes(settings: Settings) -> list[str]:
    """W1 and W2 on the compiled twin with each kind of ``timestamp=`` (per-call cost)."""
    compiled = _core.compiled_twin()
    if compiled is None:
        return []
    lines = []
    signer = Signer(w.CREDENTIALS, w.REGION, w.LOGS_SERVICE)
    modes: list[tuple[str, Timestamp]] = [
        (f"{w.AMZ_DATE!r} (str, as in the tables)", w.AMZ_DATE),
        ("an aware datetime", w.SIGNING_TIME),
        ("None (the clock, read per call)", None),
    ]
    for label, timestamp in modes:
        with _core.using(compiled):
            presigner = S3Presigner(w.CREDENTIALS, w.REGION, w.BUCKET, timestamp=timestamp)

            def sign(stamp: Timestamp = timestamp) -> object:
                return signer.sign("POST", w.LOGS_URL, w.LOG_HEADERS, w.LOG_BODY, timestamp=stamp)

            one = measure(_loop_maker(presigner.presign), settings, max_ops=w.N_KEYS)
            two = measure(_calls_maker(sign), settings)
        lines.append(
            f"fastsigv4 c, timestamp={label}: W1 {one.us_per_op:.3f} us/URL, "
            f"W2 {two.us_per_op:.3f} us/request"
        )
    return lines


# ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny and fast")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the raw numbers here")
    parser.add_argument("--repeats", type=int, help="repetitions per case (default 5)")
    parser.add_argument("--min-time", type=float, help="seconds per repetition (default 0.2)")
    parser.add_argument(
        "--only", action="append", metavar="NAME", help="only this participant (repeatable)"
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        help="extra seconds per case to find quiet repetitions (default 60; 0: none)",
    )
    args = parser.parse_args(argv)
    settings = Settings()
    if args.quick:
        settings = Settings(repeats=2, min_time=0.005, batch_keys=2_000, quick=True, max_wait=0)
    if args.repeats is not None:
        settings.repeats = args.repeats
    if args.min_time is not None:
        settings.min_time = args.min_time
    if args.max_wait is not None:
        settings.max_wait = args.max_wait

    report = Report(machine=w.machine(), settings=asdict(settings))
    print(
        "fastsigv4 benchmarks: "
        + " ".join(["python benchmarks/compare.py", *(sys.argv[1:] if argv is None else argv)])
    )
    for name, value in report.machine.items():
        print(f"  {name}: {value}")
    print(
        f"  settings: best of {settings.repeats} repetitions of >= {settings.min_time} s, "
        f"W1-batch/W4 on {settings.batch_keys:,} keys, frozen time {w.AMZ_DATE}"
    )
    print()

    guard = w.guard_self_test()
    report.notes.append(f"no-network guard self-test: {guard}")
    with w.no_network() as attempts:
        everyone = w.all_participants()
        if args.only:
            everyone.s3 = [p for p in everyone.s3 if p.name in args.only]
            everyone.headers = [p for p in everyone.headers if p.name in args.only]
            everyone.skipped = [s for s in everyone.skipped if s[1] in args.only]
        roster, ours_ok = run_checks(everyone, report)
        if not ours_ok:
            print("fastsigv4's own twins fail the signature check: no timing.")
            return 1
        for workload, name, why in roster.skipped:
            report.skipped.append({"workload": workload, "participant": name, "reason": why})
        if roster.skipped:
            print("== skipped")
            for workload, name, why in roster.skipped:
                print(f"  {workload:<3} {name:<28} {why}")
            print()
        print("== timing")
        report.rows += w1(roster, settings)
        report.rows += w1_batch(roster, settings)
        report.rows += w2(roster, settings)
        report.rows += w4(roster, settings)
        report.rows += w5(settings, args.only)
        if not args.only or "fastsigv4 c" in args.only:
            report.notes += timestamp_modes(settings)
    if attempts:
        print(f"network I/O attempted: {attempts}")
        return 1
    report.notes.append("no participant attempted network I/O (sockets refused throughout)")
    add_ratios(report.rows)
    report.targets = evaluate_targets(report.rows)
    batch = _find(report.rows, "W1-batch", "fastsigv4 c")
    for row in report.rows:
        if batch is not None and row.workload.startswith("W5"):
            report.notes.append(
                f"{row.workload} {row.participant}: {row.us_per_op / batch.us_per_op:.2f}x "
                f"W1-batch fastsigv4 c ({batch.us_per_op:.3f} us/URL) in this run"
            )

    print()
    print("== results (ratios: t(participant) / t(reference); >1x = slower than the reference)")
    print_table(report)
    print()
    print_targets(report.targets)
    print()
    print("== notes")
    for note in report.notes:
        print(f"  {note}")
    if args.json is not None:
        args.json.write_text(json.dumps(asdict(report), indent=2) + "\n")
        print(f"\nraw numbers written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
