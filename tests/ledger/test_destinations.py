"""The ledger on other destinations: PostgreSQL (merge) and files (dlt's filesystem destination)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from loader.ledger import statuses
from loader.ledger.records import ErrorRecord, ObjectControl, RunRecord, utc_now
from loader.ledger.store import LedgerStore, replace
from loader.sync_observer import Unit


def _round_trip(store: LedgerStore) -> None:
    started = utc_now()
    running = RunRecord(
        "r1", "events", statuses.PERIODIC, statuses.IN_PROGRESS, 1, started, progress_pct=10.0
    )
    store.write([running, ObjectControl("profiles", paused=True)])
    now = utc_now()
    done = replace(running, status=statuses.COMPLETED, progress_pct=100.0, ended_at=now, updated_at=now)
    store.write([
        done,
        ErrorRecord("r1", "events", 1, "summary", "503", "Service Unavailable"),
        ObjectControl("profiles", paused=False, disabled=True),
    ])
    fresh = LedgerStore(store.main)  # another process / machine: nothing local, all from the destination
    (run,) = fresh.runs()
    assert (run.status, run.progress_pct, run.started_at) == (statuses.COMPLETED, 100.0, started)
    assert [(e.code, e.external_message) for e in fresh.errors()] == [("503", "Service Unavailable")]
    control = fresh.controls()[Unit("default", "profiles")]
    assert (control.paused, control.disabled) == (False, True)


@pytest.mark.postgres
def test_ledger_on_postgres(postgres_db: Any, tmp_path: Path) -> None:
    _round_trip(LedgerStore.open("postgres", str(tmp_path / "pipelines")))


def test_ledger_on_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESTINATION__FILESYSTEM__BUCKET_URL", (tmp_path / "bucket").as_uri())
    _round_trip(LedgerStore.open("filesystem", str(tmp_path / "pipelines")))
