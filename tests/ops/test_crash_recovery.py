"""A run killed with SIGKILL is found "In progress" and recorded as interrupted by the next start."""

from __future__ import annotations

import os
import signal

import pytest

from loader.emulator import FaultConfig
from loader.ledger import statuses
from tests.ops.conftest import Ops, wait_for

pytestmark = pytest.mark.integration


def test_killed_run_is_recorded_on_next_start(ops: Ops) -> None:
    emulator = ops.emulator.emulator
    emulator.set_faults(FaultConfig(latency_ms=1500))  # slow enough to be killed mid-run
    process = ops.popen("run", "--no-dbt")
    try:
        # the ledger rows are written after the account is opened (GET /api/accounts, the first
        # request) and before its data is read: once Klaviyo is asked a second time, they exist
        wait_for(lambda: emulator.stats.requests > 1 or process.poll() is not None, "the first data request")
        assert process.poll() is None, process.communicate()[0]
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()  # type: ignore[union-attr]
    emulator.set_faults(FaultConfig())

    dangling = [r for r in ops.store().runs() if r.status == statuses.IN_PROGRESS]
    assert {r.object for r in dangling} == {"metrics", "profiles", "events"}
    killed_run = dangling[0].run_id

    rerun = ops.cli("run", "--no-dbt")
    assert rerun.returncode == 0, rerun.stderr
    assert f"recorded interrupted run {killed_run}" in rerun.stdout

    runs = ops.store().runs()
    killed = [r for r in runs if r.run_id == killed_run]
    assert {r.status for r in killed} == {statuses.ERRORED} and all(r.ended_at for r in killed)
    errors = [e for e in ops.store().errors() if e.run_id == killed_run]
    assert {e.code for e in errors} == {statuses.INTERRUPTED_CODE} and len(errors) == 3
    assert all("killed or crashed" in e.summary for e in errors)
    assert not [r for r in runs if r.status == statuses.IN_PROGRESS]
    rows = {row.name: row.status for row in ops.view().historical}
    assert rows == dict.fromkeys(("metrics", "profiles", "events"), statuses.COMPLETED)
