"""Campaigns, flows and their children against Klaviyo's real limits, beside the events stream.

Starts the emulator in its own process (this script with `--serve`: `klaviyo-sync emulator` has no
campaign or flow counts) with the real limits (scale 1: campaigns and campaign-messages 10/s 150/min,
flows, flow-actions and flow-messages 3/s 60/min, events 350/s 3500/min; fixed windows, 429 +
Retry-After) and 200 ms added to every request, then runs our loader (history all) into DuckDB twice,
each time on a fresh emulator process (fresh rate-limit windows):

1. events alone;
2. events, campaigns and flows together (a full historical pass: every campaign listing with its
   messages, every flow with its actions and their messages).

Sizes: enough campaigns (30,000 by default, 100 a page: ~300 listing requests) and flows (60) that
every endpoint has at least about a minute of work. The flows listing is asked for 1 flow a page
(`--flows-page-size`, instead of 50) so that 60 flows give it 60 requests; their actions and messages
keep the loader's page size. Events pages are lowered (`--events-page-size`, default 10) so the events
stream outlasts the marketing objects: the limit counts requests, not rows.

How the rate is measured: a thread polls the emulator's `GET /_emulator/stats` (pages served per
endpoint) every 0.25 s. An endpoint's work is queued from its first request to its last: its rate is
the pages served between the first poll that saw one and the first poll that saw its final count,
over that time. The tail after an endpoint's last request (its queue is empty, the other endpoints
go on) is left out; so is the time before its first request (e.g. flow-actions wait for the flows
listing to end). Each rate is divided by that endpoint's steady limit (target >= 0.9). The events
stream's rate is measured over the marketing objects' span (first to last marketing request) and
divided by its rate alone (run 1, first to last events page; target >= 0.95); if the events ran out
before the marketing objects did, the overlap is used and said so. `campaign-messages` gets no
request when every campaign's messages come in `included` (the emulator always puts them there):
it is listed with 0 requests and has no ratio. Any failed request (429, 5xx) counts against every
target: there must be none.

Prints a table (requests, seconds queued, requests/min, limit, ratio) and one RESULT line per figure:
`RESULT objects_ratelimit_<endpoint> <ratio> target >= 0.9` and
`RESULT objects_ratelimit_events_share <ratio> target >= 0.95`.

    .venv/bin/python bench/objects_ratelimit.py [--campaigns N] [--flows N] [--events N]
        [--events-page-size N] [--flows-page-size N] [--latency-ms MS]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from emulator_process import API_KEY, stop  # noqa: E402
from extract_throughput import use_env  # noqa: E402

# the emulator's endpoint names (GET /_emulator/stats) and their steady limits (per minute)
MARKETING = {"campaigns": 150, "campaign-messages": 150, "flows": 60, "flow-actions": 60,
             "flow-messages": 60}
EVENTS = "events"
TARGET = 0.9
EVENTS_TARGET = 0.95
POLL_S = 0.25


@dataclass(frozen=True)
class Span:
    """An endpoint's pages served from its first to its last request (as seen by the poller)."""

    pages: int  # all its pages
    start: float
    end: float
    counted: int  # pages served between `start` and `end`

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def per_minute(self) -> float:
        return self.counted / self.seconds * 60 if self.seconds > 0 else 0.0


class Poller(threading.Thread):
    """Polls the emulator's per-endpoint page counts until stopped."""

    def __init__(self, base_url: str) -> None:
        super().__init__(daemon=True)
        self.base_url = base_url
        self.samples: list[tuple[float, dict[str, int]]] = []
        self.done = threading.Event()

    def run(self) -> None:
        with requests.Session() as session:
            while True:
                doc = session.get(f"{self.base_url}/_emulator/stats", timeout=10).json()
                self.samples.append((time.perf_counter(), dict(doc["pages_by_endpoint"])))
                if self.done.wait(POLL_S):
                    return

    def stop(self) -> None:
        self.done.set()
        self.join()

    def span(self, endpoint: str) -> Span | None:
        series = [(t, pages.get(endpoint, 0)) for t, pages in self.samples]
        final = series[-1][1] if series else 0
        if not final:
            return None
        first = next(i for i, (_, n) in enumerate(series) if n)
        last = next(i for i, (_, n) in enumerate(series) if n == final)
        return Span(final, series[first][0], series[last][0], final - series[first][1])

    def between(self, endpoint: str, start: float, end: float) -> int:
        """Pages of `endpoint` served between the polls at `start` and `end`."""
        at = {t: pages.get(endpoint, 0) for t, pages in self.samples}
        return at[end] - at[start]


