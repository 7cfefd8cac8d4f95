"""A warehouse written by the previous release (bare ids, one cursor set, marts without account_id)
upgrades in place on the next run: account_id filled, no row lost or duplicated, cursors kept (the
next run is periodic), and the marts rebuilt by the next dbt build."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from loader.source.options import SourceOptions
from loader.sync_observer import Unit
from loader.sync_settings import SyncSettings
from loader.transform.after_load import build_after_load
from tests.fixtures.expected_raw import (
    EVENT_COLUMNS,
    PROFILE_COLUMNS,
    assert_same,
    by_account,
    loaded_events,
    loaded_profiles,
    truth_events,
    truth_profiles,
)
from tests.fixtures.previous_release import run_previous_sync
from tests.fixtures.warehouse import Warehouse

# a periodic events run re-reads max(lookback, attribution_window) before its cursor (late credit)
REREAD = SourceOptions().attribution_lookback

pytestmark = [pytest.mark.integration, pytest.mark.dbt]
MARTS = {"klaviyo_event": ("event_id", "events"), "klaviyo_profile": ("profile_id", "profiles"),
         "klaviyo_metric": ("metric_id", "metrics")}


def mart_keys(warehouse: Warehouse, mart: str, key: str) -> list[tuple[Any, ...]]:
    with warehouse.pipeline().sql_client() as client:
        return [tuple(r) for r in client.execute_sql(f"SELECT account_id, {key} FROM klaviyo.{mart}")]


def test_a_warehouse_of_the_previous_release_upgrades_in_place(
    warehouse: Warehouse, emulator: Any, previous_release: Path, tmp_path: Path, no_dlt_config: Any
) -> None:
    dbt_dir = tmp_path / "dbt"
    old = run_previous_sync(previous_release, warehouse.pipelines_dir, warehouse.name, dbt_dir)
    old_start = datetime.fromisoformat(old["run_start"])
    old_events = {r[0] for r in warehouse.rows("events", "id")}
    assert old_events and old["rows"]["events"] == len(old_events)
    assert "account_id" not in {c for c in _columns(warehouse, "events")}, "not the old shape"

    emu = emulator.emulator
    emu.grow(new_events=50, late_events=10, late_by=timedelta(minutes=20), updated_profiles=8, new_profiles=3)
    result = warehouse.sync()
    assert result.upgraded_account == "default"
    assert {unit: done.kind for unit, done in result.objects.items()} == {
        **{Unit("default", obj): "periodic" for obj in ("metrics", "profiles", "events")},
        **{Unit("default", obj): "historical" for obj in ("campaigns", "flows")}}  # new since that release
    assert result.objects["events"].cursor_from == old_start - REREAD  # the cursor was kept
    schema = warehouse.pipeline().schemas["klaviyo"]
    for table in ("metrics", "profiles", "events"):
        keys = {name for name, column in schema.tables[table]["columns"].items() if column.get("primary_key")}
        assert keys == {"account_id", "id"}, f"{table} merges on {keys}"
    events = by_account(warehouse.rows("events", f"account_id, {EVENT_COLUMNS}"), "events")
    assert set(events) == {emulator.account_id}
    loaded = loaded_events(events[emulator.account_id])
    assert old_events <= set(loaded)
    assert_same(loaded, truth_events(emu.truth.events(until=result.run_start)), "events after the upgrade")
    profiles = by_account(warehouse.rows("profiles", f"account_id, {PROFILE_COLUMNS}"), "profiles")
    expected = {k: v for k, v in truth_profiles(emu.truth.profiles()).items() if v[1] < result.run_start}
    assert_same(loaded_profiles(profiles[emulator.account_id]), expected, "profiles after the upgrade")

    settings = SyncSettings.resolve(pipelines_dir=warehouse.pipelines_dir, destination=warehouse.name)
    build_after_load(settings, work_dir=dbt_dir, echo=lambda line: None)
    for mart, (key, table) in MARTS.items():
        keys = mart_keys(warehouse, mart, key)
        assert len(keys) == len(set(keys)), f"{mart}: duplicate (account_id, {key})"
        raw = {(emulator.account_id, r[0]) for r in warehouse.rows(table, "id")}
        assert set(keys) == raw, f"{mart} differs from raw {table} after the upgrade"

    again = warehouse.sync()
    assert again.upgraded_account is None
    assert again.objects["events"].cursor_from == result.run_start - REREAD


def _columns(warehouse: Warehouse, table: str) -> list[str]:
    with warehouse.pipeline().sql_client() as client:
        rows = client.execute_sql(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s",
            client.dataset_name, table)
    return [r[0] for r in rows]
