"""Profiles requests per minute against Klaviyo's real /api/profiles limits, with 200 ms latency.

GET /api/profiles allows 75/s burst and 750/min steady per account; a request with
`additional-fields[profile]=predictive_analytics` also spends a separate, stricter bucket of
10/s and 150/min (docs/klaviyo-api.md, rate limits). For each mode this starts
`klaviyo-sync emulator` with its limits at scale 1 and 200 ms added to every request, and runs our
loader (profiles only, 100 a page) into DuckDB:

- `subscriptions` (the loader's default additional field): requests/min / 750;
- `predictive_analytics` (with subscriptions): requests/min / 150, the bucket that binds.

The rate is measured from the first to the last profiles page the loader received, and again
without the first `--settle` seconds (the pacer may start with a short burst; a long sync runs at
the steady rate), the lower of the two counts. A failed request (429, 5xx) counts against the
target: there must be none. Ends with
`RESULT profiles_ratelimit_subscriptions_ratio <value> target >= 0.95` and
`RESULT profiles_ratelimit_predictive_ratio <value> target >= 0.95`.

    .venv/bin/python bench/profiles_ratelimit.py [--mode subscriptions|predictive_analytics|both]
        [--minutes M] [--header-form plain|ietf]
"""

from __future__ import annotations

import argparse
import bisect
import os
import sys
import tempfile
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from emulator_process import start_emulator, stop  # noqa: E402
from extract_ratelimit import PageClock, run_loader  # noqa: E402
from extract_throughput import use_env  # noqa: E402

TARGET = 0.95
PAGE_SIZE = 100
STEADY = {"subscriptions": 750, "predictive_analytics": 150}
RESULT_NAMES = {"subscriptions": "subscriptions", "predictive_analytics": "predictive"}


def steady_rate(times: list[float], settle: float) -> float | None:
    """Pages per minute after the first `settle` seconds (None: too few pages left)."""
    start = bisect.bisect_left(times, times[0] + settle)
    rest = times[start:]
    if len(rest) < 10:
        return None
    return (len(rest) - 1) / (rest[-1] - rest[0]) * 60


def run(mode: str, minutes: float, settle: float, latency_ms: float, header_form: str, workers: int) -> float:
    steady = STEADY[mode]
    profiles = int(steady * minutes * PAGE_SIZE)
    proc, base_url = start_emulator(0, "--latency-ms", str(latency_ms),
                                    "--ratelimit-header-form", header_form, profiles=profiles)
    clock = PageClock("profiles", proc.pid)
    try:
        with tempfile.TemporaryDirectory(prefix="kws-bench-") as tmp:
            use_env(base_url, Path(tmp))
            flags = {"profiles_workers": workers} if workers else {}
            rows = run_loader(Path(tmp), clock, subscriptions=True,
                              predictive_analytics=mode == "predictive_analytics", **flags)
        stats = requests.get(f"{base_url}/_emulator/stats", timeout=10).json()
    finally:
        stop(proc)
    throttled = int(sum(stats.get("throttled", {}).values()))
    failed = sum(n for code, n in stats.get("statuses", {}).items() if code != "200")
    times = clock.times
    assert len(times) > 1, "fewer than two profiles pages arrived"
    span = times[-1] - times[0]
    whole = (len(times) - 1) / span * 60
    settled = steady_rate(times, settle)
    ratio = min(whole, settled or whole) / steady
    print(f"[{mode}] {rows:,} profiles in {len(times):,} pages over {span:.1f}s (page[size]={PAGE_SIZE}, "
          f"latency {latency_ms:g} ms, RateLimit headers {header_form})")
    print(f"[{mode}] requests/min {whole:,.0f} over the whole span, "
          f"{settled or float('nan'):,.0f} after the first {settle:g}s, of {steady} = {ratio:.3f}; "
          f"429s {throttled}; other failed requests {failed - throttled}; "
          f"machine load {os.getloadavg()[0]:.1f}")
    if rows < profiles:
        print(f"[{mode}] ONLY {rows:,} OF {profiles:,} PROFILES LOADED")
        ratio = 0.0
    if failed:
        print(f"[{mode}] FAILED REQUESTS: the target requires none")
        ratio = 0.0
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=(*STEADY, "both"), default="both")
    parser.add_argument("--minutes", type=float, default=2.0,
                        help="dataset size in minutes of requests at the steady limit")
    parser.add_argument("--settle", type=float, default=20.0, help="seconds left out of the steady rate")
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--header-form", choices=("plain", "ietf"), default="plain")
    parser.add_argument("--workers", type=int, default=0, help="profiles worker threads (default: ours)")
    args = parser.parse_args()
    modes = list(STEADY) if args.mode == "both" else [args.mode]
    ratios = {mode: run(mode, args.minutes, args.settle, args.latency_ms, args.header_form,
                             args.workers) for mode in modes}
    for mode, ratio in ratios.items():
        print(f"RESULT profiles_ratelimit_{RESULT_NAMES[mode]}_ratio {ratio:.3f} target >= {TARGET:g}")


if __name__ == "__main__":
    main()
