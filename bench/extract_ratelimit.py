"""Events requests per minute against Klaviyo's real /api/events limits, with 200 ms latency.

Starts `klaviyo-sync emulator` with its rate limits at scale 1 (350/s burst, 3500/min steady,
fixed windows, 429 + Retry-After) and 200 ms added to every request, then runs our loader (events
only, history all) into DuckDB. page[size] is lowered (default 50) so a dataset the emulator builds
in a second still needs ~6,000 requests (about two minutes at the ceiling): the limit counts
requests, not events. The rate is measured from the first to the last events page the loader
received. A request that failed (429, 5xx) counts against the target: there must be none.

Prints requests/min, 429s and other failures, and ends with
`RESULT extract_ratelimit_ratio <requests per minute / 3500> target >= 0.95`.

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

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from emulator_process import start_emulator, stop  # noqa: E402
from extract_throughput import use_env  # noqa: E402

STEADY = 3500
TARGET = 0.95


class EventsClock:
    """Times the first and last events page (the loader's progress hook)."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.last: float | None = None

    def __call__(self, obj: str, fraction: float, rows: int) -> None:
        if obj == "events" and rows:
            now = time.perf_counter()
            self.first = self.first or now
            self.last = now


def run_loader(workdir: Path, page_size: int, clock: EventsClock) -> int:
    from loader.destination import make_pipeline
    from loader.pipeline import run_sync
    from loader.sync_observer import NullObserver, Unit
    from loader.sync_settings import SyncSettings

    class Observer(NullObserver):
        def on_progress(self, unit: Unit, fraction: float, rows: int) -> None:
            clock(unit.object, fraction, rows)

    os.environ["DESTINATION__DUCKDB__CREDENTIALS"] = str(workdir / "ratelimit.duckdb")
    settings = SyncSettings.resolve(objects=("events",), history="all", destination="duckdb",
                                    events_page_size=page_size, pipelines_dir=str(workdir / "pipelines"))
    result = run_sync(settings, pipeline=make_pipeline("duckdb", pipelines_dir=settings.pipelines_dir),
                      observer=Observer())
    return result.objects["events"].rows_loaded


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--header-form", choices=("plain", "ietf"), default="plain",
                        help="how the emulator writes RateLimit-Limit (see the docstring)")
    args = parser.parse_args()
    proc, base_url = start_emulator(args.events, "--latency-ms", str(args.latency_ms),
                                    "--ratelimit-header-form", args.header_form)
    clock = EventsClock()
    try:
        with tempfile.TemporaryDirectory(prefix="kws-bench-") as tmp:
            use_env(base_url, Path(tmp))
            rows = run_loader(Path(tmp), args.page_size, clock)
        stats = requests.get(f"{base_url}/_emulator/stats", timeout=10).json()
    finally:
        stop(proc)
    pages = int(stats["pages_by_endpoint"].get("events", 0))
    throttled = int(sum(stats.get("throttled", {}).values()))
    failed = sum(n for code, n in stats.get("statuses", {}).items() if code != "200")
    assert clock.first is not None and clock.last is not None, "no events page arrived"
    minutes = (clock.last - clock.first) / 60
    per_minute = (pages - 1) / minutes
    ratio = per_minute / STEADY
    print(f"{rows:,} events in {pages:,} events pages over {minutes * 60:.1f}s "
          f"(page[size]={args.page_size}, latency {args.latency_ms:g} ms, "
          f"RateLimit headers {args.header_form})")
    print(f"events requests/min {per_minute:,.0f} of {STEADY} = {ratio:.3f}; 429s {throttled}; "
          f"other failed requests {failed - throttled}; machine load {os.getloadavg()[0]:.1f}")
    if failed:
        print("FAILED REQUESTS: the target requires none")
        ratio = 0.0
    print(f"RESULT extract_ratelimit_ratio {ratio:.3f} target >= {TARGET:g}")


if __name__ == "__main__":
    main()
