"""Several Klaviyo accounts into one warehouse: exact rows per account although their ids collide,
cursors per account, one failing account failing alone, and `--accounts` subsets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from loader.errors import SyncError
from loader.source.options import SourceOptions
from loader.sync_observer import NullObserver, Unit
from tests.fixtures.expected_raw import (
    EVENT_COLUMNS,
    METRIC_COLUMNS,
    PROFILE_COLUMNS,
    assert_same,
    by_account,
    loaded_events,
    loaded_metrics,
    loaded_profiles,
    truth_events,
    truth_metrics,
    truth_profiles,
)
from tests.fixtures.warehouse import Warehouse

# a periodic events run re-reads max(lookback, attribution_window) before its cursor (late credit)
REREAD = SourceOptions().attribution_lookback

pytestmark = pytest.mark.integration


def loaded(warehouse: Warehouse) -> dict[str, dict[str, dict[str, Any]]]:
    """{table: {account_id: {id: values}}} of the raw tables."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for table, columns, shape in (("events", EVENT_COLUMNS, loaded_events),
                                  ("profiles", PROFILE_COLUMNS, loaded_profiles),
                                  ("metrics", METRIC_COLUMNS, loaded_metrics)):
        rows = warehouse.rows(table, f"account_id, {columns}")
        out[table] = {account: shape(own) for account, own in by_account(rows, table).items()}
    return out


def check_account(tables: dict[str, dict[str, dict[str, Any]]], running: Any, until: Any) -> None:
    truth, account_id = running.emulator.truth, running.account_id
    assert_same(tables["events"].get(account_id, {}), truth_events(truth.events(until=until)),
                f"events of {account_id}")
    profiles = {k: v for k, v in truth_profiles(truth.profiles()).items() if v[1] < until}
    assert_same(tables["profiles"].get(account_id, {}), profiles, f"profiles of {account_id}")
    metrics = truth_metrics(truth.metrics())
    assert_same(tables["metrics"].get(account_id, {}), metrics, f"metrics of {account_id}")


def test_two_accounts_with_colliding_ids_load_exactly(
    warehouse: Warehouse, two_accounts, no_dlt_config
) -> None:
    alpha, beta = two_accounts.alpha, two_accounts.beta
    first = warehouse.sync()
    assert {unit: done.kind for unit, done in first.objects.items()} == {
        Unit(name, obj): "historical"
        for name in ("alpha", "beta") for obj in ("metrics", "profiles", "events", "campaigns", "flows")}
    assert first.account_ids == {"alpha": alpha.account_id, "beta": beta.account_id}
    tables = loaded(warehouse)
    shared = set(tables["events"][alpha.account_id]) & set(tables["events"][beta.account_id])
    assert shared, "the emulator's accounts share event ids on purpose"
    for running in (alpha, beta):
        check_account(tables, running, first.run_start)
    accounts = warehouse.rows("accounts", "account_id, id, attributes")
    assert sorted(r[0] for r in accounts) == sorted([alpha.account_id, beta.account_id])
    assert all(r[0] == r[1] for r in accounts)

    alpha.emulator.grow(new_events=40, late_events=10, late_by=timedelta(minutes=20), updated_profiles=6)
    beta.emulator.grow(new_events=25, new_profiles=4)
    second = warehouse.sync()
    assert {done.kind for done in second.objects.values()} == {"periodic"}
    assert second.objects[Unit("beta", "events")].cursor_from == first.run_start - REREAD
    tables = loaded(warehouse)
    for running in (alpha, beta):
        check_account(tables, running, second.run_start)


def test_per_account_settings_and_subsets(duckdb_warehouse: Warehouse, two_accounts, no_dlt_config,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    alpha, beta = two_accounts.alpha, two_accounts.beta
    monkeypatch.setenv("SOURCES__KLAVIYO__ACCOUNTS__BETA__OBJECTS", "events")
    monkeypatch.setenv("SOURCES__KLAVIYO__ACCOUNTS__BETA__HISTORY", "30d")
    only_alpha = duckdb_warehouse.sync(accounts=("alpha",))
    assert {unit.account for unit in only_alpha.objects} == {"alpha"}
    assert set(loaded(duckdb_warehouse)["events"]) == {alpha.account_id}
    result = duckdb_warehouse.sync()
    assert Unit("beta", "profiles") not in result.objects
    assert result.objects[Unit("beta", "events")].kind == "historical"
    assert result.objects[Unit("alpha", "events")].kind == "periodic"
    tables = loaded(duckdb_warehouse)
    assert beta.account_id not in tables["profiles"]
    since = result.run_start - timedelta(days=30)
    expected = truth_events(beta.emulator.truth.events(since=since, until=result.run_start))
    assert_same(tables["events"][beta.account_id], expected, "beta's events (history 30d)")
    with pytest.raises(SyncError, match="unknown account gamma"):
        duckdb_warehouse.sync(accounts=("gamma",))


class RevokeOnStart(NullObserver):
    """Revokes one account's key once the run has opened its accounts: its reads fail mid-run."""

    def __init__(self, running: Any) -> None:
        self.running = running
        self.failed: list[Unit] = []

    def on_run_start(self, units: list[Unit], kind_by_unit: dict[Unit, str]) -> None:
        self.running.emulator.revoke_key()

    def on_object_failed(self, unit: Unit, exc: BaseException) -> None:
        self.failed.append(unit)


def test_a_revoked_key_fails_its_account_alone(warehouse: Warehouse, two_accounts, no_dlt_config) -> None:
    from loader.pipeline import run_sync
    from loader.sync_settings import SyncSettings

    alpha, beta = two_accounts.alpha, two_accounts.beta
    first = warehouse.sync()
    beta_before = loaded(warehouse)
    alpha.emulator.grow(new_events=30, updated_profiles=5)
    beta.emulator.grow(new_events=30, updated_profiles=5)
    observer = RevokeOnStart(beta)
    settings = SyncSettings.resolve(pipelines_dir=warehouse.pipelines_dir, destination=warehouse.name)
    second = run_sync(settings, pipeline=warehouse.pipeline(), observer=observer)
    beta_units = {Unit("beta", obj) for obj in ("metrics", "profiles", "events", "campaigns", "flows")}
    assert set(second.failed) == beta_units == set(observer.failed)
    error = second.failed[Unit("beta", "events")]
    assert isinstance(error, SyncError) and error.code == "401" and "account beta" in error.where
    assert beta.api_key not in str(error)
    assert {unit.account for unit in second.objects} == {"alpha"}
    tables = loaded(warehouse)
    check_account(tables, alpha, second.run_start)
    for table in ("events", "profiles", "metrics"):  # beta keeps what it had: nothing lost
        assert_same(tables[table][beta.account_id], beta_before[table][beta.account_id], f"beta's {table}")

    beta.emulator.restore_key()
    third = warehouse.sync()
    assert not third.failed
    # beta's cursor did not move on the failed run: it continues from the first run
    assert third.objects[Unit("beta", "events")].cursor_from == first.run_start - REREAD
    tables = loaded(warehouse)
    for running in (alpha, beta):
        check_account(tables, running, third.run_start)


def test_every_account_failing_raises(duckdb_warehouse: Warehouse, two_accounts, no_dlt_config) -> None:
    two_accounts.alpha.emulator.revoke_key()
    two_accounts.beta.emulator.revoke_key()
    with pytest.raises(SyncError, match="401") as raised:
        duckdb_warehouse.sync()
    assert "account alpha" in raised.value.where
