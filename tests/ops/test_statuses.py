"""Status transitions driven by the emulator's fault injection, read back from the ledger."""

from __future__ import annotations

import pytest

from loader.emulator import FaultConfig
from loader.errors import SyncError
from loader.ledger import statuses
from loader.ops.controls import set_control
from loader.sync_observer import Unit
from tests.ops.conftest import ALWAYS_MALFORMED, FAST_RETRIES, Ops

pytestmark = pytest.mark.integration


def _by_attempt(ops: Ops, obj: str) -> dict[int, str]:
    return {run.attempt: run.status for run in ops.store().runs() if run.object == obj}


def test_errored_then_completed(ops: Ops) -> None:
    ops.emulator.emulator.set_faults(FaultConfig(malformed_pages=(1,)))  # the first request of attempt 1
    retries: list[int] = []
    outcome = ops.run(on_retry=lambda attempt, exc, wait: retries.append(attempt))
    assert outcome.attempts == 2 and retries == [1]
    assert _by_attempt(ops, "events") == {1: statuses.ERRORED, 2: statuses.COMPLETED}
    errors = ops.store().errors()
    assert len(errors) == 1 and errors[0].code == "malformed_page" and errors[0].attempt == 1
    assert errors[0].run_id == outcome.run_ids[0]
    assert "not valid JSON" in errors[0].external_message or "malformed" in errors[0].summary
    view = ops.view()
    assert {row.name: row.status for row in view.historical} == {
        "metrics": statuses.COMPLETED, "profiles": statuses.COMPLETED, "events": statuses.COMPLETED,
    }
    assert [e.code for e in view.recent_errors] == ["malformed_page"]


def test_errored_until_failed(ops: Ops) -> None:
    ops.run()  # a first, healthy sync: what follows is periodic
    ops.emulator.emulator.set_faults(ALWAYS_MALFORMED)
    with pytest.raises(SyncError, match="malformed page"):
        ops.run()
    runs = ops.store().runs()
    periodic = {r.attempt: r.status for r in runs if r.object == "events" and r.kind == "periodic"}
    assert periodic == {1: statuses.ERRORED, 2: statuses.ERRORED, 3: statuses.FAILED}
    assert len([e for e in ops.store().errors() if e.code == "malformed_page"]) == FAST_RETRIES.attempts
    rows = {row.name: row.status for row in ops.view().periodic}
    assert rows["events"] == statuses.FAILED and rows["profiles"] == statuses.FAILED


def test_rejected_key_fails_at_once_without_retries(ops: Ops, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLAVIYO_API_KEY", "pk_not_the_right_key_000000000")
    with pytest.raises(SyncError, match="401"):
        ops.run()
    assert _by_attempt(ops, "events") == {1: statuses.FAILED}
    assert [e.code for e in ops.store().errors()] == ["401"]


def test_paused_and_disabled_objects_are_skipped_and_shown(ops: Ops) -> None:
    store = ops.store()
    set_control(store, "pause", ["events"])
    outcome = ops.run()
    assert outcome.skipped == {Unit("default", "events"): statuses.PAUSED}
    assert outcome.ran == [Unit("default", "metrics"), Unit("default", "profiles")]
    assert "events" not in {run.object for run in store.runs()}
    assert {row.name: row.status for row in ops.view().historical}["events"] == statuses.PAUSED

    set_control(store, "disable", ["profiles"])
    set_control(store, "resume", ["events"])
    outcome = ops.run()
    assert outcome.skipped == {Unit("default", "profiles"): statuses.DISABLED}
    assert outcome.ran == [Unit("default", "metrics"), Unit("default", "events")]
    view = ops.view()
    assert {row.name: row.status for row in view.periodic}["profiles"] == statuses.DISABLED
    assert {row.name: row.status for row in view.historical}["events"] == statuses.COMPLETED
    assert view.connection == "Enabled"

    set_control(store, "disable", ["events"])
    outcome = ops.run()
    assert outcome.ran == [] and outcome.result is None and outcome.attempts == 0
    assert ops.view().connection == statuses.DISABLED


def test_scheduled_next_run_and_in_progress_percent(ops: Ops) -> None:
    from datetime import timedelta

    from loader.ledger.records import ScheduleRecord, utc_now
    from loader.ops.scheduler import SCHEDULER_ID

    ops.run()
    store = ops.store()
    next_at = utc_now() + timedelta(minutes=30)
    store.write([ScheduleRecord(SCHEDULER_ID, 3600.0, "running", next_at)])
    rows = {row.name: row for row in ops.view().periodic}
    assert rows["events"].status == statuses.SCHEDULED and rows["events"].next_run_at == next_at

    # an attempt still running shows its percentage
    events = next(r for r in store.runs() if r.object == "events")
    from loader.ledger.store import replace

    store.write([replace(events, run_id="running", status=statuses.IN_PROGRESS, progress_pct=42.0,
                         started_at=utc_now(), kind="periodic")])
    row = {row.name: row for row in ops.view().periodic}["events"]
    assert row.status == statuses.IN_PROGRESS and row.display_status == "In progress (42%)"
