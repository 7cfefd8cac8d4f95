"""The resources' generators: plan windows from state, fetch slices in parallel, yield rows.

Each resource reads every account of the run side by side (`account_streams`), one stream per
account with that account's client, pacers and options. Cursor state lives in dlt's resource state
(`dlt.current.resource_state()`) under `accounts.<account_id>`, which dlt commits together with the
load package: a run that fails or is killed before its package loads leaves the stored cursors where
they were. Each stream writes its account's new cursor only after its last page, so an account that
fails keeps its old cursor while the others move on.

A warehouse written before accounts existed kept its cursors at the top of each resource's state;
they belong to the account being upgraded (`legacy_account_id`) and move under it, unchanged, so its
next run is periodic, not historical.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from typing import Any

import dlt
import orjson
import pyarrow as pa

from loader.source import settings
from loader.source.account_streams import Stream, read_streams
from loader.source.context import AccountContext
from loader.source.event_pages import EventPage, decode_event_page
from loader.source.fetch import Task, fetch_pages
from loader.source.records import (
    account_row,
    attribution_rows,
    event_row,
    metric_row,
    profile_row,
    profile_table,
)
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
Part = tuple[str | None, Any]  # (the table it goes to, None: the resource's own; its rows or arrow table)
Shape = Callable[[Any, list[dict[str, Any]]], list[Part]]
Side = Callable[[list[dict[str, Any]], list[dict[str, Any]]], Part | None]
BOUND_EARLIEST_OVER = timedelta(days=1)
# arrow pages are joined into tables of at least this many rows before dlt gets them: dlt's extract
# costs about 5 ms per item whatever its size, as much as building the page's table
BATCH_ROWS = 5_000


def account_states(resource: str, legacy_account_id: str | None) -> dict[str, dict[str, Any]]:
    """This resource's state per account id (legacy top-level cursors moved to their account)."""
    state = dlt.current.resource_state()
    per_account: dict[str, dict[str, Any]] = state.setdefault("accounts", {})
    key = settings.CURSOR_KEYS[resource]
    legacy = {key: state.pop(key)} if key in state else {}
    if legacy and legacy_account_id:
        own = per_account.setdefault(legacy_account_id, {})
        for key, value in legacy.items():
            own.setdefault(key, value)
    elif legacy:
        state.update(legacy)  # no account to give them to: keep them (loader.upgrade refuses first)
    return per_account


def account_rows(accounts: list[AccountContext]) -> Iterator[list[dict[str, Any]]]:
    """Each account's own resource (read once per run by `open_accounts`)."""
    yield [account_row({"id": a.account_id, "attributes": a.attributes}) for a in accounts]


def metric_rows(accounts: list[AccountContext], legacy_account_id: str | None) -> Iterator[Any]:
    """Every metric of every account, every run (the lists are small)."""
    states = account_states("metrics", legacy_account_id)

    def one(account: AccountContext) -> Iterator[Any]:
        state = states.setdefault(account.account_id, {})
        report = account.report.object(account.unit("metrics"))
        report.kind = "periodic" if state.get("last_run") else "historical"
        items = account.catalog.items()
        report.rows = len(items)
        yield [metric_row(account.account_id, item) for item in items]
        state["last_run"] = format_dt(account.report.run_start)
        report.done = True

    yield from stream_accounts(accounts, "metrics", one)


def profile_rows(accounts: list[AccountContext], legacy_account_id: str | None) -> Iterator[Any]:
    """Profiles updated in `[cursor - lookback, run start)`; all profiles on an account's first sync."""
    states = account_states("profiles", legacy_account_id)

    def one(account: AccountContext) -> Iterator[Any]:
        state = states.setdefault(account.account_id, {})
        opts, end = account.options, account.report.run_start
        cursor = parse_dt(state.get("cursor"))
        report = account.report.object(account.unit("profiles"))
        report.kind = "historical" if cursor is None else "periodic"
        window = plan_window(cursor, end, history=None, lookback=opts.lookback_window,
                             reconcile=opts.reconcile_window)
        window = _bound(account, window, settings.PROFILES_PATH, "updated", {})
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
        table = profile_table if opts.item_format == "arrow" else None
        shape = _shape(account.account_id, table, profile_row)
        yield from _rows(account, "profiles", tasks, opts.profiles_workers, shape)
        state["cursor"] = format_dt(end)
        report.done = True

    yield from stream_accounts([a for a in accounts if "profiles" in a.options.objects], "profiles", one)


