"""Two Klaviyo accounts against one: time of a run of both, side by side, over a run of one.

Klaviyo's rate limits are per account, so a loader that reads accounts in parallel (each with its
own pacers) syncs two accounts in about the time of one. Starts `klaviyo-sync emulator --accounts 2`
in its own process with the real limits (scale 1) and 200 ms added to every request, then runs
the loader into fresh DuckDB files: first account alpha alone (`--accounts alpha`), then both.
page[size] is lowered (default 50) so each account needs ~2,000 events requests: the limit counts
requests, not events. Any failed request (429, 5xx) is reported.

Prints both wall times, each account's events requests/min, and ends with
`RESULT extract_accounts_two_over_one <wall of two / wall of one> target <= 1.15`.

    .venv/bin/python bench/extract_accounts.py [--events N] [--page-size N] [--latency-ms MS]
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
from emulator_process import API_KEY, start_emulator, stop  # noqa: E402
from extract_throughput import use_env  # noqa: E402

TARGET = 1.15
NAMES = ("alpha", "beta")


def run(workdir: Path, accounts: tuple[str, ...], page_size: int) -> tuple[float, dict[str, int]]:
    from loader.destination import make_pipeline
    from loader.pipeline import run_sync
    from loader.sync_settings import SyncSettings

    name = "-".join(accounts)
    os.environ["DESTINATION__DUCKDB__CREDENTIALS"] = str(workdir / f"{name}.duckdb")
    settings = SyncSettings.resolve(history="all", destination="duckdb", accounts=accounts,
                                    events_page_size=page_size, pipelines_dir=str(workdir / name))
    started = time.perf_counter()
    result = run_sync(settings, pipeline=make_pipeline("duckdb", pipelines_dir=settings.pipelines_dir))
    wall = time.perf_counter() - started
    assert not result.failed, result.failed
    events = {unit.account: done.rows_loaded
              for unit, done in result.objects.items() if unit.object == "events"}
    return wall, events


def served(base_url: str) -> dict[str, dict[str, int]]:
    """Per account id: events pages served and failed requests."""
    out = {}
    for account in requests.get(f"{base_url}/_emulator/accounts", timeout=10).json()["accounts"]:
        params = {"account": account["account_id"]}
        doc = requests.get(f"{base_url}/_emulator/stats", params=params, timeout=10).json()
        failed = sum(n for code, n in doc.get("statuses", {}).items() if code != "200")
        pages = int(doc["pages_by_endpoint"].get("events", 0))
        out[account["account_id"]] = {"pages": pages, "failed": failed}
    return out


def scenario(
    args: argparse.Namespace, accounts: tuple[str, ...]
) -> tuple[float, int, dict[str, dict[str, int]]]:
    """One run on a fresh emulator process (fresh rate-limit windows): wall, events, served stats."""
    proc, base_url = start_emulator(args.events, "--accounts", "2", "--latency-ms", str(args.latency_ms))
    try:
        with tempfile.TemporaryDirectory(prefix="kws-bench-") as tmp:
            use_env(base_url, Path(tmp))
            os.environ.pop("KLAVIYO_API_KEY", None)
            for name in NAMES:
                os.environ[f"SOURCES__KLAVIYO__ACCOUNTS__{name.upper()}__API_KEY"] = f"{API_KEY}_{name}"
            wall, rows = run(Path(tmp), accounts, args.page_size)
        return wall, sum(rows.values()), served(base_url)
    finally:
        stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    args = parser.parse_args()
    failed = 0
    walls = {}
    for accounts in (("alpha",), NAMES):
        wall, rows, stats = scenario(args, accounts)
        walls[len(accounts)] = wall
        failed += sum(s["failed"] for s in stats.values())
        rates = ", ".join(f"{account_id} {s['pages'] / wall * 60:,.0f}/min"
                          for account_id, s in stats.items() if s["pages"])
        print(f"{len(accounts)} account(s): {rows:,} events in {wall:.1f}s, events requests {rates}")
    print(f"page[size]={args.page_size}, latency {args.latency_ms:g} ms, real limits (3500/min per account); "
          f"failed requests {failed}; machine load {os.getloadavg()[0]:.1f}")
    if failed:
        print("FAILED REQUESTS: the target requires none")
    print(f"RESULT extract_accounts_two_over_one {walls[2] / walls[1]:.3f} target <= {TARGET:g}")


if __name__ == "__main__":
    main()
