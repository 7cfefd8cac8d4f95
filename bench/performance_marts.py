"""Benchmark: the marketing marts on DuckDB, full build vs the hourly incremental rebuild.

Raw tables in the loader's exact DuckDB shape (klaviyo_raw.events with event_properties `$message` /
`$flow`, event_attributions, campaigns, campaign_messages, flows, flow_actions, flow_messages,
metrics, accounts, dlt's _dlt_loads) are generated with SQL (bench/performance_marts_sql.py):
`--events` events (10M) over ~347 days, `--campaigns` campaign messages (2,000) and 240 flow messages.
Then, timed in this process (dbt's dbtRunner, the committed profiles.yml, every marketing table on,
profiles off):
1. full build: the first `dbt run` (the staging views and every mart: klaviyo_event,
   klaviyo_event_attribution, both performance marts and the campaign/flow marts);
2. `--increments` hourly loads (median): `--increment` events each (3/4 new in the next hour, 1/4 the
   attribution window's re-read of the last 7 days with their attributions, some orders re-read with a
   new `$value`, late credit for a quarter of the uncredited re-read orders), a new and an edited
   campaign; then `dbt run --select marts` (incremental);
3. `dbt run --select marts --full-refresh`, and the performance marts, klaviyo_event_attribution and
   int_klaviyo__message_engagement compared row for row with the incremental result.
Prints each run's slowest models (dbt's run_results.json) and
`RESULT performance_marts_incremental_over_full <incremental / full> target <= 0.05` (full: the faster
of the two full builds).

Usage: `.venv/bin/python bench/performance_marts.py [--events N] [--campaigns N] [--increment N] [--keep]`
(smoke: `--events 200000`). The measuring run goes under the shared lock:
`flock /tmp/bench.lock .venv/bin/python bench/performance_marts.py`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.performance_marts_sql import (  # noqa: E402
    RAW_TABLES_SQL,
    SPAN_SECONDS,
    account_select,
    attributions_select,
    campaign_messages_select,
    campaigns_select,
    events_select,
    flow_actions_select,
    flow_messages_select,
    flows_select,
    history_time,
    increment_time,
    load_done_sql,
    merge_sql,
    metrics_select,
)
from loader.transform.dbt_invoke import DbtPaths, dbt_args, invoke_dbt  # noqa: E402
from loader.transform.dbt_project import find_dbt_project, profiles_dir  # noqa: E402

DBT_VARS = {
    "klaviyo_profiles_enabled": False,
    **{f"klaviyo_{table}_enabled": True for table in (
        "events", "campaigns", "campaign_messages", "flows", "flow_actions", "flow_messages",
        "event_attributions")},
}
COMPARED = {  # schema.mart -> its key, compared row for row (every column) after the incremental rebuild
    "klaviyo.klaviyo_campaign_performance": "campaign_message_id",
    "klaviyo.klaviyo_flow_performance": "flow_message_id",
    "klaviyo.klaviyo_event_attribution": "event_id, attribution_id",
    "klaviyo_staging.int_klaviyo__message_engagement": "event_id",
}
PERFORMANCE_MARTS = ("klaviyo.klaviyo_campaign_performance", "klaviyo.klaviyo_flow_performance")
EVENT_CHECK_SQL = """
select count(*), count(distinct event_id), sum(value), count(attributed_campaign_message_id),
       count(attributed_flow_message_id), max(_loaded_at) from klaviyo.klaviyo_event"""
TOTALS_SQL = """
select count(*), sum(recipients), sum(unique_opens), sum(clicks), sum(conversions), sum(attributed_revenue)
from {mart}"""
EVENT_KEY = ("account_id", "id")
ATTRIBUTION_KEY = ("account_id", "event_id", "attribution_id")
CAMPAIGN_KEY = ("account_id", "id")


def generate_raw(db: Path, n_events: int, n_campaigns: int) -> None:
    load_id = "1793000000.000001"
    time_sql = history_time(n_events)
    with duckdb.connect(str(db)) as con:
        con.execute(RAW_TABLES_SQL)
        for table, select in (
            ("accounts", account_select(load_id)),
            ("metrics", metrics_select(load_id)),
            ("campaigns", campaigns_select(0, n_campaigns, n_campaigns, load_id)),
            ("campaign_messages", campaign_messages_select(0, n_campaigns, n_campaigns, load_id)),
            ("flows", flows_select(load_id)),
            ("flow_actions", flow_actions_select(load_id)),
            ("flow_messages", flow_messages_select(load_id)),
        ):
            con.execute(f"insert into klaviyo_raw.{table} by name {select}")
        chunk = 2_000_000
        for start in range(0, n_events, chunk):
            ids = f"select i from range({start}, {min(start + chunk, n_events)}) t(i)"
            con.execute("insert into klaviyo_raw.events by name "
                        + events_select(ids, n_events, n_campaigns, load_id, time_sql=time_sql))
            con.execute("insert into klaviyo_raw.event_attributions by name "
                        + attributions_select(ids, n_events, n_campaigns, load_id, time_sql=time_sql))
        con.execute(load_done_sql(load_id, "now()"))
        con.execute("checkpoint")


def add_increment(db: Path, round_no: int, size: int, n_events: int, n_campaigns: int) -> dict[str, int]:
    """One hourly dlt load, written as dlt's delete-insert merges and then marked completed."""
    load_id = f"17930{round_no:05d}.000001"
    fresh = size * 3 // 4
    window = max(n_events * 7 * 86400 // SPAN_SECONDS, 1)  # the 7-day attribution re-read
    every = max(window // max(size - fresh, 1), 1)
    new_start = n_events + (round_no - 1) * fresh
    ids = (f"select i from range({new_start}, {new_start + fresh}) t(i) union all "
           f"select i from range({n_events - window}, {n_events}) t(i) "
           f"where hash(i * 7 + {round_no}) % {every} = 0")
    time_sql = increment_time(n_events, fresh, round_no)
    new_campaign, edited_campaign = n_campaigns + round_no - 1, n_campaigns - 10 - round_no
    statements = [
        *merge_sql("events", events_select(ids, n_events, n_campaigns, load_id, time_sql=time_sql,
                                           bump=round_no), EVENT_KEY),
        *merge_sql("event_attributions", attributions_select(
            ids, n_events, n_campaigns, load_id, time_sql=time_sql, late=True), ATTRIBUTION_KEY),
    ]
    for k, edit in ((new_campaign, 0), (edited_campaign, round_no)):
        statements += merge_sql("campaigns", campaigns_select(k, k + 1, n_campaigns, load_id, edit=edit),
                                CAMPAIGN_KEY)
        messages = campaign_messages_select(k, k + 1, n_campaigns, load_id, edit=edit)
        statements += merge_sql("campaign_messages", messages, CAMPAIGN_KEY)
    statements.append(load_done_sql(load_id, "now()"))
    with duckdb.connect(str(db)) as con:
        for statement in statements:
            con.execute(statement)
        first_new = f"'E' || lpad('{n_events}', 26, '0')"
        row = con.execute(f"""select count(*), count(*) filter (where id >= {first_new})
                              from klaviyo_raw.events where _dlt_load_id = '{load_id}'""").fetchone()
        late = con.execute(f"""select count(*) from klaviyo_raw.event_attributions a
                               where _dlt_load_id = '{load_id}' and a.event_id < {first_new}
                               and not exists (select 1 from klaviyo_raw.event_attributions b
                                               where b.event_id = a.event_id
                                               and b._dlt_load_id <> '{load_id}')""").fetchone()
    assert row is not None and late is not None
    return {"events": row[0], "new": row[1], "late_credit": late[0]}


def dbt_run(db: Path, work: Path, *options: str) -> tuple[float, list[tuple[str, float]]]:
    """One `dbt run` (`options`, e.g. `--select marts`); its wall time and each model's execution time,
    slowest first."""
    project = find_dbt_project()
    paths = DbtPaths(project, profiles_dir(project), work / "target", work / "logs")
    args = dbt_args(["run", "--vars", json.dumps(DBT_VARS), *options], paths,
                    target="duckdb")
    env = {"KLAVIYO_DUCKDB_PATH": str(db), "KLAVIYO_DBT_THREADS": "1", "KLAVIYO_DBT_SCHEMA": "klaviyo"}
    start = time.perf_counter()
    result = invoke_dbt(args, env)
    elapsed = time.perf_counter() - start
    if not result.success:
        raise SystemExit(f"Error: dbt run failed (bench/performance_marts.py) - "
                         f"{result.exception or [r.message for r in result.result]}")
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    models = sorted(((r["unique_id"].split(".")[-1], float(r["execution_time"])) for r in results),
                    key=lambda item: -item[1])
    return elapsed, models


def _top(models: list[tuple[str, float]], n: int = 4) -> str:
    return ", ".join(f"{name} {seconds:.2f}s" for name, seconds in models[:n])


def snapshot(db: Path) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute("create schema if not exists bench_incremental")
        for mart in COMPARED:
            copy = mart.split(".")[1]
            con.execute(f"create or replace table bench_incremental.{copy} as select * from {mart}")
        con.execute(f"create or replace table bench_incremental.event_check as {EVENT_CHECK_SQL}")


def compare(db: Path) -> bool:
    """Every row of the compared marts and klaviyo_event's checksums, incremental vs full refresh."""
    same = True
    with duckdb.connect(str(db)) as con:
        for mart, key in COMPARED.items():
            copy = f"bench_incremental.{mart.split('.')[1]}"
            counts = con.execute(f"""
                select (select count(*) from {mart}), (select count(*) from {copy}),
                       (select count(*) from (select * from {mart} except all select * from {copy})),
                       (select count(*) from (select * from {copy} except all select * from {mart}))"""
            ).fetchone()
            assert counts is not None
            ok = counts[0] == counts[1] and counts[2] == counts[3] == 0
            same = same and ok
            print(f"  {mart}: {counts[0]:,} rows after the full refresh, {counts[1]:,} incremental, "
                  f"{counts[2]} / {counts[3]} rows differ -> {'same' if ok else 'DIFFERENT'} (key {key})")
            if mart in PERFORMANCE_MARTS:
                totals = con.execute(TOTALS_SQL.format(mart=mart)).fetchone()
                assert totals is not None
                print(f"    {totals[0]:,} messages: {totals[1]:,} recipients, {totals[2]:,} unique opens, "
                      f"{totals[3]:,} clicks, {totals[4]:,} conversions, revenue {totals[5]:,}")
        full = con.execute(EVENT_CHECK_SQL).fetchone()
        incremental = con.execute("select * from bench_incremental.event_check").fetchone()
    ok = full == incremental
    same = same and ok
    print(f"  klaviyo_event checksums (rows, ids, sum(value), credited): "
          f"{'same' if ok else f'DIFFERENT: full {full} vs incremental {incremental}'}")
    return same


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--campaigns", type=int, default=2_000, help="campaign messages (one per campaign)")
    parser.add_argument("--increment", type=int, default=50_000, help="events in each hourly load")
    parser.add_argument("--increments", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kws-bench-marts-"))
    db = work / "klaviyo_sync.duckdb"
    try:
        start = time.perf_counter()
        generate_raw(db, args.events, args.campaigns)
        print(f"raw data: {args.events:,} events, {args.campaigns:,} campaign messages, 240 flow messages in "
              f"{time.perf_counter() - start:.1f}s ({db.stat().st_size / 1e9:.2f} GB)")
        first, models = dbt_run(db, work)
        print(f"dbt full build: {first:.2f}s (slowest: {_top(models)})")
        increments = []
        for round_no in range(1, args.increments + 1):
            loaded = add_increment(db, round_no, args.increment, args.events, args.campaigns)
            seconds, models = dbt_run(db, work, "--select", "marts")
            increments.append(seconds)
            print(f"hourly load {round_no}: {loaded['events']:,} events ({loaded['new']:,} new, "
                  "the rest re-read), "
                  f"{loaded['late_credit']:,} orders with late credit, 1 new and 1 edited campaign; "
                  f"incremental build {seconds:.2f}s (slowest: {_top(models)})")
        snapshot(db)
        refresh, models = dbt_run(db, work, "--select", "marts", "--full-refresh")
        print(f"dbt full refresh after the loads: {refresh:.2f}s (slowest: {_top(models)})")
        same = compare(db)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    full, incremental = min(first, refresh), statistics.median(increments)
    print(f"incremental result equals the full refresh: {'yes' if same else 'NO'}")
    print(f"incremental build / full build: {incremental:.2f}s / {full:.2f}s")
    print(f"RESULT performance_marts_incremental_over_full {incremental / full:.3f} target <= 0.05")
    if not same:
        raise SystemExit("Error: the incremental marts differ from a full refresh "
                         "(bench/performance_marts.py) - fix the incremental predicates of the models "
                         "named above")


if __name__ == "__main__":
    main()
