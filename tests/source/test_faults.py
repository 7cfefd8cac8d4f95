"""Storms of 429/503/dropped/truncated responses, auth and scope errors, malformed pages."""

from __future__ import annotations

import pytest

from loader.emulator import FaultConfig
from loader.errors import SyncError
from loader.sync_observer import Unit
from tests.fixtures.expected_raw import (
    assert_same,
    truth_events,
    truth_profiles,
    warehouse_events,
    warehouse_profiles,
)
from tests.fixtures.warehouse import Warehouse

pytestmark = pytest.mark.integration
STORM = FaultConfig(seed=11, p429=0.1, p503=0.1, p_drop=0.05, p_truncate=0.05)


def test_storm_of_errors_still_loads_exact_data(warehouse: Warehouse, emulator) -> None:
    emu = emulator.emulator
    emu.set_faults(STORM)
    result = warehouse.sync()
    faults = emu.stats.as_dict()["faults"]
    assert {"429", "503", "drop", "truncate"} <= set(faults), faults
    events = warehouse_events(warehouse)
    assert_same(events, truth_events(emu.truth.events(until=result.run_start)), "events")
    profiles = warehouse_profiles(warehouse)
    assert_same(profiles, truth_profiles(emu.truth.profiles()), "profiles")


def test_bad_api_key_is_a_clear_error_and_writes_nothing(
    duckdb_warehouse: Warehouse, emulator, monkeypatch
) -> None:
    wrong = "pk_wrong_key_1234567890abcdef"
    monkeypatch.setenv("KLAVIYO_API_KEY", wrong)
    with pytest.raises(SyncError) as info:
        duckdb_warehouse.sync()
    message = str(info.value)
    assert "401" in message and "KLAVIYO_API_KEY" in message and "GET /api/" in message
    assert wrong not in message
    assert duckdb_warehouse.tables() == set()


def test_missing_scope_names_it_and_writes_nothing(duckdb_warehouse: Warehouse, make_emulator) -> None:
    make_emulator(scopes=("metrics:read", "profiles:read", "events:read"))
    with pytest.raises(SyncError) as info:
        duckdb_warehouse.sync()
    message = str(info.value)
    assert "403" in message and "accounts:read" in message and "GET /api/accounts" in message
    assert not {"events", "profiles", "metrics", "accounts"} & duckdb_warehouse.tables()


def test_a_missing_object_scope_fails_that_object_alone(duckdb_warehouse: Warehouse, make_emulator) -> None:
    running = make_emulator(scopes=("accounts:read", "metrics:read", "profiles:read", "flows:read"))
    result = duckdb_warehouse.sync()
    events, campaigns = Unit("default", "events"), Unit("default", "campaigns")
    assert set(result.failed) == {events, campaigns}
    message = str(result.failed[events])
    assert "403" in message and "events:read" in message and "GET /api/events" in message
    message = str(result.failed[campaigns])
    assert "403" in message and "campaigns:read" in message and "GET /api/campaigns" in message
    assert "flows" in duckdb_warehouse.tables() and "campaigns" not in duckdb_warehouse.tables()
    assert "events" not in duckdb_warehouse.tables()
    profiles = warehouse_profiles(duckdb_warehouse)
    assert_same(profiles, truth_profiles(running.emulator.truth.profiles()), "profiles")


def _cursors(warehouse: Warehouse, account_id: str) -> dict[str, object]:
    resources = warehouse.pipeline().state["sources"]["klaviyo"]["resources"]
    names = ("metrics", "profiles", "events", "campaigns", "flows")
    return {name: resources[name]["accounts"][account_id] for name in names}


def test_malformed_page_fails_its_object_without_moving_its_cursor(warehouse: Warehouse, emulator) -> None:
    emu = emulator.emulator
    warehouse.sync()
    before = _cursors(warehouse, emulator.account_id)
    emu.grow(new_events=40, updated_profiles=5)
    emu.set_faults(FaultConfig(malformed_pages=(4,)))
    second = warehouse.sync()
    [(failed, error)] = second.failed.items()  # the one object whose page was malformed
    assert "malformed page" in str(error) and "GET /api/" in str(error)
    after = _cursors(warehouse, emulator.account_id)
    assert after[failed.object] == before[failed.object], "a failed object keeps its cursor"
    assert all(after[name] != before[name] for name in after if name != failed.object)
    # the next run picks up everything, exactly once (rows the failed object read are merged again)
    emu.set_faults(FaultConfig())
    third = warehouse.sync()
    assert not third.failed
    events = warehouse_events(warehouse)
    assert_same(events, truth_events(emu.truth.events(until=third.run_start)), "events after the re-run")
    profiles = warehouse_profiles(warehouse)
    assert_same(profiles, truth_profiles(emu.truth.profiles()), "profiles after the re-run")