def event_rows(accounts: list[AccountContext], legacy_account_id: str | None) -> Iterator[Any]:
    """Events in `[cursor - max(lookback, attribution_window), run start)` per account and cursor
    scope (all metrics, or each), with their attributions (`include=attributions`) as a second
    table, `event_attributions`, from the same pages.

    Klaviyo credits an order to a message up to days after the order: re-reading the trailing
    attribution window (default 7d) every periodic run picks that credit up (events and their
    attributions merge on their keys, so re-reading is idempotent). It costs the requests of 7 days
    of the selected events per run; `attribution_window = "0"` (or a lookback at least as wide)
    turns the extra re-read off."""
    states = account_states("events", legacy_account_id)

    def one(account: AccountContext) -> Iterator[Any]:
        cursors: dict[str, str] = states.setdefault(account.account_id, {}).setdefault("cursors", {})
        opts, end = account.options, account.report.run_start
        metric_ids = account.catalog.select(opts.metrics, opts.exclude_integrations)
        scopes = [ALL_METRICS] if metric_ids is None else metric_ids
        report = account.report.object(account.unit("events"))
        report.kind = "periodic" if any(_cursor(cursors, s) for s in scopes) else "historical"
        parts = max(1, math.ceil(opts.events_workers * settings.SLICES_PER_WORKER / max(1, len(scopes))))
        tasks: list[Task] = []
        starts = []
        for scope in scopes:
            metric_id = None if scope == ALL_METRICS else scope
            window = plan_window(
                _cursor(cursors, scope), end, history=opts.history_window, lookback=opts.attribution_lookback,
                reconcile=opts.reconcile_window,
            )
            filters = {} if metric_id is None else {"filter": events_filter(Window(None, end), metric_id)}
            window = _bound(account, window, settings.EVENTS_PATH, "datetime", filters)
            starts.append(window.start or end)
            params = {"sort": "datetime", "page[size]": str(opts.events_page_size), "include": "attributions"}
            make_filter = partial(events_filter, metric_id=metric_id)
            tasks += [
                Task(settings.EVENTS_PATH, params, make_filter, "datetime", s.start, s.end)
                for s in (split(window, parts) if window.start else [])
                if s.start is not None
            ]
        report.window = Window(min(starts, default=end), end)
        decode: Callable[[bytes], Any] = orjson.loads
        if opts.item_format == "arrow":  # pages decoded straight into arrow columns
            shape: Shape = partial(_event_parts, account.account_id)
            decode = partial(decode_event_page, account.account_id)
        else:
            shape = _shape(account.account_id, None, event_row,
                           side=partial(_attributions, account.account_id))
        yield from _rows(account, "events", tasks, opts.events_workers, shape, decode)
        for scope in scopes:
            cursors[scope] = format_dt(end)
        report.done = True

    yield from stream_accounts([a for a in accounts if "events" in a.options.objects], "events", one)


def stream_accounts(
    accounts: list[AccountContext], obj: str, one: Callable[[AccountContext], Iterator[Any]]
) -> Iterator[Any]:
    queue_items = settings.QUEUE_PAGES * len(accounts)
    streams = [Stream(account, obj, partial(one, account)) for account in accounts]
    yield from read_streams(streams, queue_items)


def _shape(account_id: str, table: Callable[[str, list[dict[str, Any]]], Any] | None,
           row: Callable[[str, dict[str, Any]], dict[str, Any]], side: Side | None = None) -> Shape:
    """The parts of one account's page: an arrow table (`table`) or dict rows (`row`) for the
    resource's own table, then what `side` makes of the page and its `included` resources for
    another table (None: nothing)."""

    def shape(items: list[dict[str, Any]], included: list[dict[str, Any]]) -> list[Part]:
        own = table(account_id, items) if table is not None else [row(account_id, item) for item in items]
        extra = side(items, included) if side is not None else None
        return [(None, own)] if extra is None else [(None, own), extra]

    return shape


