"""Selective sync (metrics by name or id) and excluded integrations, compared with ground truth."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner

from loader.cli import main
from loader.errors import SyncError
from tests.fixtures.expected_raw import (
    PROFILE_COLUMNS,
    assert_same,
    loaded_profiles,
    truth_events,
    truth_profiles,
    warehouse_events,
)
from tests.fixtures.warehouse import Warehouse

pytestmark = pytest.mark.integration


def metric_ids(emulator, *, names=(), integrations=()) -> list[str]:
    return [
        m["id"] for m in emulator.emulator.truth.metrics()
        if m["attributes"]["name"] in names or m["attributes"]["integration"]["name"] in integrations
    ]


def test_selective_sync_by_name_and_id(duckdb_warehouse: Warehouse, emulator) -> None:
    truth = emulator.emulator.truth
    opened = metric_ids(emulator, names=("Opened Email",))[0]
    result = duckdb_warehouse.sync(metrics=("placed order", opened))
    wanted = metric_ids(emulator, names=("Placed Order", "Opened Email"))
    expected = truth_events(truth.events(until=result.run_start, metric_ids=wanted))
    assert expected
    loaded = warehouse_events(duckdb_warehouse)
    assert_same(loaded, expected, "selected events")
    # adding a metric later: its first sync reads its whole history, the others continue
    second = duckdb_warehouse.sync(metrics=("Placed Order", opened, "Clicked Email"))
    wanted = metric_ids(emulator, names=("Placed Order", "Opened Email", "Clicked Email"))
    expected = truth_events(truth.events(until=second.run_start, metric_ids=wanted))
    loaded = warehouse_events(duckdb_warehouse)
    assert_same(loaded, expected, "selected events after adding a metric")


def test_unknown_metric_is_a_clear_error_and_writes_nothing(duckdb_warehouse: Warehouse, emulator) -> None:
    with pytest.raises(SyncError) as info:
        duckdb_warehouse.sync(metrics=("Placed Ordr",))
    message = str(info.value)
    assert "unknown metric 'Placed Ordr'" in message and "Placed Order" in message and "--metrics" in message
    assert not {"events", "profiles", "metrics"} & duckdb_warehouse.tables()


def test_excluded_integrations_drop_only_their_events(duckdb_warehouse: Warehouse, emulator) -> None:
    truth = emulator.emulator.truth
    result = duckdb_warehouse.sync(exclude_integrations=("shopify", "KLAVIYO"))
    kept = metric_ids(emulator, integrations=("API", "WooCommerce"))
    expected = truth_events(truth.events(until=result.run_start, metric_ids=kept))
    assert 0 < len(expected) < len(truth.events(until=result.run_start))
    loaded = warehouse_events(duckdb_warehouse)
    assert_same(loaded, expected, "events without Shopify and Klaviyo")
    profiles = loaded_profiles(duckdb_warehouse.rows("profiles", PROFILE_COLUMNS))
    assert_same(profiles, truth_profiles(truth.profiles()), "profiles are never excluded")


def test_cli_run_with_flags(duckdb_warehouse: Warehouse, emulator, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        main, ["run", "--objects", "events", "--exclude-integrations", "Shopify,Klaviyo,API",
               "--history", "all", "--destination", "duckdb", "--no-dbt"])
    assert result.exit_code == 0, result.output
    assert "events:" in result.output and "complete until" in result.output
    rows = duckdb_warehouse.rows("events", "metric_id")
    assert rows and {r[0] for r in rows} == set(metric_ids(emulator, integrations=("WooCommerce",)))
    bad = CliRunner().invoke(main, ["run", "--lookback", "soon"])
    assert bad.exit_code == 1 and "Error: invalid duration 'soon'" in bad.output


def test_settings_from_dlt_config_toml(duckdb_warehouse: Warehouse, emulator, tmp_path) -> None:
    """`[sources.klaviyo]` in .dlt/config.toml sets what the flags would (a fresh process reads it)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text(
        '[sources.klaviyo]\nobjects = ["events"]\nhistory = "30d"\nexclude_integrations = ["shopify"]\n')
    env = {**os.environ, "DLT_DATA_DIR": str(tmp_path / "dlt")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    exe = str(Path(sys.executable).with_name("klaviyo-sync"))
    done = subprocess.run([exe, "run", "--no-dbt"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    until = datetime.fromisoformat(done.stdout.split("complete until ")[1].split()[0])
    kept = [m["id"] for m in emulator.emulator.truth.metrics()
            if m["attributes"]["integration"]["name"] != "Shopify"]
    expected = truth_events(emulator.emulator.truth.events(
        since=until - timedelta(days=30), until=until, metric_ids=kept))
    loaded = warehouse_events(duckdb_warehouse)
    assert_same(loaded, expected, "events per .dlt/config.toml")
    assert "profiles" not in duckdb_warehouse.tables()


def test_predictive_analytics_is_opt_in(duckdb_warehouse: Warehouse, emulator) -> None:
    duckdb_warehouse.sync(objects=("profiles",))
    attributes = [r[0] for r in duckdb_warehouse.rows("profiles", "attributes")]
    assert attributes and all("predictive_analytics" not in json.loads(a) for a in attributes)
    assert all("subscriptions" in json.loads(a) for a in attributes)
    duckdb_warehouse.sync(objects=("profiles",), predictive_analytics=True, full_refresh=True)
    truth = emulator.emulator.truth.profiles(additional_fields=("subscriptions", "predictive_analytics"))
    loaded = loaded_profiles(duckdb_warehouse.rows("profiles", PROFILE_COLUMNS))
    assert_same(loaded, truth_profiles(truth), "profiles with predictive analytics")
