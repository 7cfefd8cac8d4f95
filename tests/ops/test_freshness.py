"""Data freshness = now - the point up to which the warehouse is complete, checked against the emulator."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pytest

from loader.ledger import statuses
from loader.ledger.records import utc_now
from loader.ledger.view import build_view
from tests.ops.conftest import Ops

pytestmark = pytest.mark.integration


def _loaded_event_ids(ops: Ops) -> set[str]:
    with duckdb.connect(str(ops.root / "warehouse.duckdb"), read_only=True) as con:
        return {row[0] for row in con.execute("SELECT id FROM klaviyo_raw.events").fetchall()}


def _truth_ids(ops: Ops, since: datetime | None, until: datetime) -> set[str]:
    return {e["id"] for e in ops.emulator.emulator.truth.events(since=since, until=until)}


def test_freshness_follows_the_emulator_clock(ops: Ops) -> None:
    before = utc_now()
    first = ops.run()
    after = utc_now()
    store = ops.store()
    events = next(r for r in store.runs() if r.object == "events" and r.status == statuses.COMPLETED)
    # complete up to the run's start: after we started it, before it ended
    assert events.complete_until == first.result.run_start
    assert before <= events.complete_until <= after
    at_end = (events.ended_at - events.complete_until).total_seconds()
    assert events.freshness_seconds == pytest.approx(at_end)
    # "complete until" is true: every event of the window up to that point, and nothing later
    assert _loaded_event_ids(ops) == _truth_ids(ops, events.cursor_from, events.complete_until)

    # the emulator gets new events; until the next sync the warehouse falls behind by the clock
    known = _truth_ids(ops, None, utc_now() + timedelta(days=1))
    ops.emulator.emulator.grow(new_events=30, late_events=5, late_by=timedelta(minutes=5))
    grown = _truth_ids(ops, None, utc_now() + timedelta(days=1)) - known
    later = events.complete_until + timedelta(minutes=10)
    view = build_view(store.runs(), store.errors(), store.controls(), store.schedule(), later)
    row = {r.name: r for r in view.periodic}["events"]
    assert row.freshness_seconds == pytest.approx(600.0)
    assert len(grown) == 35 and not grown & _loaded_event_ids(ops)
    assert _truth_ids(ops, events.complete_until, utc_now()) & grown  # newer than "complete until"

    second = ops.run()
    runs = ops.store().runs()
    latest = max((r for r in runs if r.object == "events"), key=lambda r: r.started_at)
    assert latest.kind == statuses.PERIODIC and latest.complete_until == second.result.run_start
    assert grown <= _loaded_event_ids(ops)
    now = utc_now()
    view = build_view(runs, [], {}, None, now)
    fresh = {r.name: r.freshness_seconds for r in view.periodic}
    assert fresh["events"] == pytest.approx((now - latest.complete_until).total_seconds())
    assert fresh["events"] < (now - events.complete_until).total_seconds()
