"""Crash detection: runs left "In progress" by a process that died are closed on the next start.

Call it only while holding the sync lock: then no other sync of this pipeline is running, so every
"In progress" row belongs to a process that was killed (or a machine that went away).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from loader.ledger import statuses
from loader.ledger.records import ErrorRecord, RunRecord, utc_now
from loader.ledger.store import LedgerStore, replace

INTERRUPTED_SUMMARY = "the sync stopped before it finished (its process was killed or crashed)"


def recover_interrupted_runs(
    store: LedgerStore, clock: Callable[[], datetime] = utc_now
) -> list[RunRecord]:
    """Record every dangling "In progress" run as Errored with an `interrupted` error; return them."""
    dangling = [run for run in store.runs() if run.status == statuses.IN_PROGRESS]
    if not dangling:
        return []
    now = clock()
    closed = [
        replace(run, status=statuses.ERRORED, ended_at=run.updated_at or now, updated_at=now)
        for run in dangling
    ]
    errors = [
        ErrorRecord(
            run_id=run.run_id,
            object=run.object,
            account=run.account,
            account_id=run.account_id,
            attempt=run.attempt,
            summary=INTERRUPTED_SUMMARY,
            code=statuses.INTERRUPTED_CODE,
            external_message=(
                f"process {run.pid} on host {run.host} last reported progress "
                f"({run.progress_pct or 0:.0f}%) at {run.updated_at:%Y-%m-%d %H:%M:%S} UTC; "
                "detected when the next sync started"
            ),
            occurred_at=now,
        )
        for run in dangling
    ]
    store.write([*closed, *errors])
    return closed
