"""Events against Klaviyo's real /api/events limits, with 200 ms latency: requests/min and events/s.

Starts `klaviyo-sync emulator` with its rate limits at scale 1 (350/s burst, 3500/min steady,
fixed windows, 429 + Retry-After) and 200 ms added to every request, then runs our loader (events
only, history all) into DuckDB. The rate is measured from the first to the last events page the
loader received. A request that failed (429, 5xx) counts against the target: there must be none.

Two runs matter (the limit counts requests, not events):

- `--page-size 50` (the default, 300k events, ~6,000 requests, about two minutes at the ceiling):
  does the pacing use the request budget? `RESULT extract_ratelimit_ratio <requests/min / 3500>
  target >= 0.95`.
- `--page-size 1000` (the loader's own page size; default 3.5M events, a minute at the ceiling):
  does the loader keep pace with Klaviyo's ceiling of 3500 pages x 1000 events a minute?
  `RESULT extract_ratelimit_events_ratio <events/s / 58,333> target >= 0.9` as well.

Also prints the CPU the loader (this process) and the emulator (its own process) spent per second
of the measured span, so a run that falls short shows what bound it (2 cores in all).

`--header-form ietf` makes the emulator state its limits as IETF-draft quota policies
(`RateLimit-Limit: 350, 350;w=1, 3500;w=60`) instead of the plain steady limit (`3500`, the default).

    .venv/bin/python bench/extract_ratelimit.py [--events N] [--page-size N] [--header-form plain|ietf]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from emulator_pages import server_cpu_seconds  # noqa: E402
from emulator_process import start_emulator, stop  # noqa: E402
from extract_throughput import use_env  # noqa: E402

STEADY = 3500
EVENTS_CEILING = STEADY / 60 * 1000  # 58,333 events/s: 3500 pages of 1000 a minute
TARGET = 0.95
EVENTS_TARGET = 0.9
DEFAULT_EVENTS = {50: 300_000, 1000: 3_500_000}


class PageClock:
    """Times the first and last page of one object (the loader's progress hook), with both processes'
    CPU, and keeps every page's arrival time."""

    def __init__(self, obj: str, emulator_pid: int) -> None:
        self.obj = obj
        self.emulator_pid = emulator_pid
        self.times: list[float] = []
        self.first: float | None = None
        self.last: float | None = None
        self.rows_first = self.rows_last = 0
        self.cpu_first = self.cpu_last = (0.0, 0.0)

    def __call__(self, obj: str, fraction: float, rows: int) -> None:
        if obj != self.obj or not rows or rows == self.rows_last:
            return
        now = time.perf_counter()
        self.times.append(now)
        cpu = (time.process_time(), server_cpu_seconds(self.emulator_pid))
        if self.first is None:
            self.first, self.rows_first, self.cpu_first = now, rows, cpu
        self.last, self.rows_last, self.cpu_last = now, rows, cpu


def run_loader(workdir: Path, clock: PageClock, **flags: Any) -> int:
    """Our loader (`clock.obj` only, history all) into DuckDB; `flags` go to `SyncSettings.resolve`."""
    from loader.destination import make_pipeline
    from loader.pipeline import run_sync
    from loader.sync_observer import NullObserver, Unit
    from loader.sync_settings import SyncSettings

    class Observer(NullObserver):
        def on_progress(self, unit: Unit, fraction: float, rows: int) -> None:
            clock(unit.object, fraction, rows)

    os.environ["DESTINATION__DUCKDB__CREDENTIALS"] = str(workdir / "ratelimit.duckdb")
    settings = SyncSettings.resolve(objects=(clock.obj,), history="all", destination="duckdb",
                                    pipelines_dir=str(workdir / "pipelines"), **flags)
    result = run_sync(settings, pipeline=make_pipeline("duckdb", pipelines_dir=settings.pipelines_dir),
                      observer=Observer())
    return sum(done.rows_loaded for unit, done in result.objects.items() if unit.object == clock.obj)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=0, help="default: 300k at page size 50, else 3.5M")
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--header-form", choices=("plain", "ietf"), default="plain",
                        help="how the emulator writes RateLimit-Limit (see the docstring)")
    args = parser.parse_args()
    events = args.events or DEFAULT_EVENTS.get(args.page_size, 3_500_000)
    proc, base_url = start_emulator(events, "--latency-ms", str(args.latency_ms),
                                    "--ratelimit-header-form", args.header_form)
    clock = PageClock("events", proc.pid)
    began = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="kws-bench-") as tmp:
            use_env(base_url, Path(tmp))
            rows = run_loader(Path(tmp), clock, events_page_size=args.page_size)
        stats = requests.get(f"{base_url}/_emulator/stats", timeout=10).json()
    finally:
        stop(proc)
    total = time.perf_counter() - began
    pages = int(stats["pages_by_endpoint"].get("events", 0))
    throttled = int(sum(stats.get("throttled", {}).values()))
    failed = sum(n for code, n in stats.get("statuses", {}).items() if code != "200")
    assert clock.first is not None and clock.last is not None, "no events page arrived"
    span = clock.last - clock.first
    per_minute = (pages - 1) / span * 60
    ratio = per_minute / STEADY
    per_second = (clock.rows_last - clock.rows_first) / span
    events_ratio = per_second / EVENTS_CEILING
    loader_cpu = (clock.cpu_last[0] - clock.cpu_first[0]) / span
    emulator_cpu = (clock.cpu_last[1] - clock.cpu_first[1]) / span
    print(f"{rows:,} events in {pages:,} events pages over {span:.1f}s of {total:.1f}s in all "
          f"(page[size]={args.page_size}, latency {args.latency_ms:g} ms, "
          f"RateLimit headers {args.header_form})")
    print(f"events requests/min {per_minute:,.0f} of {STEADY} = {ratio:.3f}; events/s {per_second:,.0f} "
          f"of {EVENTS_CEILING:,.0f} = {events_ratio:.3f}; 429s {throttled}; "
          f"other failed requests {failed - throttled}")
    print(f"CPU cores busy over the span: loader {loader_cpu:.2f}, emulator {emulator_cpu:.2f} "
          f"(of 2); loader {per_second / max(loader_cpu, 1e-9):,.0f} events per CPU-second; "
          f"machine load {os.getloadavg()[0]:.1f}")
    if failed:
        print("FAILED REQUESTS: the target requires none")
        ratio = events_ratio = 0.0
    print(f"RESULT extract_ratelimit_ratio {ratio:.3f} target >= {TARGET:g}")
    if args.page_size == 1000:
        print(f"RESULT extract_ratelimit_events_ratio {events_ratio:.3f} target >= {EVENTS_TARGET:g}")


if __name__ == "__main__":
    main()
