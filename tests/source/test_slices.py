"""Window planning and half-open slices for the loader."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from loader.errors import SyncError
from loader.source.options import parse_duration
from loader.source.slices import (
    Window,
    events_filter,
    format_dt,
    plan_window,
    profiles_filter,
    split,
)

END = datetime(2026, 11, 30, 12, 0, 0, 250000, tzinfo=timezone.utc)


def test_first_sync_uses_the_history_window() -> None:
    assert plan_window(None, END, history=timedelta(days=30), lookback=timedelta(hours=1)) == Window(
        END - timedelta(days=30), END)
    assert plan_window(None, END, history=None, lookback=timedelta(hours=1)) == Window(None, END)


def test_later_syncs_continue_from_the_cursor_with_lookback_and_reconcile() -> None:
    cursor = END - timedelta(hours=2)
    window = plan_window(cursor, END, history=None, lookback=timedelta(hours=1))
    assert window.start == cursor - timedelta(hours=1)
    deep = plan_window(cursor, END, history=None, lookback=timedelta(hours=1), reconcile=timedelta(days=7))
    assert deep.start == END - timedelta(days=7)
    # a cursor past the run start (clock change) never pushes the window past it
    assert plan_window(END + timedelta(days=1), END, history=None, lookback=timedelta(0)).start == END


def test_slices_tile_the_window_without_gaps_or_overlap() -> None:
    window = Window(END - timedelta(days=3, microseconds=7), END)
    parts = split(window, 7)
    assert len(parts) == 7
    assert parts[0].start == window.start and parts[-1].end == window.end
    assert all(a.end == b.start for a, b in zip(parts, parts[1:], strict=False))
    assert split(Window(END - timedelta(seconds=90), END), 50) == [Window(END - timedelta(seconds=90), END)]
    assert split(Window(END, END), 4) == []


def test_filters_are_half_open() -> None:
    window = Window(datetime(2026, 1, 1, tzinfo=timezone.utc), END)
    assert events_filter(window, "AbC123") == (
        'equals(metric_id,"AbC123"),greater-or-equal(datetime,2026-01-01T00:00:00Z),'
        "less-than(datetime,2026-11-30T12:00:00.250000Z)")
    # profiles only have strict greater-than: one microsecond earlier includes the start itself
    assert profiles_filter(window) == (
        "greater-than(updated,2025-12-31T23:59:59.999999Z),less-than(updated,2026-11-30T12:00:00.250000Z)")
    plus_two = timezone(timedelta(hours=2))
    assert format_dt(datetime(2026, 3, 1, 1, 2, 3, tzinfo=plus_two)) == "2026-02-28T23:02:03Z"


def test_durations() -> None:
    assert parse_duration("90m", "k") == timedelta(minutes=90)
    assert parse_duration("7d", "k") == timedelta(days=7)
    assert parse_duration(None, "k") is None
    with pytest.raises(SyncError, match="--lookback"):
        parse_duration("an hour", "--lookback")
