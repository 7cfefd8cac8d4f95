"""Storms of 429/503/dropped/truncated responses, auth and scope errors, malformed pages."""

from __future__ import annotations

import pytest

from loader.emulator import FaultConfig
from loader.errors import SyncError
from tests.integration.conftest import Warehouse
from tests.integration.expected import (
    assert_same,
    truth_events,
    truth_profiles,
    warehouse_events,
    warehouse_profiles,
)

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
    make_emulator(scopes=("metrics:read", "profiles:read"))
    with pytest.raises(SyncError) as info:
        duckdb_warehouse.sync()
    message = str(info.value)
    assert "403" in message and "events:read" in message and "GET /api/events" in message
    assert not {"events", "profiles", "metrics"} & duckdb_warehouse.tables()


def test_malformed_page_stops_the_run_without_moving_the_cursor(warehouse: Warehouse, emulator) -> None:
    emu = emulator.emulator
    first = warehouse.sync()
    before = {t: warehouse.rows(t, "*") for t in ("events", "profiles", "metrics")}
    emu.grow(new_events=40, updated_profiles=5)
    emu.set_faults(FaultConfig(malformed_pages=(4,)))
    with pytest.raises(SyncError) as info:
        warehouse.sync()
    assert "malformed page" in str(info.value) and "GET /api/" in str(info.value)
    # nothing of the failed run was loaded: the warehouse still holds exactly the first run
    assert {t: warehouse.rows(t, "*") for t in ("events", "profiles", "metrics")} == before
    state = warehouse.pipeline().state["sources"]["klaviyo"]["resources"]["events"]["cursors"]
    assert set(state.values()) == {first.run_start.isoformat().replace("+00:00", "Z")}
    # the next run picks up everything, exactly once
    emu.set_faults(FaultConfig())
    third = warehouse.sync()
    events = warehouse_events(warehouse)
    assert_same(events, truth_events(emu.truth.events(until=third.run_start)), "events after the re-run")
