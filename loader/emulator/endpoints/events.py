"""GET /api/events: the window of the filter over events sorted by (datetime, seq), one page of it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import numpy as np

from loader.emulator import pagination
from loader.emulator.account_state import AccountState
from loader.emulator.dataset import US, Snapshot
from loader.emulator.documents import collection, page_links
from loader.emulator.event_resources import EVENT_FIELDS, attribution_texts, render_event_texts, render_events
from loader.emulator.filters import FieldRule
from loader.emulator.metric_resources import METRIC_FIELDS, render_metric
from loader.emulator.operation import Operation, Page
from loader.emulator.pagination import Cursor
from loader.emulator.profile_resources import INCLUDED_RELATIONSHIPS, PROFILE_FIELDS, render_profiles
from loader.emulator.query import EndpointSpec, Query
from loader.emulator.ratelimit import Bucket

_DT4 = ("greater-or-equal", "greater-than", "less-or-equal", "less-than")
SPEC = EndpointSpec(
    "events",
    frozenset({"filter", "sort", "page[size]", "page[cursor]", "include", "fields[event]", "fields[metric]",
               "fields[profile]", "fields[attribution]"}),
    {"metric_id": FieldRule(("equals",), "string"), "profile_id": FieldRule(("equals",), "string"),
     "profile": FieldRule(("has",), "none"), "metric": FieldRule(("has",), "none"),
     "datetime": FieldRule(_DT4, "datetime"), "timestamp": FieldRule(_DT4, "number")},
    ("datetime", "-datetime", "timestamp", "-timestamp"),
    "datetime",
    (200, 1000),
    ("attributions", "metric", "profile"),
    {"event": EVENT_FIELDS, "metric": METRIC_FIELDS, "profile": PROFILE_FIELDS, "attribution": ("id",)},
)


def _event_bounds(q: Query) -> tuple[list[tuple[str, int]], set[str] | None, str | None]:
    """(datetime bounds as (op, epoch_us), metric ids or None, profile id or None) from the filter."""
    bounds: list[tuple[str, int]] = []
    metric_ids: set[str] | None = None
    profile_id = None
    for c in q.conditions:
        if c.field == "datetime":
            bounds.append((c.op, c.value))
        elif c.field == "timestamp":
            bounds.append(_timestamp_bound(c.op, float(c.value)))
        elif c.field == "metric_id":
            ids = set(c.value) if isinstance(c.value, list) else {c.value}
            metric_ids = ids if metric_ids is None else metric_ids & ids
        elif c.field == "profile_id":
            profile_id = c.value
    return bounds, metric_ids, profile_id


def _timestamp_bound(op: str, seconds: float) -> tuple[str, int]:
    """Epoch-second comparisons as datetime comparisons (event datetimes are whole seconds)."""
    if op == "greater-than":
        return "greater-or-equal", (math.floor(seconds) + 1) * US
    if op == "greater-or-equal":
        return "greater-or-equal", math.ceil(seconds) * US
    if op == "less-than":
        return "less-than", math.ceil(seconds) * US
    return "less-than", (math.floor(seconds) + 1) * US


def _event_positions(snap: Snapshot, metric_ids: set[str] | None,
                     profile_id: str | None) -> np.ndarray | None:
    ev = snap.events
    positions: np.ndarray | None = None
    if metric_ids is not None:
        indexes = [i for i in (snap.metric_index(m) for m in metric_ids) if i is not None]
        if len(indexes) == 1:
            positions = ev.by_metric[indexes[0]]
        else:
            parts = [ev.by_metric[i] for i in indexes] or [np.empty(0, np.int64)]
            positions = np.sort(np.concatenate(parts))
    if profile_id is not None:
        match = np.flatnonzero(snap.profiles.ids == profile_id)
        wanted = np.flatnonzero(ev.profile == match[0]) if len(match) else np.empty(0, np.int64)
        positions = wanted if positions is None else np.intersect1d(positions, wanted)
    return positions


def serve_events(account: AccountState, q: Query, path: Mapping[str, str]) -> Page:
    snap, base = account.snapshot, account.base_url
    ev = snap.events
    bounds, metric_ids, profile_id = _event_bounds(q)
    positions = _event_positions(snap, metric_ids, profile_id)
    if positions is None:
        keys = ev.dt_us
        ties = lambda a, b: ev.seq[a:b]  # noqa: E731
    elif metric_ids is not None and len(metric_ids) == 1 and profile_id is None and len(positions):
        keys = ev.by_metric_dt[snap.metric_index(next(iter(metric_ids)))]  # type: ignore[index]
        ties = lambda a, b: ev.seq[positions[a:b]]  # noqa: E731
    else:
        keys = ev.dt_us[positions]
        ties = lambda a, b: ev.seq[positions[a:b]]  # noqa: E731
    lo, hi = 0, len(keys)
    for op, value in bounds:
        side: Literal["left", "right"] = "right" if op in ("greater-than", "less-or-equal") else "left"
        edge = int(np.searchsorted(keys, value, side=side))
        lo, hi = (max(lo, edge), hi) if op.startswith("greater") else (lo, min(hi, edge))
    descending = q.sort.startswith("-")
    cursor = pagination.decode(q.cursor, q.sort) if q.cursor else None
    page = pagination.select(keys, ties, lo, max(lo, hi), q.size, descending, cursor)
    rows = np.arange(page.start, page.stop) if positions is None else positions[page.start:page.stop]
    if descending:
        rows = rows[::-1]
    fields = q.fields.get("event")
    members, attributions = (attribution_texts(snap, ev.seq[rows], base) if "attributions" in q.include
                             else (None, []))
    data = (render_event_texts(snap, rows, base, members) if fields is None
            else render_events(snap, rows, base, fields, members))
    first = last = None
    if len(rows):
        first = Cursor(q.sort, int(ev.dt_us[rows[0]]), int(ev.seq[rows[0]]), backward=True)
        last = Cursor(q.sort, int(ev.dt_us[rows[-1]]), int(ev.seq[rows[-1]]))
    included = _event_included(snap, rows, q, base) + attributions if q.include else None
    return collection(data, page_links(base, q, page, first, last), included)


def _event_included(snap: Snapshot, rows: np.ndarray, q: Query, base: str) -> list[dict]:
    """The metrics and profiles of the page's events (attributions come from attribution_texts)."""
    out: list[dict] = []
    if "metric" in q.include:
        for m in np.unique(snap.events.metric[rows]).tolist():
            out.append(render_metric(snap.metrics[m], base, q.fields.get("metric")))
    if "profile" in q.include:
        profiles = np.unique(snap.events.profile[rows]).tolist()
        out += render_profiles(snap, profiles, base, (), q.fields.get("profile"), INCLUDED_RELATIONSHIPS)
    return out


ROUTES = (Operation("/api/events", "events:read", SPEC, Bucket("events", 350, 3500), serve_events),)