def serve(args: argparse.Namespace) -> None:
    """The emulator in the foreground (this process), with the campaign and flow counts asked for."""
    from loader.emulator.config import EmulatorConfig, FaultConfig
    from loader.emulator.runner import run_foreground

    config = EmulatorConfig(profiles=1000, events=args.events, campaigns=args.campaigns, flows=args.flows,
                            api_key=API_KEY, faults=FaultConfig(latency_ms=args.latency_ms))
    run_foreground(config, 0, echo=lambda line: print(line, flush=True))


def start_emulator(args: argparse.Namespace) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, str(Path(__file__).resolve()), "--serve", "--events", str(args.events),
               "--campaigns", str(args.campaigns), "--flows", str(args.flows),
               "--latency-ms", str(args.latency_ms)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        match = re.search(r"Listening on (http://127\.0\.0\.1:\d+)", line)
        if match:
            return proc, match.group(1)
    stop(proc)
    raise SystemExit("Error: the emulator did not start (bench/objects_ratelimit.py --serve) - "
                     "run it by hand to see why")


def listing_page_sizes(sizes: Mapping[str, int]) -> None:
    """Ask the listings named in `sizes` (by path) for that many objects a page (this process only)."""
    from loader.source.client import KlaviyoClient, Page

    original = KlaviyoClient.pages

    def pages(self: KlaviyoClient, path: str, params: Mapping[str, str],
              pacer_keys: tuple[str, ...] | None = None) -> Iterator[Page]:
        if path in sizes:
            params = {**params, "page[size]": str(sizes[path])}
        return original(self, path, params, pacer_keys)

    KlaviyoClient.pages = pages  # type: ignore[method-assign]


def run_loader(workdir: Path, objects: tuple[str, ...], events_page_size: int) -> dict[str, int]:
    from loader.destination import make_pipeline
    from loader.pipeline import run_sync
    from loader.sync_settings import SyncSettings

    name = "-".join(objects)
    os.environ["DESTINATION__DUCKDB__CREDENTIALS"] = str(workdir / f"{name}.duckdb")
    settings = SyncSettings.resolve(objects=objects, history="all", destination="duckdb",
                                    events_page_size=events_page_size,
                                    pipelines_dir=str(workdir / f"pipelines-{name}"))
    result = run_sync(settings, pipeline=make_pipeline("duckdb", pipelines_dir=settings.pipelines_dir))
    if result.failed:
        raise SystemExit(f"Error: the sync failed ({', '.join(map(str, result.failed))}) - see its log above")
    return {unit.object: done.rows_loaded for unit, done in result.objects.items()}


def scenario(args: argparse.Namespace, objects: tuple[str, ...]) -> tuple[Poller, dict[str, int],
                                                                          dict[str, Any]]:
    """One run on a fresh emulator process: the poller's samples, rows loaded, the final stats."""
    proc, base_url = start_emulator(args)
    try:
        with tempfile.TemporaryDirectory(prefix="kws-bench-") as tmp:
            use_env(base_url, Path(tmp))
            poller = Poller(base_url)
            poller.start()
            try:
                rows = run_loader(Path(tmp), objects, args.events_page_size)
            finally:
                poller.stop()
        stats: dict[str, Any] = requests.get(f"{base_url}/_emulator/stats", timeout=10).json()
    finally:
        stop(proc)
    return poller, rows, stats


