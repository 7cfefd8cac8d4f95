"""Loader CPU per event: events per loader CPU-second (emulator -> DuckDB, no latency, no limits).

The emulator runs in its own process; this process runs the loader as production does (`run_sync`:
metrics + events, history all, merge on (account_id, id)) into a fresh DuckDB file and measures its
own user+sys CPU time (`getrusage` RUSAGE_SELF, plus RUSAGE_CHILDREN should the loader fork).
Prints the CPU of each dlt step (extract, which includes the HTTP reads, normalize, load: a sampler
thread reads this process's CPU clock every 50 ms, and the steps' start and end times come from
dlt's trace), and ends with `RESULT extract_cpu_events_per_cpu_s <value> target >= 60000`.

With `--profile`, py-spy (a dev extra) samples every Python thread of this process from outside it
and the samples are grouped by what they were doing: HTTP, JSON decoding, row shaping, Arrow, dlt
extract/normalize, load, merge. The shares are of samples, not of CPU: DuckDB's own native threads
are not sampled (their CPU shows in the load step's figure above), and a thread waiting for the GIL
counts as busy. Profiling costs CPU of its own: take the RESULT of a run without it.

    flock /tmp/bench.lock .venv/bin/python bench/extract_cpu.py [--events N] [--profile]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from emulator_process import start_emulator, stop  # noqa: E402
from extract_throughput import use_env  # noqa: E402

TARGET = 60_000
SAMPLE_S = 0.05


def cpu_seconds() -> float:
    """User+sys CPU of this process and of any child it has waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class CpuTimeline:
    """(wall, process CPU) samples every SAMPLE_S, to tell the CPU spent between two wall times."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-timeline", daemon=True)

    def __enter__(self) -> CpuTimeline:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.samples.append((time.time(), time.process_time()))
            if self._stop.wait(SAMPLE_S):
                self.samples.append((time.time(), time.process_time()))
                return

    def cpu_between(self, start: float, end: float) -> float:
        def at(moment: float) -> float:
            return next((cpu for wall, cpu in self.samples if wall >= moment), self.samples[-1][1])

        return at(end) - at(start)


def run_loader(workdir: Path) -> tuple[int, Any]:
    """`run_sync` as production runs it: metrics + events, history all, merge, into DuckDB."""
    from loader.destination import make_pipeline
    from loader.pipeline import run_sync
    from loader.sync_settings import SyncSettings

    os.environ["DESTINATION__DUCKDB__CREDENTIALS"] = str(workdir / "ours.duckdb")
    settings = SyncSettings.resolve(objects=("events",), history="all", destination="duckdb",
                                    pipelines_dir=str(workdir / "pipelines"))
    pipeline = make_pipeline("duckdb", pipelines_dir=settings.pipelines_dir)
    run_sync(settings, pipeline=pipeline)
    with pipeline.sql_client() as client:
        counted = client.execute_sql("SELECT count(*) FROM events")
    rows = int(counted[0][0]) if counted else 0
    return rows, pipeline.last_trace


def step_report(
    trace: Any, timeline: CpuTimeline, began: float, ended: float
) -> list[tuple[str, float, float]]:
    """(step, wall s, CPU s) of each dlt step of the run, and the rest of the run as `setup`."""
    steps = []
    for step in trace.steps if trace else []:
        if step.step != "run" and step.started_at and step.finished_at:
            start, end = step.started_at.timestamp(), step.finished_at.timestamp()
            steps.append((step.step, end - start, timeline.cpu_between(start, end)))
    wall = sum(s[1] for s in steps)
    cpu = sum(s[2] for s in steps)
    steps.append(("setup + rest", ended - began - wall, timeline.cpu_between(began, ended) - cpu))
    return steps


# --- the profile: py-spy's collapsed stacks grouped into buckets -------------------------------

BUCKETS = ("HTTP (requests, sockets)", "JSON decoding", "page validation + slicing", "row shaping (Python)",
           "Arrow (building tables)", "threads, queues, locks", "dlt extract", "dlt normalize",
           "load (parquet -> DuckDB)", "merge (SQL)", "load: connections, checkpoints", "imports", "other")
HTTP_LIBS = ("requests/", "urllib3/", "http/client.py", "socket.py", "email/")


def bucket_of(frames: list[str]) -> str:
    """The bucket of one stack (frames root -> leaf, each `function (file:line)`; with py-spy's
    --threads the first one names the thread)."""
    stack = ";".join(frames)
    leaf = frames[-1]
    if "<frozen importlib" in stack:
        return "imports"
    if "dlt/normalize/" in stack:
        return "dlt normalize"
    if "dlt/load/" in stack or "dlt/destinations/" in stack:
        if "SqlLoadJob.run " in stack:  # the merge job's SQL (delete + insert from the staging tables)
            return "merge (SQL)"
        if "DuckDbCopyJob.run " in stack:
            return "load (parquet -> DuckDB)"
        return "load: connections, checkpoints"
    if "loader/source/records.py" in stack:
        after = stack.split("loader/source/records.py", 1)[1]
        return "Arrow (building tables)" if "pyarrow" in after else "row shaping (Python)"
    if any(lib in stack for lib in HTTP_LIBS):
        return "HTTP (requests, sockets)"
    if "klaviyo-decode" in frames[0] and leaf.startswith("_WorkItem.run "):
        return "JSON decoding"  # the decode thread's frame that calls orjson.loads (C: not sampled)
    if leaf.endswith(("(threading.py", "(queue.py")) or "(threading.py:" in leaf or "(queue.py:" in leaf:
        return "threads, queues, locks"
    if "concurrent/futures/thread.py" in leaf:
        return "threads, queues, locks"
    if any(f"loader/source/{name}.py" in stack for name in ("client", "fetch", "slices")):
        return "page validation + slicing"
    if "dlt/extract/" in stack or "dlt/common/" in stack:
        return "dlt extract"
    return "other"


def parse_collapsed(path: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            counts[stack] += int(count)
    return counts


@contextmanager
def py_spy(out: Path) -> Iterator[None]:
    """py-spy recording every thread of this process (only those on a CPU: idle ones are left out)."""
    exe = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if exe is None:
        raise SystemExit("Error: py-spy is not installed (bench/extract_cpu.py --profile) - "
                         "install the dev extras: uv pip install -e '.[dev]'")
    proc = subprocess.Popen([exe, "record", "--pid", str(os.getpid()), "--rate", "200", "--threads",
                             "--nonblocking", "--format", "raw", "--output", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)  # py-spy attaches before the work starts (its own start-up, not a wait on us)
    try:
        yield
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        if proc.returncode not in (0, -signal.SIGINT) and not out.exists():
            raise SystemExit(f"Error: py-spy failed ({err.strip()[-500:]}) - run as root or allow ptrace")


def print_profile(counts: Counter[str], show_top: int) -> None:
    per_bucket: Counter[str] = Counter()
    top: dict[str, Counter[str]] = {b: Counter() for b in BUCKETS}
    for stack, n in counts.items():
        frames = stack.split(";")
        bucket = bucket_of(frames)
        per_bucket[bucket] += n
        top[bucket][frames[-1]] += n
    total = sum(per_bucket.values()) or 1
    print(f"profile: {total:,} samples on a CPU (py-spy, 200/s, every thread)")
    for bucket in BUCKETS:
        print(f"  {bucket:<28} {per_bucket[bucket] / total:6.1%}")
        for frame, n in top[bucket].most_common(show_top):
            print(f"      {n / total:6.1%}  {frame}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--profile", action="store_true", help="sample the run with py-spy, print buckets")
    parser.add_argument("--top", type=int, default=3, help="leaf frames shown per bucket with --profile")
    parser.add_argument("--keep-profile", type=Path, help="copy py-spy's collapsed stacks to this file")
    args = parser.parse_args()
    proc, base_url = start_emulator(args.events, "--no-rate-limits")
    try:
        with tempfile.TemporaryDirectory(prefix="kws-bench-") as tmp:
            workdir = Path(tmp)
            use_env(base_url, workdir)
            import loader.pipeline  # noqa: F401 - imports are not the loader's per-event cost

            profiling: Callable[[], Any] = (lambda: py_spy(workdir / "profile.txt")) if args.profile \
                else _nothing
            with profiling(), CpuTimeline() as timeline:
                cpu0, began = cpu_seconds(), time.time()
                rows, trace = run_loader(workdir)
                cpu, ended = cpu_seconds() - cpu0, time.time()
            counts = parse_collapsed(workdir / "profile.txt") if args.profile else None
            if args.profile and args.keep_profile:
                shutil.copy(workdir / "profile.txt", args.keep_profile)
    finally:
        stop(proc)
    wall = ended - began
    print(f"{rows:,} events in {wall:.1f}s wall ({rows / wall:,.0f} events/s), loader CPU {cpu:.1f}s "
          f"({cpu / wall:.0%} of one core); machine load {os.getloadavg()[0]:.1f}")
    for name, step_wall, step_cpu in step_report(trace, timeline, began, ended):
        print(f"  {name:<14} wall {step_wall:6.1f}s  CPU {step_cpu:6.1f}s")
    if counts is not None:
        print_profile(counts, args.top)
    assert rows >= args.events * 0.99, f"only {rows} of {args.events} events loaded"
    if args.profile:
        print(f"profiled run: {rows / cpu:,.0f} events per loader CPU-second "
              "(no RESULT: sampling disturbs it)")
    else:
        print(f"RESULT extract_cpu_events_per_cpu_s {rows / cpu:.0f} target >= {TARGET}")


@contextmanager
def _nothing() -> Iterator[None]:
    yield


if __name__ == "__main__":
    main()
