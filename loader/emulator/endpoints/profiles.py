"""GET /api/profiles: profiles sorted by a field, filtered by identifiers, created/updated or their email
suppressions (`subscriptions.email.marketing.suppression.*`, `...list_suppressions.*`), one page.
Deleted and merged-away profiles are not listed."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from loader.emulator import pagination, people
from loader.emulator.account_state import AccountState
from loader.emulator.dataset import Snapshot
from loader.emulator.documents import collection, page_links
from loader.emulator.filters import Condition, FieldRule
from loader.emulator.listing import DT4
from loader.emulator.operation import Operation, Page
from loader.emulator.pagination import Cursor
from loader.emulator.profile_resources import (
    ADDITIONAL_FIELDS,
    PROFILE_FIELDS,
    emails,
    identifier_column,
    render_profiles,
)
from loader.emulator.query import EndpointSpec, Query
from loader.emulator.ratelimit import Bucket

SUPPRESSION = "subscriptions.email.marketing.suppression"
LIST_SUPPRESSIONS = "subscriptions.email.marketing.list_suppressions"
SPEC = EndpointSpec(
    "profiles",
    frozenset({"additional-fields[profile]", "fields[conversation]", "fields[profile]", "fields[push-token]",
               "filter", "include", "page[cursor]", "page[size]", "sort"}),
    {"id": FieldRule(("any", "equals"), "string"), "email": FieldRule(("any", "equals"), "string"),
     "phone_number": FieldRule(("any", "equals"), "string"),
     "external_id": FieldRule(("any", "equals"), "string"),
     "created": FieldRule(("greater-than", "less-than"), "datetime"),
     "updated": FieldRule(("greater-than", "less-than"), "datetime"),
     f"{SUPPRESSION}.timestamp": FieldRule(DT4, "datetime"),
     f"{SUPPRESSION}.reason": FieldRule(("equals",), "string"),
     f"{LIST_SUPPRESSIONS}.timestamp": FieldRule(DT4, "datetime"),
     f"{LIST_SUPPRESSIONS}.reason": FieldRule(("equals",), "string"),
     f"{LIST_SUPPRESSIONS}.list_id": FieldRule(("equals",), "string")},
    ("created", "-created", "email", "-email", "id", "-id", "updated", "-updated",
     f"{SUPPRESSION}.timestamp", f"-{SUPPRESSION}.timestamp",
     f"{LIST_SUPPRESSIONS}.timestamp", f"-{LIST_SUPPRESSIONS}.timestamp"),
    "id",
    (20, 100),
    ("conversations", "push-tokens"),
    {"profile": (*PROFILE_FIELDS, *ADDITIONAL_FIELDS), "conversation": ("channel", "id"),
     "push-token": ("created", "enablement_status", "platform", "recorded_date", "token", "vendor", "id")},
    ADDITIONAL_FIELDS,
)
BUCKET = Bucket("profiles", 75, 750)
# `additional-fields[profile]=predictive_analytics` also spends this stricter budget (the spec's description)
PREDICTIVE_ANALYTICS = Bucket("profiles:predictive_analytics", 10, 150)


def _profile_order(snap: Snapshot, field: str) -> tuple[np.ndarray, np.ndarray]:
    """(profile indexes sorted by (field, index), the field's values in that order), cached per snapshot."""
    cache_key = f"order:{field}"
    if cache_key not in snap.cache:
        p = snap.profiles
        values = {"id": p.ids, "created": p.created_us, "updated": p.updated_us,
                  f"{SUPPRESSION}.timestamp": p.supp_us}.get(field)
        if field == f"{LIST_SUPPRESSIONS}.timestamp":
            values = _latest_list_suppression(snap)
        elif values is None:
            values = emails(snap)
        order = np.lexsort((np.arange(len(values)), values))
        snap.cache[cache_key] = (order, values[order])
    return snap.cache[cache_key]


def _latest_list_suppression(snap: Snapshot) -> np.ndarray:
    """Each profile's latest list suppression timestamp (people.NONE when none; those sort first)."""
    latest = np.full(len(snap.profiles), people.NONE, dtype=np.int64)
    for s in snap.fates.list_suppressions:
        latest[s.profile] = max(int(latest[s.profile]), s.timestamp_us)
    return latest


def _compare(column: np.ndarray, c: Condition) -> np.ndarray:
    if c.op == "greater-than":
        return column > c.value
    if c.op == "greater-or-equal":
        return column >= c.value
    if c.op == "less-than":
        return column < c.value
    return column <= c.value


def _suppression_mask(snap: Snapshot, c: Condition) -> np.ndarray:
    """The profiles a suppression condition matches (a profile without one matches none)."""
    p = snap.profiles
    if c.field == f"{SUPPRESSION}.timestamp":
        return (p.supp_reason != people.NONE) & _compare(p.supp_us, c)
    if c.field == f"{SUPPRESSION}.reason":
        code = people.REASONS.index(c.value) if c.value in people.REASONS else len(people.REASONS)
        return p.supp_reason == code  # an unknown reason matches nothing
    rows = snap.fates.list_suppressions
    key = c.field.rsplit(".", 1)[1]
    if key == "timestamp":
        hit = _compare(np.array([s.timestamp_us for s in rows], dtype=np.int64), c)
    else:
        hit = np.array([(s.reason if key == "reason" else s.list_id) == c.value for s in rows], dtype=bool)
    mask = np.zeros(len(p), dtype=bool)
    mask[np.array([s.profile for s in rows], dtype=np.int64)[hit]] = True
    return mask


def _profile_mask(snap: Snapshot, q: Query) -> np.ndarray | None:
    p = snap.profiles
    mask: np.ndarray | None = ~p.gone if p.gone.any() else None
    for c in q.conditions:
        if c.field.startswith("subscriptions."):
            part = _suppression_mask(snap, c)
        elif c.field in ("created", "updated"):
            column = p.created_us if c.field == "created" else p.updated_us
            part = column > c.value if c.op == "greater-than" else column < c.value
        else:
            column = identifier_column(snap, c.field)
            part = np.isin(column, c.value if isinstance(c.value, list) else [c.value])
        mask = part if mask is None else mask & part
    return mask


def serve_profiles(account: AccountState, q: Query, path: Mapping[str, str]) -> Page:
    snap, base = account.snapshot, account.base_url
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
    return collection(data, page_links(base, q, page, first, last), [] if q.include else None)


ROUTES = (Operation("/api/profiles", "profiles:read", SPEC, BUCKET, serve_profiles,
                    additional_buckets={"predictive_analytics": PREDICTIVE_ANALYTICS}),)
