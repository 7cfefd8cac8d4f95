"""The three resources' generators: plan windows from state, fetch slices in parallel, yield rows.

Cursor state lives in dlt's resource state (`dlt.current.resource_state()`), which dlt commits
together with the load package: a run that fails or is killed before its package loads leaves the
stored cursor where it was. Each generator writes its new cursor only after its last page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from typing import Any

import dlt

from loader.source import settings
from loader.source.context import SourceContext
from loader.source.fetch import Task, fetch_pages
from loader.source.records import event_row, event_table, metric_row, profile_row, profile_table
from loader.source.slices import (
    Window,
    events_filter,
    format_dt,
    parse_dt,
    plan_window,
    profiles_filter,
    split,
)

ALL_METRICS = "*"
Shape = Callable[[list[dict[str, Any]]], Any]
BOUND_EARLIEST_OVER = timedelta(days=1)


def metric_rows(ctx: SourceContext) -> Iterator[list[dict[str, Any]]]:
    """Every metric, every run (the list is small)."""
    state = dlt.current.resource_state()
    report = ctx.report.object("metrics")
    report.kind = "periodic" if state.get("last_run") else "historical"
    items = ctx.catalog.items()
    report.rows = len(items)
    yield [metric_row(item) for item in items]
    state["last_run"] = format_dt(ctx.report.run_start)
    report.done = True


def profile_rows(ctx: SourceContext) -> Iterator[Any]:
    """Profiles updated in `[cursor - lookback, run start)`; all profiles on the first sync."""
    state = dlt.current.resource_state()
    opts, end = ctx.options, ctx.report.run_start
    cursor = parse_dt(state.get("cursor"))
    report = ctx.report.object("profiles")
    report.kind = "historical" if cursor is None else "periodic"
    window = plan_window(cursor, end, history=None, lookback=opts.lookback, reconcile=opts.reconcile)
    window = _bound(ctx, window, settings.PROFILES_PATH, "updated", {})
    report.window = window
    params = {"sort": "updated", "page[size]": str(opts.profiles_page_size)}
    extra = [name for name, on in _additional_fields(opts) if on]
    if extra:
        params["additional-fields[profile]"] = ",".join(extra)
    keys: tuple[str, ...] = (settings.PROFILES_PATH,)
    if opts.predictive_analytics:
        keys += (settings.PREDICTIVE_BUDGET_KEY,)
    slices = split(window, opts.profiles_workers * settings.SLICES_PER_WORKER) if window.start else []
    tasks = [
        Task(settings.PROFILES_PATH, params, profiles_filter, "updated", s.start, s.end, keys)
        for s in slices
        if s.start is not None
    ]
    shape = profile_table if opts.item_format == "arrow" else _each(profile_row)
    yield from _rows(ctx, "profiles", tasks, opts.profiles_workers, shape)
    state["cursor"] = format_dt(end)
    report.done = True


def event_rows(ctx: SourceContext) -> Iterator[Any]:
    """Events in `[cursor - lookback, run start)` per cursor scope (all metrics, or each metric)."""
    state = dlt.current.resource_state()
    cursors: dict[str, str] = state.setdefault("cursors", {})
    opts, end = ctx.options, ctx.report.run_start
    metric_ids = ctx.catalog.select(opts.metrics, opts.exclude_integrations)
    scopes = [ALL_METRICS] if metric_ids is None else metric_ids
    report = ctx.report.object("events")
    report.kind = "periodic" if any(_cursor(cursors, s) for s in scopes) else "historical"
    parts = max(1, math.ceil(opts.events_workers * settings.SLICES_PER_WORKER / max(1, len(scopes))))
    tasks: list[Task] = []
    starts = []
    for scope in scopes:
        metric_id = None if scope == ALL_METRICS else scope
        window = plan_window(
            _cursor(cursors, scope), end, history=opts.history, lookback=opts.lookback,
            reconcile=opts.reconcile,
        )
        filters = {} if metric_id is None else {"filter": events_filter(Window(None, end), metric_id)}
        window = _bound(ctx, window, settings.EVENTS_PATH, "datetime", filters)
        starts.append(window.start or end)
        params = {"sort": "datetime", "page[size]": str(opts.events_page_size)}
        make_filter = partial(events_filter, metric_id=metric_id)
        tasks += [
            Task(settings.EVENTS_PATH, params, make_filter, "datetime", s.start, s.end)
            for s in (split(window, parts) if window.start else [])
            if s.start is not None
        ]
    report.window = Window(min(starts, default=end), end)
    shape = event_table if opts.item_format == "arrow" else _each(event_row)
    yield from _rows(ctx, "events", tasks, opts.events_workers, shape)
    for scope in scopes:
        cursors[scope] = format_dt(end)
    report.done = True


def _each(row: Callable[[dict[str, Any]], dict[str, Any]]) -> Shape:
    return lambda items: [row(item) for item in items]


def _rows(ctx: SourceContext, name: str, tasks: list[Task], workers: int, shape: Shape) -> Iterator[Any]:
    """Every page of `tasks`, shaped (dict rows or an arrow table), as soon as it arrives."""
    report = ctx.report.object(name)

    def progress(fraction: float, rows: int) -> None:
        ctx.report.on_progress(name, fraction, rows)

    for page in fetch_pages(
        ctx.client, tasks, workers=workers, queue_pages=ctx.options.queue_pages, progress=progress,
        shape=shape,
    ):
        if page.rows:
            report.rows += page.rows
            yield page.data
    ctx.report.on_progress(name, 1.0, report.rows)


def _cursor(cursors: dict[str, str], scope: str) -> Any:
    """A metric synced before only as part of "all metrics" continues from that cursor."""
    return parse_dt(cursors.get(scope) or cursors.get(ALL_METRICS))


def _bound(
    ctx: SourceContext, window: Window, path: str, field: str, filters: dict[str, str]
) -> Window:
    """Start a wide (or open) window at the earliest record in it, so slices are not wasted."""
    if window.empty or (window.start is not None and window.end - window.start <= BOUND_EARLIEST_OVER):
        return window
    params = {"sort": field, "page[size]": "1", **filters}
    if path == settings.EVENTS_PATH and "filter" not in params:
        params["filter"] = events_filter(Window(None, window.end))
    elif path == settings.PROFILES_PATH:
        params["filter"] = profiles_filter(Window(None, window.end))
    page = ctx.client.get_page(ctx.client.base_url + path, params, (path,))
    if not page.data:
        return Window(window.end, window.end)
    earliest = parse_dt(page.data[0]["attributes"].get(field))
    if earliest is None:
        return window if window.start is not None else Window(window.end, window.end)
    start = earliest if window.start is None else max(window.start, earliest)
    return Window(min(start, window.end), window.end)


def _additional_fields(opts: Any) -> list[tuple[str, bool]]:
    return [("subscriptions", opts.subscriptions), ("predictive_analytics", opts.predictive_analytics)]
