"""Full and incremental syncs against the emulator, compared exactly with its ground truth."""

from __future__ import annotations

import threading
from datetime import timedelta

import dlt
import pytest

from loader.pipeline import LOAD_WORKERS_KEY
from loader.source.options import SourceOptions
from tests.fixtures.expected_raw import (
    EVENT_COLUMNS,
    METRIC_COLUMNS,
    assert_same,
    loaded_events,
    loaded_metrics,
    truth_events,
    truth_metrics,
    truth_profiles,
    unique_ids,
    warehouse_events,
    warehouse_profiles,
)
from tests.fixtures.warehouse import Warehouse

# a periodic events run re-reads max(lookback, attribution_window) before its cursor (late credit)
REREAD = SourceOptions().attribution_lookback

pytestmark = pytest.mark.integration


def check_all(warehouse: Warehouse, emulator, until) -> None:
    truth = emulator.emulator.truth
    assert_same(warehouse_events(warehouse), truth_events(truth.events(until=until)), "events")
    expected = {k: v for k, v in truth_profiles(truth.profiles()).items() if v[1] < until}
    assert_same(warehouse_profiles(warehouse), expected, "profiles")
    metrics = unique_ids(warehouse.rows("metrics", METRIC_COLUMNS), "metrics")
    assert_same(loaded_metrics(metrics), truth_metrics(truth.metrics()), "metrics")


def test_full_sync_loads_exactly_what_the_api_serves(warehouse: Warehouse, emulator) -> None:
    result = warehouse.sync()
    assert {o.name: o.kind for o in result.objects.values()} == {
        "metrics": "historical", "profiles": "historical", "events": "historical", "campaigns": "historical",
        "flows": "historical"}
    future = emulator.emulator.truth.events(since=result.run_start)
    assert future, "the emulator serves future-dated events; they must wait for their time"
    check_all(warehouse, emulator, until=result.run_start)
    assert result.objects["events"].rows_loaded == len(emulator.emulator.truth.events(until=result.run_start))


def test_second_run_picks_up_new_late_future_and_updated(warehouse: Warehouse, emulator) -> None:
    first = warehouse.sync()
    emu = emulator.emulator
    emu.grow(new_events=60, late_events=15, late_by=timedelta(minutes=30), future_events=3,
             updated_profiles=10, new_profiles=5)
    second = warehouse.sync()
    assert second.objects["events"].kind == "periodic"
    assert second.objects["profiles"].kind == "periodic"
    # the second run only read from the first run's start minus the lookback
    assert second.objects["events"].cursor_from == first.run_start - REREAD
    check_all(warehouse, emulator, until=second.run_start)
    # a third run with nothing new changes nothing
    before = warehouse.rows("events", EVENT_COLUMNS)
    third = warehouse.sync()
    check_all(warehouse, emulator, until=third.run_start)
    assert warehouse.rows("events", EVENT_COLUMNS) == before


def test_events_later_than_the_lookback_need_reconcile(duckdb_warehouse: Warehouse, emulator) -> None:
    # without the attribution re-read (7d by default), which would pick them up
    first = duckdb_warehouse.sync(objects=("events",), attribution_window="0")
    emulator.emulator.grow(late_events=12, late_by=timedelta(hours=5))
    late = {e["id"] for e in emulator.emulator.truth.events(until=first.run_start)} - {
        r[0] for r in duckdb_warehouse.rows("events", "id")}
    assert len(late) == 12
    duckdb_warehouse.sync(objects=("events",), attribution_window="0")
    loaded = {r[0] for r in duckdb_warehouse.rows("events", "id")}
    assert not late & loaded, "5 h late events are outside the 1 h lookback"
    result = duckdb_warehouse.sync(objects=("events",), reconcile="7d", attribution_window="0")
    loaded = warehouse_events(duckdb_warehouse)
    assert_same(loaded, truth_events(emulator.emulator.truth.events(until=result.run_start)), "events")


@pytest.mark.parametrize("history,days", [("30d", 30), ("90d", 90), ("1y", 365), ("all", None)])
def test_history_window_of_the_first_sync(duckdb_warehouse: Warehouse, emulator, history, days) -> None:
    result = duckdb_warehouse.sync(history=history, objects=("events",))
    since = None if days is None else result.run_start - timedelta(days=days)
    expected = truth_events(emulator.emulator.truth.events(since=since, until=result.run_start))
    loaded = warehouse_events(duckdb_warehouse)
    assert_same(loaded, expected, f"events, history {history}")
    assert "profiles" not in duckdb_warehouse.tables()
    # the history window applies to the first sync only: later runs continue from the cursor
    emulator.emulator.grow(new_events=20)
    second = duckdb_warehouse.sync(history=history, objects=("events",))
    expected = truth_events(emulator.emulator.truth.events(since=since, until=second.run_start))
    loaded = loaded_events(duckdb_warehouse.rows("events", EVENT_COLUMNS))
    assert_same(loaded, expected, f"events after the second run, history {history}")


def test_full_refresh_starts_over_with_the_history_window(duckdb_warehouse: Warehouse, emulator) -> None:
    duckdb_warehouse.sync(objects=("events",), history="all")
    result = duckdb_warehouse.sync(objects=("events",), history="30d", full_refresh=True)
    assert result.objects["events"].kind == "historical"
    expected = truth_events(emulator.emulator.truth.events(
        since=result.run_start - timedelta(days=30), until=result.run_start))
    loaded = warehouse_events(duckdb_warehouse)
    assert_same(loaded, expected, "events after --full-refresh --history 30d")


def test_duckdb_load_jobs_run_one_at_a_time_unless_configured(
    duckdb_warehouse: Warehouse, emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # under the 128 MB DuckDB cap, parallel INSERTs from parquet ran out of memory (and were retried)
    from dlt.destinations.impl.duckdb.duck import DuckDbCopyJob

    running, most, lock = [0], [0], threading.Lock()
    copy = DuckDbCopyJob.run

    def counted(job: DuckDbCopyJob) -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            copy(job)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(DuckDbCopyJob, "run", counted)
    try:
        result = duckdb_warehouse.sync(objects=("profiles", "events"))
        assert not result.failed and most[0] == 1, f"{most[0]} DuckDB load jobs ran at once"
        assert dlt.config.get(LOAD_WORKERS_KEY) == 1
        monkeypatch.setenv("LOAD__WORKERS", "3")  # the user's own setting wins
        duckdb_warehouse.sync(objects=("profiles", "events"))
        assert dlt.config.get(LOAD_WORKERS_KEY, int) == 3
    finally:
        dlt.config[LOAD_WORKERS_KEY] = None  # this process's later pipelines resolve it afresh
