"""Events per second end to end (emulator -> DuckDB, no latency, no rate limits).

Runs, against the same `klaviyo-sync emulator` process (its own process, so it does not share our
GIL), first a plain dlt `rest_api` pipeline (json_link paginator on `links.next`, page[size]=1000,
merge on id, max_table_nesting=0) and then our loader (`run_sync`, events only, history all), each
into a fresh DuckDB file. Prints both rates, our rate as a share of Klaviyo's ceiling
(3500 requests/min x 1000 events/page = 58,333 events/s), and ends with
`RESULT extract_throughput_ratio <ours/plain> target >= 3`.

    .venv/bin/python bench/extract_throughput.py [--events N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from emulator_process import API_KEY, start_emulator, stop  # noqa: E402

KLAVIYO_CEILING = 3500 / 60 * 1000
TARGET = 3.0


def use_env(base_url: str, workdir: Path) -> None:
    os.environ["KLAVIYO_BASE_URL"] = base_url
    os.environ["KLAVIYO_API_KEY"] = API_KEY
    os.environ["DLT_DATA_DIR"] = str(workdir / "dlt")
    os.environ["RUNTIME__LOG_LEVEL"] = "WARNING"


def plain_rest_api(base_url: str, workdir: Path) -> int:
    """The declarative baseline: dlt's rest_api source, one request after the other."""
    import dlt
    from dlt.sources.rest_api import rest_api_source

    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")  # as ours: no future-dated events
    source = rest_api_source(
        {
            "client": {
                "base_url": base_url,
                "headers": {"Authorization": f"Klaviyo-API-Key {API_KEY}", "revision": "2026-07-15",
                            "Accept": "application/vnd.api+json"},
                "paginator": {"type": "json_link", "next_url_path": "links.next"},
            },
            "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
            "resources": [
                {"name": "events", "endpoint": {"path": "api/events", "data_selector": "data", "params": {
                    "page[size]": 1000, "sort": "datetime", "filter": f"less-than(datetime,{now})"}}},
            ],
        },
        name="klaviyo_plain",
        max_table_nesting=0,
    )
    destination = dlt.destinations.duckdb(str(workdir / "plain.duckdb"))
    pipeline = dlt.pipeline("klaviyo_plain", destination=destination, dataset_name="klaviyo_raw",
                            pipelines_dir=str(workdir / "plain_pipelines"))
    pipeline.run(source)
    with pipeline.sql_client() as client:
        return int(client.execute_sql("SELECT count(*) FROM events")[0][0])


def our_loader(workdir: Path, workers: int | None = None) -> int:
    from loader.destination import make_pipeline
    from loader.pipeline import run_sync
    from loader.sync_settings import SyncSettings

    os.environ["DESTINATION__DUCKDB__CREDENTIALS"] = str(workdir / "ours.duckdb")
    flags: dict[str, Any] = {"objects": ("events",), "history": "all", "destination": "duckdb",
                             "pipelines_dir": str(workdir / "ours_pipelines")}
    if workers:
        flags["events_workers"] = workers
    settings = SyncSettings.resolve(**flags)
    pipeline = make_pipeline("duckdb", pipelines_dir=settings.pipelines_dir)
    run_sync(settings, pipeline=pipeline)
    with pipeline.sql_client() as client:
        return int(client.execute_sql("SELECT count(*) FROM events")[0][0])


def timed(label: str, work: Any) -> tuple[float, int]:
    began = time.perf_counter()
    rows = work()
    elapsed = time.perf_counter() - began
    print(f"{label:<28} {rows:>9,} events in {elapsed:6.2f}s = {rows / elapsed:>9,.0f} events/s")
    return rows / elapsed, rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=0, help="events worker threads (default: ours)")
    args = parser.parse_args()
    proc, base_url = start_emulator(args.events, "--no-rate-limits")
    try:
        with tempfile.TemporaryDirectory(prefix="kws-bench-") as tmp:
            workdir = Path(tmp)
            use_env(base_url, workdir)
            plain, plain_rows = timed("plain dlt rest_api", lambda: plain_rest_api(base_url, workdir))
            ours, our_rows = timed("klaviyo-sync loader", lambda: our_loader(workdir, args.workers or None))
    finally:
        stop(proc)
    assert plain_rows == our_rows, f"plain loaded {plain_rows} events, ours {our_rows}"
    ratio = ours / plain
    print(f"ours / plain = {ratio:.2f}x; ours = {ours / KLAVIYO_CEILING:.1%} of Klaviyo's ceiling "
          f"({KLAVIYO_CEILING:,.0f} events/s = 3500 requests/min x 1000 events/page); "
          f"machine load {os.getloadavg()[0]:.1f}")
    print(f"RESULT extract_throughput_ratio {ratio:.2f} target >= {TARGET:g}")


if __name__ == "__main__":
    main()
