"""`klaviyo-sync run` loads, then builds the dbt package with the same credentials (`--no-dbt` skips);
the scheduler builds after each sync that loaded data."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
from click.testing import CliRunner

from loader.cli import main
from loader.emulator import FaultConfig
from loader.ops.scheduler import Scheduler
from loader.sync_settings import SyncSettings
from tests.fixtures.warehouse import Warehouse


def _mart_ids(path: Path, table: str, key: str) -> set[str]:
    with duckdb.connect(str(path)) as conn:
        return {row[0] for row in conn.execute(f"SELECT {key} FROM klaviyo.{table}").fetchall()}


def _raw_ids(path: Path, table: str) -> set[str]:
    with duckdb.connect(str(path)) as conn:
        return {row[0] for row in conn.execute(f"SELECT id FROM klaviyo_raw.{table}").fetchall()}


def test_run_builds_the_marts_and_no_dbt_skips(
    duckdb_warehouse: Warehouse, emulator: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt"))
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    db = tmp_path / "warehouse.duckdb"
    dbt_dir = tmp_path / "dbt-work"

    first = CliRunner().invoke(main, ["run", "--history", "all", "--destination", "duckdb",
                                      "--dbt-dir", str(dbt_dir)])
    assert first.exit_code == 0, first.output
    assert "dbt build succeeded" in first.output
    assert _mart_ids(db, "klaviyo_event", "event_id") == _raw_ids(db, "events")
    assert _mart_ids(db, "klaviyo_profile", "profile_id") == _raw_ids(db, "profiles")
    assert _mart_ids(db, "klaviyo_metric", "metric_id") == _raw_ids(db, "metrics")
    assert (dbt_dir / "logs" / "dbt.log").is_file() and (dbt_dir / "target").is_dir()
    assert sorted(p.name for p in workdir.iterdir()) == []  # dbt wrote nothing into the cwd

    emulator.emulator.grow(new_events=30, updated_profiles=5, new_profiles=3)
    second = CliRunner().invoke(main, ["run", "--destination", "duckdb", "--no-dbt"])
    assert second.exit_code == 0, second.output
    assert "dbt build" not in second.output
    marts, raw = _mart_ids(db, "klaviyo_event", "event_id"), _raw_ids(db, "events")
    assert marts < raw  # loaded, not yet built

    third = CliRunner().invoke(main, ["run", "--destination", "duckdb", "--dbt-dir", str(dbt_dir)])
    assert third.exit_code == 0, third.output
    assert _mart_ids(db, "klaviyo_event", "event_id") == _raw_ids(db, "events")


def test_scheduler_builds_after_a_sync_that_loaded(
    duckdb_warehouse: Warehouse, emulator: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = SyncSettings.resolve(destination="duckdb", history="all",
                                    pipelines_dir=duckdb_warehouse.pipelines_dir)
    builds: list[int] = []
    scheduler = Scheduler(settings, timedelta(seconds=1), echo=lambda line: None,
                          after_load=lambda: builds.append(1))
    assert scheduler.run_forever(threading.Event(), max_runs=1) == 1
    assert builds == [1]

    emulator.emulator.set_faults(FaultConfig(malformed_pages=tuple(range(1, 200))))
    monkeypatch.setenv("KLAVIYO_SYNC__RETRY__ATTEMPTS", "1")
    failing = Scheduler(settings, timedelta(seconds=1), echo=lambda line: None,
                        after_load=lambda: builds.append(2))
    assert failing.run_forever(threading.Event(), max_runs=1) == 1
    assert builds == [1]  # a sync that failed builds nothing