def failures(stats: Mapping[str, Any]) -> tuple[int, int]:
    throttled = int(sum(stats.get("throttled", {}).values()))
    failed = sum(n for code, n in stats.get("statuses", {}).items() if code != "200")
    return throttled, failed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--campaigns", type=int, default=30_000)
    parser.add_argument("--flows", type=int, default=60)
    parser.add_argument("--events", type=int, default=160_000)
    parser.add_argument("--events-page-size", type=int, default=10)
    parser.add_argument("--flows-page-size", type=int, default=1,
                        help="objects per page of the flows listing only (the API's maximum is 50)")
    parser.add_argument("--campaigns-page-size", type=int, default=100,
                        help="objects per page of the campaigns listing (the API's maximum, 100)")
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args)
        return
    from loader.source import settings

    listing_page_sizes({settings.FLOWS_PATH: args.flows_page_size,
                        settings.CAMPAIGNS_PATH: args.campaigns_page_size})

    alone, alone_rows, alone_stats = scenario(args, (EVENTS,))
    both, rows, stats = scenario(args, (EVENTS, "campaigns", "flows"))

    throttled, failed = (sum(pair) for pair in zip(failures(alone_stats), failures(stats), strict=True))
    print(f"latency {args.latency_ms:g} ms, real limits; {args.campaigns:,} campaigns "
          f"({args.campaigns_page_size} a page), {args.flows} flows ({args.flows_page_size} a page), "
          f"events {alone_rows.get(EVENTS, 0):,} ({args.events_page_size} a page); machine load "
          f"{os.getloadavg()[0]:.1f}")
    print("rows loaded: " + ", ".join(f"{k} {v:,}" for k, v in sorted(rows.items())))
    print(f"{'endpoint':<18}{'requests':>9}{'queued s':>10}{'req/min':>9}{'limit':>7}{'ratio':>7}")
    results: list[tuple[str, float, float]] = []
    spans = {name: both.span(name) for name in MARKETING}
    for name, limit in MARKETING.items():
        span = spans[name]
        if span is None:
            print(f"{name:<18}{0:>9}{'-':>10}{'-':>9}{limit:>7}{'-':>7}  (no request)")
            continue
        ratio = span.per_minute / limit
        print(f"{name:<18}{span.pages:>9,}{span.seconds:>10.1f}{span.per_minute:>9.1f}{limit:>7}{ratio:>7.3f}")
        results.append((f"objects_ratelimit_{name.replace('-', '_')}", ratio, TARGET))

    alone_span = alone.span(EVENTS)
    events_span = both.span(EVENTS)
    assert alone_span is not None and events_span is not None, "no events page was served"
    marketing = [s for s in spans.values() if s is not None]
    start = min(s.start for s in marketing)
    end = min(max(s.end for s in marketing), events_span.end)
    if end < max(s.end for s in marketing):
        print("the events ran out before the marketing objects: their share is measured over the overlap")
    shared = both.between(EVENTS, start, end) / (end - start) * 60
    share = shared / alone_span.per_minute
    print(f"{'events alone':<18}{alone_span.pages:>9,}{alone_span.seconds:>10.1f}"
          f"{alone_span.per_minute:>9.1f}{3500:>7}{alone_span.per_minute / 3500:>7.3f}")
    print(f"{'events beside':<18}{both.between(EVENTS, start, end):>9,}{end - start:>10.1f}"
          f"{shared:>9.1f}{3500:>7}{shared / 3500:>7.3f}  share of alone {share:.3f}")
    results.append(("objects_ratelimit_events_share", share, EVENTS_TARGET))
    print(f"429s {throttled}; other failed requests {failed - throttled}")
    if failed:
        print("FAILED REQUESTS: the targets require none")
    for name, ratio, target in results:
        print(f"RESULT {name} {0.0 if failed else ratio:.3f} target >= {target:g}")


if __name__ == "__main__":
    main()
