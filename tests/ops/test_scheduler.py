"""`klaviyo-sync schedule`: periodic runs, the next one shown as Scheduled, failures, SIGTERM, the lock."""

from __future__ import annotations

import signal

import pytest

from loader.emulator import FaultConfig
from loader.ledger import statuses
from loader.ops.lock import LockBusy, sync_lock
from tests.ops.conftest import ALWAYS_MALFORMED, Ops, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def _scheduler_runs(ops: Ops, status: str) -> list[str]:
    return sorted({r.run_id for r in ops.store().runs() if r.trigger == "scheduler" and r.status == status})


def test_scheduler_keeps_going_after_failure_and_stops_on_sigterm(pg_ops: Ops) -> None:
    ops = pg_ops
    emulator = ops.emulator.emulator
    emulator.set_faults(ALWAYS_MALFORMED)
    process = ops.popen("schedule", "--every", "2s", "--no-dbt")
    try:
        wait_for(lambda: _scheduler_runs(ops, statuses.FAILED) or process.poll() is not None,
                 "a Failed scheduled run", every=1.0)
        assert process.poll() is None
        # the first slot's two attempts: by now the next slot (2 s later) may have begun its own attempt 1
        events = sorted((r for r in ops.store().runs() if r.object == "events"), key=lambda r: r.started_at)
        attempts = {r.attempt: r.status for r in events[:2]}
        assert attempts == {1: statuses.ERRORED, 2: statuses.FAILED}  # KLAVIYO_SYNC__RETRY__ATTEMPTS=2
        emulator.set_faults(FaultConfig())
        # the scheduler goes on: the next slots load (historical, then periodic)
        wait_for(lambda: len(_scheduler_runs(ops, statuses.COMPLETED)) >= 2 or process.poll() is not None,
                 "two Completed scheduled runs", every=1.0)
        assert process.poll() is None
        # between runs the next one is announced: the Periodic tab says Scheduled
        def scheduled() -> bool:
            view = ops.view()
            row = {r.name: r for r in view.periodic}.get("events")
            return bool(row and row.status == statuses.SCHEDULED and row.next_run_at == view.next_run_at)

        wait_for(scheduled, "events shown as Scheduled with the next run time", every=0.3)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert "received SIGTERM" in output and "scheduler stopped" in output
    schedule = ops.store().schedule()
    assert schedule is not None and schedule.state == "stopped" and schedule.next_run_at is None
    view = ops.view()
    assert view.next_run_at is None
    assert {r.name: r.status for r in view.periodic}["events"] == statuses.COMPLETED
    assert not [r for r in ops.store().runs() if r.status == statuses.IN_PROGRESS]


def test_a_running_sync_holds_the_lock(pg_ops: Ops) -> None:
    ops = pg_ops
    with sync_lock(ops.store().lock_path):
        with pytest.raises(LockBusy, match="another sync is already running"):
            ops.run()
        manual = ops.cli("run")
    assert manual.returncode == 1
    assert "Error: another sync is already running" in manual.stderr
    assert ops.store().runs() == []  # nothing ran, nothing recorded
    ops.run()  # free again
    assert {r.status for r in ops.store().runs()} == {statuses.COMPLETED}