def _attributions(
    account_id: str, events: list[dict[str, Any]], included: list[dict[str, Any]]
) -> Part | None:
    """The page's attribution rows for table `event_attributions` (None when it has none)."""
    rows = attribution_rows(account_id, events, included) if included else []
    return ("event_attributions", rows) if rows else None


def _event_parts(account_id: str, page: EventPage | list[dict[str, Any]],
                 included: list[dict[str, Any]]) -> list[Part]:
    """An events page as arrow tables: the events, and their attributions (when it has any). A page
    the typed decoder left to the generic one arrives as resources (loader.source.event_pages)."""
    if not isinstance(page, EventPage):
        page = EventPage.from_resources(account_id, page, included)
    attributions = page.attribution_table()
    own: Part = (None, page.events)
    return [own] if attributions is None else [own, ("event_attributions", attributions)]


def _rows(account: AccountContext, name: str, tasks: list[Task], workers: int, shape: Shape,
          decode: Callable[[bytes], Any] = orjson.loads) -> Iterator[Any]:
    """Every page of `tasks`, shaped: dict rows as each page arrives, arrow tables in batches."""
    unit = account.unit(name)
    report = account.report.object(unit)
    batches = _Batches(BATCH_ROWS)

    def progress(fraction: float, rows: int) -> None:
        account.report.on_progress(unit, fraction, rows)

    try:
        for page in fetch_pages(
            account.client, tasks, workers=workers, queue_pages=settings.QUEUE_PAGES,
            progress=progress, shape=shape, decode=decode,
        ):
            if page.rows:
                report.rows += page.rows
                yield from batches.add(page.data)
    except Exception:
        yield from batches.flush()  # what was read before a failure loads as before (the cursor stays)
        raise
    yield from batches.flush()
    account.report.on_progress(unit, 1.0, report.rows)


class _Batches:
    """Arrow tables of consecutive pages, per table, joined into one of at least `rows` rows;
    dict rows pass straight through."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.pending: dict[str | None, list[pa.Table]] = {}

    def add(self, parts: list[Part]) -> Iterator[Any]:
        for table_name, data in parts:
            if not isinstance(data, pa.Table):
                yield _marked(table_name, data)
                continue
            tables = self.pending.setdefault(table_name, [])
            tables.append(data)
            if sum(t.num_rows for t in tables) >= self.rows:
                yield self._take(table_name)

    def flush(self) -> Iterator[Any]:
        for table_name in list(self.pending):
            yield self._take(table_name)

    def _take(self, table_name: str | None) -> Any:
        return _marked(table_name, pa.concat_tables(self.pending.pop(table_name)))


def _marked(table_name: str | None, data: Any) -> Any:
    return data if table_name is None else dlt.mark.with_table_name(data, table_name)


def _cursor(cursors: dict[str, str], scope: str) -> Any:
    """A metric synced before only as part of "all metrics" continues from that cursor."""
    return parse_dt(cursors.get(scope) or cursors.get(ALL_METRICS))


def _bound(
    account: AccountContext, window: Window, path: str, field: str, filters: dict[str, str]
) -> Window:
    """Start a wide (or open) window at the earliest record in it, so slices are not wasted."""
    if window.empty or (window.start is not None and window.end - window.start <= BOUND_EARLIEST_OVER):
        return window
    params = {"sort": field, "page[size]": "1", **filters}
    if path == settings.EVENTS_PATH and "filter" not in params:
        params["filter"] = events_filter(Window(None, window.end))
    elif path == settings.PROFILES_PATH:
        params["filter"] = profiles_filter(Window(None, window.end))
    client = account.client
    page = client.get_page(client.base_url + path, params, (path,))
    if not page.data:
        return Window(window.end, window.end)
    earliest = parse_dt(page.data[0]["attributes"].get(field))
    if earliest is None:
        return window if window.start is not None else Window(window.end, window.end)
    start = earliest if window.start is None else max(window.start, earliest)
    return Window(min(start, window.end), window.end)


def _additional_fields(opts: Any) -> list[tuple[str, bool]]:
    return [("subscriptions", opts.subscriptions), ("predictive_analytics", opts.predictive_analytics)]
