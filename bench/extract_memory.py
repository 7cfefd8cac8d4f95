"""Peak RSS of the loader while it syncs 1M events (emulator -> DuckDB, no latency, no limits).

The emulator runs in its own process; this process runs `run_sync` (events only, history all) and
reports its own peak resident set size (`getrusage` ru_maxrss: extract, normalize and the DuckDB
load all happen here), and the peak RSS sampled during each of dlt's steps (extract, normalize,
load), so the step that needs the memory is visible.
Ends with `RESULT extract_memory_peak_rss_mb <MB> target <= 500`.

    .venv/bin/python bench/extract_memory.py [--events N]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from emulator_process import start_emulator, stop  # noqa: E402
from extract_throughput import use_env  # noqa: E402

TARGET_MB = 500
SAMPLE_S = 0.2


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class RssSampler(threading.Thread):
    """Samples this process's RSS (MB) with the wall-clock time until stopped."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[datetime, float]] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self.stopped.wait(SAMPLE_S):
            resident = int(Path("/proc/self/statm").read_text().split()[1]) * page / 2**20
            self.samples.append((datetime.now(timezone.utc), resident))

    def peak_during(self, start: datetime, end: datetime) -> float:
        return max((mb for at, mb in self.samples if start <= at <= end), default=0.0)


def load_events(workdir: Path) -> tuple[int, Any]:
    """Our loader (events only, history all) into DuckDB: rows loaded and dlt's trace of the run."""
    from loader.destination import make_pipeline
    from loader.pipeline import run_sync
    from loader.sync_settings import SyncSettings

    os.environ["DESTINATION__DUCKDB__CREDENTIALS"] = str(workdir / "ours.duckdb")
    settings = SyncSettings.resolve(objects=("events",), history="all", destination="duckdb",
                                    pipelines_dir=str(workdir / "ours_pipelines"))
    pipeline = make_pipeline("duckdb", pipelines_dir=settings.pipelines_dir)
    run_sync(settings, pipeline=pipeline)
    with pipeline.sql_client() as client:
        rows = client.execute_sql("SELECT count(*) FROM events")
    assert rows is not None
    return int(rows[0][0]), pipeline.last_trace


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    proc, base_url = start_emulator(args.events, "--no-rate-limits")
    try:
        with tempfile.TemporaryDirectory(prefix="kws-bench-") as tmp:
            use_env(base_url, Path(tmp))
            before = peak_rss_mb()
            sampler = RssSampler()
            sampler.start()
            began = time.perf_counter()
            rows, trace = load_events(Path(tmp))
            elapsed = time.perf_counter() - began
            sampler.stopped.set()
    finally:
        stop(proc)
    peak = peak_rss_mb()
    for step in trace.steps if trace else []:
        if step.step in ("extract", "normalize", "load"):
            seconds = (step.finished_at - step.started_at).total_seconds()
            step_peak = sampler.peak_during(step.started_at, step.finished_at)
            print(f"  {step.step:<9} {seconds:7.1f}s  peak RSS {step_peak:5.0f} MB (sampled)")
    print(f"{rows:,} events loaded in {elapsed:.1f}s ({rows / elapsed:,.0f} events/s); "
          f"peak RSS {peak:.0f} MB (after imports {before:.0f} MB); machine load {os.getloadavg()[0]:.1f}")
    assert rows >= args.events * 0.99, f"only {rows} of {args.events} events loaded"
    print(f"RESULT extract_memory_peak_rss_mb {peak:.0f} target <= {TARGET_MB}")


if __name__ == "__main__":
    main()
