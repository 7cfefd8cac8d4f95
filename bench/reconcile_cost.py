"""Cost of a profiles reconcile (every profile id, loader.source.profile_reconcile.listed_ids)
against the emulator with Klaviyo's real /api/profiles limits (75/s, 750/min) and 200 ms latency.

Prints requests and minutes, and
`RESULT reconcile_cost_requests_ratio <requests / (profiles/100)> target <= 1.05` and
`RESULT reconcile_cost_rate_ratio <requests per minute / 750> target >= 0.95`.
The default is 1M profiles (about 10,000 requests, 13-14 minutes at the limit); `--profiles`
measures a smaller account (the rate settles within the first minute).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from emulator_process import API_KEY, start_emulator, stop  # noqa: E402

from loader.source import settings  # noqa: E402
from loader.source.client import KlaviyoClient  # noqa: E402
from loader.source.profile_reconcile import listed_ids  # noqa: E402

STEADY = settings.RATE_LIMITS[settings.PROFILES_PATH].steady


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    args = parser.parse_args()
    proc, base_url = start_emulator(0, "--latency-ms", str(args.latency_ms), profiles=args.profiles)
    try:
        workers = settings.PROFILES_WORKERS
        client = KlaviyoClient(base_url, API_KEY, pool_size=workers + 2)
        account = SimpleNamespace(client=client, options=SimpleNamespace(profiles_workers=workers))
        before = _requests(base_url)
        started = time.monotonic()
        ids = listed_ids(account, datetime.now(timezone.utc))  # type: ignore[arg-type]
        minutes = (time.monotonic() - started) / 60
        used = _requests(base_url) - before
        client.close()
    finally:
        stop(proc)
    assert len(ids) == args.profiles, f"listed {len(ids):,} of {args.profiles:,} profiles"
    ratio = used / (args.profiles / settings.PROFILES_PAGE_SIZE)
    rate = used / minutes
    print(f"{args.profiles:,} profiles: {used:,} requests in {minutes:.2f} min ({rate:,.0f}/min, "
          f"{workers} workers, latency {args.latency_ms:g} ms)")
    print(f"RESULT reconcile_cost_requests_ratio {ratio:.3f} target <= 1.05")
    print(f"RESULT reconcile_cost_rate_ratio {rate / STEADY:.3f} target >= 0.95")


def _requests(base_url: str) -> int:
    stats = requests.get(f"{base_url}/_emulator/stats", timeout=10).json()
    return int(sum(stats.get("statuses", {}).values()))


if __name__ == "__main__":
    main()
