"""The hourly periodic run on a 10M-event DuckDB warehouse: is the warehouse work small beside the API's?

1. `klaviyo-sync emulator` in its own process: real limits (scale 1), 200 ms latency, `--events`
   events over 400 days and `--profiles` profiles.
2. A historical run of our loader (profiles and events) into DuckDB: the raw tables, the dlt state
   and the cursors are the loader's own, so the next run is periodic.
3. The raw events table grows to `--warehouse-events` (10M) by copies of the loaded rows, in SQL:
   every column as loaded, only `id`, `uuid`, `datetime` and `timestamp` changed (moved back by
   whole minutes, so the copies spread over the same history); their load is the historical one.
4. A full `dbt build` (what `klaviyo-sync run` runs after a load), untimed setup of the marts.
5. The emulator grows by `--new-events` new events (and 1% as many updated profiles) in the last hour.
6. The hourly run, timed by step: the periodic loader run with `lookback = 1h` and
   `attribution_window = 0` (only the lookback is re-read; the default 7-day attribution re-read
   reads a week of events every hour), then `dbt build` as `klaviyo-sync run` does after a load.

Prints every step's time and ends with
`RESULT hourly_run_warehouse_ratio <(normalize + load + dbt build) / extract> target <= 1.5`.

    .venv/bin/python bench/hourly_run.py [--warehouse-events N] [--new-events N] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from emulator_process import start_emulator, stop  # noqa: E402
from extract_throughput import use_env  # noqa: E402

TARGET = 1.5
COPY_CHUNK = 2_000_000  # rows inserted per statement while the warehouse grows


def settings_for(workdir: Path) -> Any:
    from loader.sync_settings import SyncSettings

    return SyncSettings.resolve(objects=("profiles", "events"), history="all", destination="duckdb",
                                lookback="1h", attribution_window="0",
                                pipelines_dir=str(workdir / "pipelines"))


def sync(workdir: Path) -> tuple[dict[str, float], dict[str, int]]:
    """One loader run: the seconds of dlt's extract, normalize and load steps, and rows per object."""
    from loader.destination import make_pipeline
    from loader.pipeline import run_sync

    settings = settings_for(workdir)
    pipeline = make_pipeline("duckdb", pipelines_dir=settings.pipelines_dir)
    result = run_sync(settings, pipeline=pipeline)
    trace = pipeline.last_trace
    assert trace is not None, "dlt left no trace of the run"
    steps: dict[str, float] = {step.step: (step.finished_at - step.started_at).total_seconds()
                               for step in trace.steps if step.step in ("extract", "normalize", "load")}
    rows = {unit.object: done.rows_extracted for unit, done in result.objects.items()}
    return steps, rows


def dbt_build(workdir: Path) -> float:
    from loader.transform.after_load import build_after_load

    began = time.perf_counter()
    build_after_load(settings_for(workdir), work_dir=workdir / "dbt", echo=lambda line: None)
    return time.perf_counter() - began


def count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"select count(*) from {table}").fetchone()
    assert row is not None
    return int(row[0])


def dbt_nodes(workdir: Path, top: int = 6) -> list[str]:
    """What the last dbt build spent its time on (run_results.json): models vs data tests, slowest nodes."""
    results = json.loads((workdir / "dbt" / "target" / "run_results.json").read_text())["results"]
    by_kind: dict[str, float] = {}
    for node in results:
        kind = node["unique_id"].split(".")[0]
        by_kind[kind] = by_kind.get(kind, 0.0) + node["execution_time"]
    slowest = sorted(results, key=lambda node: -node["execution_time"])[:top]
    return [", ".join(f"{kind}s {seconds:.1f}s" for kind, seconds in sorted(by_kind.items())),
            *(f"{node['execution_time']:6.1f}s {node['unique_id']}" for node in slowest)]


def grow_warehouse(db: Path, target: int) -> int:
    """Copy the loaded events until the raw table holds `target` rows; returns the final count."""
    with duckdb.connect(str(db)) as con:
        base = count(con, "klaviyo_raw.events")
        con.execute("create temp table base as select * from klaviyo_raw.events")
        copy, total = 1, base
        while total < target:
            copies = max(1, min(COPY_CHUNK // base, -(-(target - total) // base)))
            con.execute(f"""
                insert into klaviyo_raw.events
                select account_id, id || '.' || k, datetime - to_minutes(k * 7), timestamp - k * 420,
                       metric_id, profile_id, gen_random_uuid()::varchar, attributes, _dlt_load_id
                from base, range({copy}, {copy + copies}) t(k)
                limit {target - total}""")
            copy += copies
            total = count(con, "klaviyo_raw.events")
        con.execute("checkpoint")
        return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000, help="events the emulator starts with")
    parser.add_argument("--profiles", type=int, default=20_000)
    parser.add_argument("--warehouse-events", type=int, default=10_000_000)
    parser.add_argument("--new-events", type=int, default=50_000)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="kws-bench-hourly-"))
    db = workdir / "klaviyo_sync.duckdb"
    proc, base_url = start_emulator(args.events, "--latency-ms", str(args.latency_ms), profiles=args.profiles)
    try:
        use_env(base_url, workdir)
        os.environ["DESTINATION__DUCKDB__CREDENTIALS"] = str(db)
        began = time.perf_counter()
        _, first_rows = sync(workdir)
        print(f"historical run: {first_rows} in {time.perf_counter() - began:.1f}s")
        began = time.perf_counter()
        total = grow_warehouse(db, args.warehouse_events)
        print(f"raw events grown to {total:,} in {time.perf_counter() - began:.1f}s "
              f"({db.stat().st_size / 1e9:.2f} GB)")
        print(f"full dbt build (setup): {dbt_build(workdir):.1f}s")
        grown = requests.post(f"{base_url}/_emulator/grow", timeout=60, json={
            "new_events": args.new_events, "updated_profiles": max(1, args.new_events // 100)}).json()
        print(f"emulator grew: {grown.get('events'):,} events, {grown.get('profiles'):,} profiles")
        began = time.perf_counter()
        steps, rows = sync(workdir)
        steps["dbt build"] = dbt_build(workdir)
        wall = time.perf_counter() - began
        nodes = dbt_nodes(workdir)
    finally:
        stop(proc)
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"hourly run: {rows} rows read; {wall:.1f}s wall in all")
    for name, seconds in steps.items():
        print(f"  {name:<10} {seconds:6.2f}s")
    print(f"dbt build by node (execution time; {nodes[0]}):")
    for line in nodes[1:]:
        print(f"  {line}")
    warehouse = steps["normalize"] + steps["load"] + steps["dbt build"]
    ratio = warehouse / steps["extract"]
    print(f"warehouse work (normalize + load + dbt build) {warehouse:.2f}s / extract {steps['extract']:.2f}s "
          f"= {ratio:.2f}; machine load {os.getloadavg()[0]:.1f}")
    if rows.get("events", 0) < args.new_events:
        print(f"ONLY {rows.get('events', 0):,} EVENTS READ, FEWER THAN THE {args.new_events:,} NEW ONES")
        ratio = float("inf")
    print(f"RESULT hourly_run_warehouse_ratio {ratio:.2f} target <= {TARGET:g}")


if __name__ == "__main__":
    main()
