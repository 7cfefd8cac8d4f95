"""GET /api/metrics: every metric (optionally of one integration), 200 a page."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from loader.emulator import pagination
from loader.emulator.account_state import AccountState
from loader.emulator.catalog import INTEGRATIONS
from loader.emulator.documents import collection, page_links
from loader.emulator.filters import FieldRule
from loader.emulator.metric_resources import METRIC_FIELDS, render_metric
from loader.emulator.operation import Operation, Page
from loader.emulator.pagination import Cursor
from loader.emulator.query import EndpointSpec, Query
from loader.emulator.ratelimit import Bucket

SPEC = EndpointSpec(
    "metrics",
    frozenset({"fields[flow]", "fields[metric]", "filter", "include", "page[cursor]"}),
    {"integration.name": FieldRule(("equals",), "string"),
     "integration.category": FieldRule(("equals",), "string")},
    (),
    "",
    None,
    ("flow-triggers",),
    {"metric": METRIC_FIELDS,
     "flow": ("archived", "created", "id", "name", "status", "trigger_type", "updated")},
    rows_per_page=200,
)


def serve_metrics(account: AccountState, q: Query, path: Mapping[str, str]) -> Page:
    snap, base = account.snapshot, account.base_url
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
    return collection(data, page_links(base, q, page, first, last), [] if q.include else None)


ROUTES = (Operation("/api/metrics", "metrics:read", SPEC, Bucket("metrics", 10, 150), serve_metrics),)
