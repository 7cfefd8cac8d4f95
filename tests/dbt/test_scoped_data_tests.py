"""Hourly builds test the rows they changed (KLAVIYO_DBT_TESTS_SINCE, macros/changed_rows.sql), still
against the whole table where a key must be unique; every row is tested without it; and the loader
plans the scope from the last green build (loader.transform.test_scope). Real dbt on DuckDB."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from loader.transform import DbtBuildSummary
from loader.transform.test_scope import plan_tests, record_tests
from tests.dbt.raw_seed import KlaviyoRawData
from tests.dbt.warehouses import Warehouse, duckdb_warehouse

pytestmark = [pytest.mark.dbt]
EVENTS = "klaviyo_event source:klaviyo_raw.events"  # the mart, its tests and the raw table's tests
DAY = timedelta(hours=24)
UNIQUE = "test klaviyo_warehouse_unique_combination_klaviyo_event__loaded_at__account_id__event_id"


def _since(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _duplicate(warehouse: Warehouse, event_id: str, loaded_at: str | None = None) -> None:
    """One more klaviyo_event row with the key of `event_id` (and its own or the given `_loaded_at`)."""
    with warehouse.connect() as con:
        con.execute(f"""insert into klaviyo.klaviyo_event
                        select * replace ({f"timestamp '{loaded_at}'" if loaded_at else '_loaded_at'}
                                          as _loaded_at)
                        from klaviyo.klaviyo_event where event_id = '{event_id}'""")


def _failed(summary: DbtBuildSummary) -> list[str]:
    return [line.split(":")[0] for line in summary.failures]


def test_scoped_tests_read_changed_rows_and_check_them_against_every_row(tmp_path: Path) -> None:
    data = KlaviyoRawData.initial(n_metrics=3, n_profiles=4, n_events=12)
    warehouse = duckdb_warehouse(tmp_path)
    warehouse.load(data.everything())
    first = warehouse.build()
    assert first.success, first.failures
    after_first = _since(datetime.now(timezone.utc) + timedelta(seconds=1))

    old = sorted(data.events)[0]
    _duplicate(warehouse, old)  # a duplicate among rows loaded before: outside the hourly scope
    scoped = warehouse.build(select=EVENTS, tests_since=after_first)
    assert scoped.success, scoped.failures
    assert scoped.tests_passed >= 8  # the mart's, its singular and the raw table's tests ran, scoped
    full = warehouse.build(select=EVENTS)
    assert _failed(full) == [UNIQUE]

    batch = data.grow(new_events=3, late_events=1, updated_profiles=0, new_profiles=0)
    warehouse.load(batch)
    hourly = warehouse.build(select=EVENTS, tests_since=after_first)
    assert hourly.success, hourly.failures  # the new load's rows are unique
    reread = batch["events"][-1]["id"]  # re-read by the new load: its row is a changed one now
    _duplicate(warehouse, reread, loaded_at="2000-01-01 00:00:00")  # ... duplicated by an "old" row
    caught = warehouse.build(select=EVENTS, tests_since=after_first)
    assert _failed(caught) == [UNIQUE], caught.failures


def test_the_scope_starts_at_the_last_green_build_and_is_full_daily(tmp_path: Path) -> None:
    start = datetime(2026, 12, 1, 10, 0, 5, tzinfo=timezone.utc)
    first = plan_tests(tmp_path, "duckdb:klaviyo_raw", full=False, every=DAY, now=start)
    assert first.since is None and first.env_value == ""  # nothing tested yet: every row
    record_tests(tmp_path, first, success=True)

    hour = plan_tests(tmp_path, "duckdb:klaviyo_raw", full=False, every=DAY, now=start + timedelta(hours=1))
    assert hour.env_value == "2026-12-01 10:00:05"
    assert plan_tests(tmp_path, "postgres:klaviyo_raw", full=False, every=DAY, now=start).since is None
    record_tests(tmp_path, hour, success=False)  # a failed build: the next one tests its rows again
    later = plan_tests(tmp_path, "duckdb:klaviyo_raw", full=False, every=DAY, now=start + timedelta(hours=2))
    assert later.env_value == "2026-12-01 10:00:05"
    record_tests(tmp_path, later, success=True)
    assert plan_tests(tmp_path, "duckdb:klaviyo_raw", full=False, every=DAY,
                      now=start + timedelta(hours=3)).env_value == "2026-12-01 12:00:05"

    assert plan_tests(tmp_path, "duckdb:klaviyo_raw", full=True, every=DAY, now=start).since is None
    daily = plan_tests(tmp_path, "duckdb:klaviyo_raw", full=False, every=DAY, now=start + DAY)
    assert daily.since is None and "last full test run 2026-12-01 10:00:05" in daily.describe()
    (tmp_path / "data_tests_state.json").write_text("{not json")
    assert plan_tests(tmp_path, "duckdb:klaviyo_raw", full=False, every=DAY, now=start).since is None
