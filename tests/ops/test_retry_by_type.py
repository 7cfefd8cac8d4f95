"""The type of an error decides its retries, under `run` and `schedule`: a misspelt metric (a
permanent SyncError without any code) is Failed at once; a warehouse that cannot take the load (a
table held by another session, so the load times out on its lock) is Errored, retried, then Failed."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
import pytest

from loader.ledger import statuses
from tests.ops.conftest import Ops, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

MISSPELT = {"SOURCES__KLAVIYO__METRICS": "Placed Ordr"}
DLT_LOAD_RETRIES = {"LOAD__RAISE_ON_MAX_RETRIES": "1"}  # dlt gives up on a job at once, our runner retries


def _attempts(ops: Ops, obj: str) -> dict[int, str]:
    return {run.attempt: run.status for run in ops.store().runs() if run.object == obj}


@contextmanager
def _table_held(postgres_db: Any, table: str) -> Iterator[None]:
    """Another session holds `table` exclusively (as a long migration or a VACUUM FULL would), and
    the database's new sessions give up waiting for a lock after 0.5 s: the load cannot commit."""
    _database_setting(postgres_db, "SET lock_timeout = '500ms'")
    connection = psycopg2.connect(postgres_db.dsn)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE klaviyo_raw.{table} IN ACCESS EXCLUSIVE MODE")
        yield
    finally:
        connection.rollback()
        connection.close()
        _database_setting(postgres_db, "RESET lock_timeout")


def _database_setting(postgres_db: Any, change: str) -> None:
    connection = psycopg2.connect(postgres_db.dsn)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{postgres_db.name}" {change}')
    finally:
        connection.close()


def test_a_misspelt_metric_fails_at_once_under_run(pg_ops: Ops) -> None:
    done = pg_ops.cli("run", "--no-dbt", "--metrics", "Placed Ordr")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Placed Ordr" in done.stdout + done.stderr
    assert "retry" not in (done.stdout + done.stderr).lower()
    # one attempt although KLAVIYO_SYNC__RETRY__ATTEMPTS=2: no Errored, no second attempt
    assert _attempts(pg_ops, "events") == {1: statuses.FAILED}
    assert {error.attempt for error in pg_ops.store().errors()} == {1}


def test_a_misspelt_metric_fails_at_once_under_schedule(pg_ops: Ops, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in MISSPELT.items():
        monkeypatch.setenv(key, value)
    process = pg_ops.popen("schedule", "--every", "1h", "--no-dbt")
    try:
        wait_for(lambda: _attempts(pg_ops, "events").get(1) == statuses.FAILED or process.poll() is not None,
                 "the scheduled run Failed", every=0.5)
        assert process.poll() is None  # the scheduler waits for its next slot
        assert _attempts(pg_ops, "events") == {1: statuses.FAILED}
        assert {row.name: row.status for row in pg_ops.view().historical}["events"] == statuses.FAILED
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def test_a_busy_warehouse_is_errored_retried_then_failed_under_run(
    pg_ops: Ops, postgres_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pg_ops.run()  # the raw tables exist; what follows is periodic
    pg_ops.emulator.emulator.grow(new_events=30)
    for key, value in DLT_LOAD_RETRIES.items():
        monkeypatch.setenv(key, value)
    with _table_held(postgres_db, "events"):
        done = pg_ops.cli("run", "--no-dbt")
    assert done.returncode == 1, done.stdout + done.stderr
    periodic = {r.attempt: r.status for r in pg_ops.store().runs()
                if r.object == "events" and r.kind == "periodic"}
    assert periodic == {1: statuses.ERRORED, 2: statuses.FAILED}
    assert any("lock" in error.external_message.lower() for error in pg_ops.store().errors())
    # the warehouse is free again: the next run loads what the failed ones could not
    assert pg_ops.cli("run", "--no-dbt").returncode == 0
    assert {row.name: row.status for row in pg_ops.view().periodic}["events"] == statuses.COMPLETED


def test_a_busy_warehouse_is_errored_retried_then_failed_under_schedule(
    pg_ops: Ops, postgres_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pg_ops.run()
    pg_ops.emulator.emulator.grow(new_events=30)
    for key, value in DLT_LOAD_RETRIES.items():
        monkeypatch.setenv(key, value)
    with _table_held(postgres_db, "events"):
        process = pg_ops.popen("schedule", "--every", "1h", "--no-dbt")
        try:
            wait_for(lambda: statuses.FAILED in _periodic(pg_ops).values() or process.poll() is not None,
                     "the scheduled run Failed after its retry", every=0.5)
            assert process.poll() is None
            assert _periodic(pg_ops) == {1: statuses.ERRORED, 2: statuses.FAILED}
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


def _periodic(ops: Ops) -> dict[int, str]:
    return {r.attempt: r.status for r in ops.store().runs() if r.object == "events" and r.kind == "periodic"}
