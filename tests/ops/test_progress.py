"""While a sync runs, the ledger shows it In progress with an estimated percentage."""

from __future__ import annotations

from typing import Any

import pytest

from loader.emulator import FaultConfig
from loader.ledger import statuses
from loader.sync_observer import NullObserver
from tests.ops.conftest import Ops, wait_for

pytestmark = pytest.mark.integration


class ReadLedgerMidRun(NullObserver):
    """At the first partial progress report, wait until the ledger itself shows it."""

    def __init__(self, ops: Ops) -> None:
        self.store = ops.store()  # made before the run: its reads run in the store's own thread
        self.seen: list[Any] = []

    def on_progress(self, unit: Any, fraction: float, rows: int) -> None:
        if self.seen or not 0 < fraction < 1:
            return

        def partial() -> list[Any]:
            return [r for r in self.store.runs() if r.status == statuses.IN_PROGRESS
                    and r.progress_pct is not None and 0 < r.progress_pct < 100]

        self.seen = wait_for(partial, "an In progress row with a partial percentage", timeout=60)


def test_progress_is_written_during_the_run(ops: Ops) -> None:
    ops.emulator.emulator.set_faults(FaultConfig(latency_ms=20))
    peek = ReadLedgerMidRun(ops)
    outcome = ops.run(progress_every=0.0, observer=peek)
    assert outcome.result is not None and peek.seen
    assert {r.run_id for r in peek.seen} == {outcome.run_ids[0]}
    runs = ops.store().runs()
    assert {r.status for r in runs} == {statuses.COMPLETED} and {r.progress_pct for r in runs} == {100.0}
    events = next(r for r in runs if r.object == "events")
    assert events.rows_loaded == len(ops.emulator.emulator.truth.events(since=events.cursor_from,
                                                                        until=events.complete_until))
