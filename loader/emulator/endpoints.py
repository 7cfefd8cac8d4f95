"""GET /api/events, /api/profiles, /api/metrics: select a page from a snapshot and build the document."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

import numpy as np
import orjson

from loader.emulator import pagination
from loader.emulator.catalog import INTEGRATIONS
from loader.emulator.dataset import US, Snapshot
from loader.emulator.event_resources import render_event_texts, render_events
from loader.emulator.metric_resources import render_metric
from loader.emulator.pagination import Cursor, PageSlice
from loader.emulator.profile_resources import (
    INCLUDED_RELATIONSHIPS,
    emails,
    identifier_column,
    render_profiles,
)
from loader.emulator.query import Query


def _links(base: str, q: Query, page: PageSlice, first: Cursor | None, last: Cursor | None) -> dict:
    path = f"{base}/api/{q.spec.name}/"
    kept = [(k, v) for k, v in q.params if k != "page[cursor]"]

    def url(params: list[tuple[str, str]]) -> str:
        return f"{path}?{urlencode(params)}" if params else path

    return {
        "self": url(q.params),
        "next": url([*kept, ("page[cursor]", last.encode())]) if page.more_after and last else None,
        "prev": url([*kept, ("page[cursor]", first.encode())]) if page.more_before and first else None,
    }


@dataclass(frozen=True)
class Page:
    body: bytes
    rows: int


def _document(data: list[dict] | list[str], links: dict, included: list[dict] | None) -> Page:
    """The response body; `data` items are resource dicts or their JSON texts (the fast event path)."""
    is_text = bool(data) and isinstance(data[0], str)
    items = ",".join(data).encode() if is_text else orjson.dumps(data)[1:-1]  # type: ignore[arg-type]
    tail = b"" if included is None else b',"included":' + orjson.dumps(included)
    body = b"".join((b'{"data":[', items, b'],"links":', orjson.dumps(links), tail, b"}"))  # one copy
    return Page(body, len(data))


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


def serve_events(snap: Snapshot, q: Query, base: str) -> Page:
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
    data = render_event_texts(snap, rows, base) if fields is None else render_events(snap, rows, base, fields)
    first = last = None
    if len(rows):
        first = Cursor(q.sort, int(ev.dt_us[rows[0]]), int(ev.seq[rows[0]]), backward=True)
        last = Cursor(q.sort, int(ev.dt_us[rows[-1]]), int(ev.seq[rows[-1]]))
    included = _event_included(snap, rows, q, base) if q.include else None
    return _document(data, _links(base, q, page, first, last), included)


def _event_included(snap: Snapshot, rows: np.ndarray, q: Query, base: str) -> list[dict]:
    out: list[dict] = []
    if "metric" in q.include:
        for m in np.unique(snap.events.metric[rows]).tolist():
            out.append(render_metric(snap.metrics[m], base, q.fields.get("metric")))
    if "profile" in q.include:
        profiles = np.unique(snap.events.profile[rows]).tolist()
        out += render_profiles(snap, profiles, base, (), q.fields.get("profile"), INCLUDED_RELATIONSHIPS)
    return out


def _profile_order(snap: Snapshot, field: str) -> tuple[np.ndarray, np.ndarray]:
    """(profile indexes sorted by (field, index), the field's values in that order), cached per snapshot."""
    cache_key = f"order:{field}"
    if cache_key not in snap.cache:
        p = snap.profiles
        values = {"id": p.ids, "created": p.created_us, "updated": p.updated_us}.get(field)
        if values is None:
            values = emails(snap)
        order = np.lexsort((np.arange(len(values)), values))
        snap.cache[cache_key] = (order, values[order])
    return snap.cache[cache_key]


def _profile_mask(snap: Snapshot, q: Query) -> np.ndarray | None:
    mask: np.ndarray | None = None
    p = snap.profiles
    for c in q.conditions:
        if c.field in ("created", "updated"):
            column = p.created_us if c.field == "created" else p.updated_us
            part = column > c.value if c.op == "greater-than" else column < c.value
        else:
            column = identifier_column(snap, c.field)
            part = np.isin(column, c.value if isinstance(c.value, list) else [c.value])
        mask = part if mask is None else mask & part
    return mask


def serve_profiles(snap: Snapshot, q: Query, base: str) -> Page:
    field = q.sort.lstrip("-")
    order, keys = _profile_order(snap, field)
    mask = _profile_mask(snap, q)
    if mask is not None:
        keep = mask[order]
        order, keys = order[keep], keys[keep]
    descending = q.sort.startswith("-")
    cursor = pagination.decode(q.cursor, q.sort) if q.cursor else None
    page = pagination.select(keys, lambda a, b: order[a:b], 0, len(keys), q.size, descending, cursor)
    rows = order[page.start:page.stop].tolist()
    row_keys = keys[page.start:page.stop].tolist()
    if descending:
        rows, row_keys = rows[::-1], row_keys[::-1]
    data = render_profiles(snap, rows, base, q.additional, q.fields.get("profile"))
    first = Cursor(q.sort, row_keys[0], rows[0], backward=True) if rows else None
    last = Cursor(q.sort, row_keys[-1], rows[-1]) if rows else None
    return _document(data, _links(base, q, page, first, last), [] if q.include else None)


def serve_metrics(snap: Snapshot, q: Query, base: str) -> Page:
    wanted = []
    for m in snap.metrics:
        integration = INTEGRATIONS[m.integration]
        if all(integration[c.field.split(".")[1]] == c.value for c in q.conditions):
            wanted.append(m.index)
    keys = np.array(wanted, dtype=np.int64)
    cursor = pagination.decode(q.cursor, q.sort) if q.cursor else None
    no_ties = lambda a, b: np.zeros(b - a, np.int64)  # noqa: E731 - metric indexes are unique
    page = pagination.select(keys, no_ties, 0, len(keys), q.size, False, cursor)
    rows = keys[page.start:page.stop].tolist()
    data = [render_metric(snap.metrics[i], base, q.fields.get("metric")) for i in rows]
    first = Cursor(q.sort, rows[0], 0, backward=True) if rows else None
    last = Cursor(q.sort, rows[-1], 0) if rows else None
    return _document(data, _links(base, q, page, first, last), [] if q.include else None)


SERVERS = {"events": serve_events, "profiles": serve_profiles, "metrics": serve_metrics}
