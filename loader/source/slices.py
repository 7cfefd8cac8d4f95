"""Time windows: what each run reads, how it is cut into slices, and the API filters for them.

Every window is half-open, `[start, end)`:
- events filter `greater-or-equal(datetime,start),less-than(datetime,end)`;
- profiles only allow strict `greater-than`/`less-than` on `updated`, so `[start, end)` becomes
  `greater-than(updated,start - 1us),less-than(updated,end)` (Klaviyo datetimes carry at most
  microseconds), and adjacent slices neither overlap nor leave a gap.

The end of every window is the run's start time: a cursor never moves past it, so events dated in the
future are read once their time has come, and nothing that arrives during the run is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from loader.source.settings import MIN_SLICE

ONE_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Window:
    """`[start, end)`; `start` None means "from the beginning"."""

    start: datetime | None
    end: datetime

    @property
    def empty(self) -> bool:
        return self.start is not None and self.start >= self.end


def run_upper_bound(now: datetime | None = None) -> datetime:
    """The run's start time, UTC: the exclusive end of every window of this run."""
    now = now or datetime.now(timezone.utc)
    return now.astimezone(timezone.utc)


def plan_window(
    cursor: datetime | None,
    end: datetime,
    *,
    history: timedelta | None,
    lookback: timedelta,
    reconcile: timedelta | None = None,
) -> Window:
    """The window one object reads in this run.

    First sync (no cursor): the history window before `end` (None = all time). Later syncs: from the
    stored cursor minus `lookback` (late arrivals), or further back to `end - reconcile`.
    """
    if cursor is None:
        return Window(None if history is None else end - history, end)
    start = min(cursor, end) - lookback
    if reconcile is not None:
        start = min(start, end - reconcile)
    return Window(start, end)


def split(window: Window, parts: int, min_width: timedelta = MIN_SLICE) -> list[Window]:
    """Cut a bounded window into up to `parts` equal slices of at least `min_width`."""
    if window.start is None:
        raise ValueError("bound the window (earliest record) before splitting it")
    if window.empty:
        return []
    width = window.end - window.start
    count = max(1, min(parts, int(width / min_width)))
    step = width / count
    bounds = [window.start + step * i for i in range(count)] + [window.end]
    return [Window(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if a < b]


def format_dt(value: datetime) -> str:
    """RFC 3339 with an uppercase `Z`, as the Klaviyo filter syntax wants (no quotes)."""
    value = value.astimezone(timezone.utc)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text + "Z"


def events_filter(window: Window, metric_id: str | None = None) -> str:
    parts = []
    if metric_id is not None:
        parts.append(f'equals(metric_id,"{metric_id}")')
    if window.start is not None:
        parts.append(f"greater-or-equal(datetime,{format_dt(window.start)})")
    parts.append(f"less-than(datetime,{format_dt(window.end)})")
    return ",".join(parts)


def profiles_filter(window: Window) -> str:
    parts = []
    if window.start is not None:
        parts.append(f"greater-than(updated,{format_dt(window.start - ONE_MICROSECOND)})")
    parts.append(f"less-than(updated,{format_dt(window.end)})")
    return ",".join(parts)


def parse_dt(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp from the API or from state, as an aware UTC datetime."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)
