"""The import history in the ledger (`klaviyo_sync_imports`): the JSON Lines file migrated once with
nothing lost (a second migration adds nothing), on DuckDB and PostgreSQL; `imports` and `status` read it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from loader.cli import main
from loader.ledger.records import IMPORT_COMPLETED, IMPORT_INCOMPLETE
from loader.ledger.store import LedgerStore
from loader.upload.history import ImportHistory, ImportRecord
from loader.upload.history_migration import migrate_history
from loader.upload.ledger_history import LedgerHistory

HOST = "sftp.example.test:22"


def _old_history(path: Path) -> Path:
    """A history as the previous release wrote it: a line per status change, the last one wins."""
    history = ImportHistory(path)
    a = ImportRecord("a1", "/data/a-0001.csv", "profiles/a-0001.csv", HOST, "incomplete", 1200, 40,
                     "2026-11-02T10:00:00+00:00", "ann@box as kl_user")
    history.record(a)
    done = {"status": "completed", "finished_at": "2026-11-02T10:00:09+00:00", "sha256": "ab" * 32}
    history.record(ImportRecord(**{**vars(a), **done}))
    b = ImportRecord("b2", "/data/e-0001.csv", "events/e-0001.csv", HOST, "incomplete", 5000, None,
                     "2026-11-03T08:30:00+00:00", "bob@box as kl_user")
    history.record(b)
    failed = {"error": "connection reset", "finished_at": "2026-11-03T08:31:00+00:00"}
    history.record(ImportRecord(**{**vars(b), **failed}))
    history.record(ImportRecord("c3", "/data/a-0002.csv", "profiles/a-0002.csv", HOST, "completed", 900, 30,
                                "2026-11-04T12:00:00+00:00", "ann@box as kl_user",
                                "2026-11-04T12:00:05+00:00", "cd" * 32, resumed_from=512))
    return path


def _table(store: LedgerStore) -> list[tuple[Any, ...]]:
    return [(r.import_id, r.status, r.row_count, r.rows_sent_pct, r.byte_count, r.imported_at.isoformat(),
             r.imported_by, r.file, r.remote_path, r.folder, r.error, r.resumed_from, r.account)
            for r in store.imports()]


EXPECTED = [
    ("a1", IMPORT_COMPLETED, 40, 100.0, 1200, "2026-11-02T10:00:00+00:00", "ann@box as kl_user",
     "/data/a-0001.csv", "profiles/a-0001.csv", "profiles", None, 0, "default"),
    ("b2", IMPORT_INCOMPLETE, None, None, 5000, "2026-11-03T08:30:00+00:00", "bob@box as kl_user",
     "/data/e-0001.csv", "events/e-0001.csv", "events", "connection reset", 0, "default"),
    ("c3", IMPORT_COMPLETED, 30, 100.0, 900, "2026-11-04T12:00:00+00:00", "ann@box as kl_user",
     "/data/a-0002.csv", "profiles/a-0002.csv", "profiles", None, 512, "default"),
]


def _migrate_twice(store: LedgerStore, path: Path, first: int = 3) -> None:
    assert migrate_history(path, store) == first
    assert _table(store) == EXPECTED
    assert migrate_history(path, store) == 0  # idempotent: nothing added, nothing changed
    assert migrate_history(path, store, account="acme") == 0  # nor by another account's upload
    fresh = LedgerStore(store.main)  # another process: everything from the destination
    assert _table(fresh) == EXPECTED
    assert [r.id for r in ImportHistory(path).records()] == ["a1", "b2", "c3"]  # the file is kept


def test_migration_on_duckdb_and_the_commands_that_read_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("KLAVIYO_SYNC__PIPELINES_DIR", str(tmp_path / "pipelines"))
    path = _old_history(tmp_path / "klaviyo_sync_imports.jsonl")  # the default place: `imports` migrates it
    runner = CliRunner()
    listed = runner.invoke(main, ["imports", "--destination", "duckdb"])
    assert listed.exit_code == 0, listed.output
    assert "Migrated 3 import(s)" in listed.stderr
    assert listed.stdout.count("Completed") == 2 and listed.stdout.count("Incomplete") == 1
    store = LedgerStore.open("duckdb", str(tmp_path / "pipelines"))
    _migrate_twice(store, path, first=0)  # migrated by the command: later migrations add nothing

    # the uploader's view: a completed file is not sent again; a record it writes lands in the ledger
    history = LedgerHistory(store)
    try:
        assert {(r.id, r.status, r.sent_bytes) for r in history.records()} == {
            ("a1", "completed", 1200), ("b2", "incomplete", None), ("c3", "completed", 900)}
        history.record(ImportRecord("d4", "/data/a-0003.csv", "profiles/a-0003.csv", HOST, "incomplete", 800,
                                    10, "2026-11-05T09:00:00+00:00", "ann@box as kl_user", error="refused",
                                    sent_bytes=200))
        history.flush()
    finally:
        history.close()
    assert _table(store)[-1][:4] == ("d4", IMPORT_INCOMPLETE, 10, 25.0)

    status = runner.invoke(main, ["status", "--json", "--destination", "duckdb"])
    assert status.exit_code == 0, status.output
    shown = json.loads(status.stdout)["imports"]
    assert [(d["import_id"], d["status"], d["rows_sent_pct"]) for d in shown] == [
        ("d4", "Incomplete", 25.0), ("c3", "Completed", 100.0), ("b2", "Incomplete", None),
        ("a1", "Completed", 100.0)]  # newest first
    text = runner.invoke(main, ["status", "--destination", "duckdb"], env={"COLUMNS": "250"})
    assert "Imports (latest 4" in text.stdout and "25%" in text.stdout and "Migrated" not in text.output


@pytest.mark.postgres
def test_migration_on_postgres(postgres_db: Any, tmp_path: Path) -> None:
    store = LedgerStore.open("postgres", str(tmp_path / "pipelines"))
    _migrate_twice(store, _old_history(tmp_path / "h.jsonl"))
