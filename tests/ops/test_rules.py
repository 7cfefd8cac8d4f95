"""The pure rules: status precedence, stale schedules, retry backoff and classification, slots."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from dlt.common.destination.exceptions import DestinationTerminalException, DestinationTransientException

from loader.errors import SyncError, TransientError
from loader.ledger import statuses
from loader.ledger.records import ObjectControl, RunRecord, ScheduleRecord
from loader.ledger.view import SCHEDULE_GRACE, build_view
from loader.ops.retry_policy import RetryPolicy, is_retryable
from loader.ops.scheduler import _next_slot
from loader.sync_observer import Unit

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def _run(obj: str, kind: str, status: str, minutes: int, until: int | None = None) -> RunRecord:
    start = T0 + timedelta(minutes=minutes)
    return RunRecord(
        f"r{minutes}", obj, kind, status, 1, start, ended_at=start + timedelta(minutes=1),
        complete_until=T0 + timedelta(minutes=until) if until is not None else None,
    )


def test_status_precedence_and_freshness() -> None:
    runs = [
        _run("events", statuses.HISTORICAL, statuses.COMPLETED, 0, until=0),
        _run("events", statuses.PERIODIC, statuses.COMPLETED, 60, until=60),
        _run("events", statuses.PERIODIC, statuses.ERRORED, 120),
        _run("profiles", statuses.HISTORICAL, statuses.FAILED, 0),
    ]
    schedule = ScheduleRecord("default", 3600, "running", next_run_at=T0 + timedelta(minutes=180))
    now = T0 + timedelta(minutes=150)
    view = build_view(runs, [], {}, schedule, now)
    periodic = {r.name: r for r in view.periodic}
    assert periodic["events"].status == statuses.ERRORED  # a failing run beats Scheduled
    assert periodic["events"].freshness_seconds == 90 * 60  # now - last complete point
    assert "profiles" not in periodic  # never completed: no freshness, Historical tab only
    assert {r.name: r.status for r in view.historical} == {"events": "Completed", "profiles": "Failed"}

    controls = {Unit("default", "events"): ObjectControl("events", paused=True, disabled=True)}
    view = build_view(runs, [], controls, schedule, now)
    assert {r.name: r for r in view.periodic}["events"].status == statuses.DISABLED  # wins over Paused
    assert {r.name: r for r in view.periodic}["events"].next_run_at is None


def test_schedule_shown_only_while_alive() -> None:
    runs = [_run("events", statuses.PERIODIC, statuses.COMPLETED, 0, until=0)]
    due = T0 + timedelta(hours=1)
    schedule = ScheduleRecord("default", 3600, "running", next_run_at=due)
    assert build_view(runs, [], {}, schedule, due - timedelta(minutes=5)).periodic[0].status == "Scheduled"
    # a scheduler killed with SIGKILL never clears its announcement: stop trusting it after the grace
    stale = due + SCHEDULE_GRACE + timedelta(seconds=1)
    assert build_view(runs, [], {}, schedule, stale).periodic[0].status == "Completed"
    stopped = ScheduleRecord("default", 3600, "stopped", next_run_at=None)
    assert build_view(runs, [], {}, stopped, due).periodic[0].status == "Completed"


def test_retry_backoff_and_classification(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = RetryPolicy(attempts=5, backoff_seconds=60, max_backoff_seconds=200)
    assert [policy.wait_before(n) for n in (2, 3, 4, 5)] == [60, 120, 200, 200]
    # the type decides, not the code: a bad setting without a code is permanent, an outage is not
    assert is_retryable(TransientError("x", "y", "z", code="malformed_page"))
    assert not is_retryable(SyncError("unknown metric", "--metrics", "z"))
    assert not is_retryable(SyncError("x", "y", "z", code="503"))
    wrapped = RuntimeError("load failed")
    wrapped.__cause__ = SyncError("key", "GET /api/events", "fix", code="403")
    assert not is_retryable(wrapped)
    # the outermost of our errors decides, even over a transient cause
    outer = SyncError("bad", "w", "f")
    outer.__cause__ = TransientError("net", "w", "f")
    assert not is_retryable(outer)
    # located() keeps the type, hence the rule
    assert is_retryable(TransientError("x", "y", "z").located("account beta: y"))
    # others' exceptions: outages retry, bugs and dlt's terminal destination errors do not
    assert policy.will_retry(4, ConnectionResetError("warehouse down"))
    assert not policy.will_retry(5, ConnectionResetError("warehouse down"))
    assert not policy.will_retry(2, KeyError("a bug"))
    assert policy.will_retry(2, DestinationTransientException("connection refused"))
    assert not policy.will_retry(2, DestinationTerminalException("column type mismatch"))

    monkeypatch.setenv("KLAVIYO_SYNC__RETRY__ATTEMPTS", "0")
    with pytest.raises(SyncError, match=r"klaviyo_sync.retry"):
        RetryPolicy.from_config()


def test_next_slot_skips_missed_slots() -> None:
    every = timedelta(hours=1)
    assert _next_slot(T0, every, T0 + timedelta(minutes=5)) == T0 + every
    assert _next_slot(T0, every, T0 + timedelta(minutes=150)) == T0 + 3 * every  # a 2.5 h run
