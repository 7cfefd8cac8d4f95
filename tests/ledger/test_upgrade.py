"""A ledger written by the release before accounts (no `account` column) keeps working in place:
its rows read as account "default", its switches still apply, and the first write of this release
adds the new columns (nullable: dlt's ALTER TABLE ... ADD COLUMN on tables that hold rows)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import dlt
import pytest

from loader.ledger import schema, statuses
from loader.ledger.records import utc_now
from loader.ledger.store import LedgerStore
from loader.ops.controls import set_control
from loader.ops.runner import run_guarded
from loader.sync_observer import Unit
from tests.fixtures.fake_loader import FakeLoader, two_accounts

# the previous release's ledger (git show 9602c0a:loader/ledger/schema.py): columns and keys
OLD_COLUMNS = {
    schema.RUNS_TABLE: {
        "run_id": "text", "object": "text", "kind": "text", "status": "text", "attempt": "bigint",
        "started_at": "timestamp", "trigger": "text", "ended_at": "timestamp",
        "rows_extracted": "bigint", "rows_loaded": "bigint", "cursor_from": "timestamp",
        "cursor_to": "timestamp", "progress_pct": "double", "complete_until": "timestamp",
        "freshness_seconds": "double", "host": "text", "pid": "bigint", "updated_at": "timestamp",
    },
    schema.ERRORS_TABLE: {
        "run_id": "text", "object": "text", "attempt": "bigint", "summary": "text", "code": "text",
        "external_message": "text", "occurred_at": "timestamp",
    },
    schema.OBJECTS_TABLE: {"object": "text", "paused": "bool", "disabled": "bool", "updated_at": "timestamp"},
}
OLD_KEYS = {
    schema.RUNS_TABLE: ("run_id", "object"), schema.ERRORS_TABLE: (), schema.OBJECTS_TABLE: ("object",),
}
MERGE = {"disposition": "merge", "strategy": "delete-insert"}


def _old_rows() -> dict[str, list[dict[str, Any]]]:
    start = utc_now() - timedelta(hours=2)
    end = start + timedelta(minutes=1)
    runs = [
        {"run_id": "old-1", "object": obj, "kind": "historical", "status": statuses.COMPLETED, "attempt": 1,
         "started_at": start, "trigger": "manual", "ended_at": end, "rows_extracted": 5, "rows_loaded": 5,
         "cursor_from": None, "cursor_to": start, "progress_pct": 100.0, "complete_until": start,
         "freshness_seconds": 60.0, "host": "old-host", "pid": 1, "updated_at": end}
        for obj in ("metrics", "profiles", "events")
    ]
    errors = [{"run_id": "old-0", "object": "events", "attempt": 1, "summary": "an old error", "code": "503",
               "external_message": "Service Unavailable", "occurred_at": start}]
    controls = [{"object": "events", "paused": True, "disabled": False, "updated_at": end}]
    return {schema.RUNS_TABLE: runs, schema.ERRORS_TABLE: errors, schema.OBJECTS_TABLE: controls}


def _write_old_ledger(store: LedgerStore) -> None:
    def resource(table: str, rows: list[dict[str, Any]]) -> Any:
        keys = OLD_KEYS[table]
        columns = {name: {"data_type": kind, "nullable": name not in keys}
                   for name, kind in OLD_COLUMNS[table].items()}
        hints: dict[str, Any] = {"primary_key": list(keys), "write_disposition": MERGE} if keys else {
            "write_disposition": "append"}
        return dlt.resource(rows, name=table, columns=columns, max_table_nesting=0, **hints)

    @dlt.source(name=schema.SCHEMA_NAME, max_table_nesting=0)
    def old_ledger() -> list[Any]:
        return [resource(table, rows) for table, rows in _old_rows().items()]

    store._call(store.pipeline.run, old_ledger())


def _upgrade_in_place(root: Path, destination: str, fake_loader: FakeLoader) -> None:
    pipelines = str(root / "pipelines")
    _write_old_ledger(LedgerStore.open(destination, pipelines))

    store = LedgerStore.open(destination, pipelines)  # this release, another process: nothing local
    assert {(r.account, r.object, r.status) for r in store.runs()} == {
        ("default", o, statuses.COMPLETED) for o in ("metrics", "profiles", "events")}
    assert [(e.account, e.code) for e in store.errors()] == [("default", "503")]
    assert store.controls()[Unit("default", "events")].paused  # the old switch, read before any new write

    # a run of this release: the old switch still applies; its write adds the new columns
    settings = two_accounts(root, destination, names=("default",))
    outcome = run_guarded(settings)
    assert fake_loader.calls == [{"default": ("profiles",)}]
    assert outcome.skipped == {Unit("default", "events"): statuses.PAUSED}

    fresh = LedgerStore.open(destination, pipelines)
    runs = fresh.runs()
    columns = fresh.pipeline.default_schema.get_table_columns(schema.RUNS_TABLE)
    assert {"account", "account_id"} <= set(columns)
    assert {r.account for r in runs} == {"default"} and len(runs) == 3 + 2
    assert {r.object for r in runs if r.run_id == "old-1"} == {"metrics", "profiles", "events"}

    set_control(fresh, "resume", ["events"])  # the new-shape row wins over the old one
    assert not LedgerStore.open(destination, pipelines).controls()[Unit("default", "events")].paused
    run_guarded(settings)
    assert fake_loader.calls[-1] == {"default": ("profiles", "events")}


def test_upgrade_in_place_on_duckdb(duckdb_root: Path, fake_loader: FakeLoader) -> None:
    _upgrade_in_place(duckdb_root, "duckdb", fake_loader)


@pytest.mark.postgres
def test_upgrade_in_place_on_postgres(postgres_db: Any, tmp_path: Path, fake_loader: FakeLoader) -> None:
    _upgrade_in_place(tmp_path, "postgres", fake_loader)
