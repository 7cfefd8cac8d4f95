"""The listings of lists and segments and of their members, shared by the list and segment endpoint families.

Groups are few (Klaviyo caps an account at 1000 lists and segments) and page through `listing.page`.
Members page by `joined_group_at` over the group's numpy columns (keyset cursor: joined time, profile
index), so a 1M-member list costs a searchsorted window per page. A deleted or unknown group is 404.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from loader.emulator import listing, pagination
from loader.emulator.account_state import AccountState
from loader.emulator.dataset import Snapshot
from loader.emulator.documents import collection, page_links
from loader.emulator.errors import ApiError
from loader.emulator.filters import Condition, FieldRule
from loader.emulator.group_resources import render_group
from loader.emulator.groups import Group
from loader.emulator.listing import DT4
from loader.emulator.operation import Page
from loader.emulator.pagination import Cursor
from loader.emulator.profile_resources import (
    ADDITIONAL_FIELDS,
    INCLUDED_RELATIONSHIPS,
    PROFILE_FIELDS,
    identifier_column,
    render_profiles,
)
from loader.emulator.query import Query

GROUP_COLUMNS: listing.Columns = {
    "id": lambda g: g.id, "name": lambda g: g.name, "created": lambda g: g.created_us,
    "updated": lambda g: g.updated_us, "is_active": lambda g: g.is_active,
    "is_starred": lambda g: g.is_starred,
}
GROUP_SORTS = ("created", "-created", "id", "-id", "name", "-name", "updated", "-updated")
# the filters both group listings take: `greater-than` only on created/updated, as the spec says
GROUP_FILTERS = {"name": FieldRule(("any", "equals"), "string"), "id": FieldRule(("any", "equals"), "string"),
                 "created": FieldRule(("greater-than",), "datetime"),
                 "updated": FieldRule(("greater-than",), "datetime")}

MEMBER_FILTERS = {"email": FieldRule(("any", "equals"), "string"),
                  "phone_number": FieldRule(("any", "equals"), "string"),
                  "push_token": FieldRule(("any", "equals"), "string"),
                  "joined_group_at": FieldRule(DT4, "datetime")}
MEMBER_SORTS = ("joined_group_at", "-joined_group_at")
_LOCATION = ("address1", "address2", "city", "country", "ip", "latitude", "longitude", "region", "timezone",
             "zip")
_PREDICTIVE = ("average_days_between_orders", "average_order_value", "churn_probability",
               "expected_date_of_next_order", "historic_clv", "historic_number_of_orders", "predicted_clv",
               "predicted_number_of_orders", "ranked_channel_affinity", "total_clv")
_EMAIL = ("can_receive_email_marketing", "consent", "consent_timestamp", "custom_method_detail",
          "double_optin", "last_updated", "list_suppressions", "method", "method_detail", "suppression")
_SMS = ("can_receive_sms_marketing", "consent", "consent_timestamp", "last_updated", "method",
        "method_detail")
_SMS_T = ("can_receive_sms_transactional", "consent", "consent_timestamp", "last_updated", "method",
          "method_detail")
_PUSH = ("can_receive_push_marketing", "consent", "consent_timestamp")
# fields[profile] of the member endpoints: top-level names and the spec's dotted paths the emulator renders
MEMBER_FIELDS = (
    *PROFILE_FIELDS, "joined_group_at", *ADDITIONAL_FIELDS, *(f"location.{k}" for k in _LOCATION),
    *(f"predictive_analytics.{k}" for k in _PREDICTIVE), "subscriptions.email",
    "subscriptions.email.marketing", *(f"subscriptions.email.marketing.{k}" for k in _EMAIL),
    "subscriptions.sms", "subscriptions.sms.marketing",
    *(f"subscriptions.sms.marketing.{k}" for k in _SMS), "subscriptions.sms.transactional",
    *(f"subscriptions.sms.transactional.{k}" for k in _SMS_T), "subscriptions.mobile_push",
    "subscriptions.mobile_push.marketing", *(f"subscriptions.mobile_push.marketing.{k}" for k in _PUSH),
)


def find_group(snap: Snapshot, kind: str, gid: str) -> Group:
    for g in snap.groups.of(kind):
        if g.id == gid and not g.deleted:
            return g
    raise ApiError(404, "not_found", f"A {kind} with id {gid} does not exist.")


def group_server(kind: str, fields_kind: str) -> Callable[[AccountState, Query, Mapping[str, str]], Page]:
    """The serve function of `GET /api/lists` or `/api/segments` (`include` is accepted, nothing included)."""

    def serve(account: AccountState, q: Query, path: Mapping[str, str]) -> Page:
        snap, base = account.snapshot, account.base_url
        alive = [g for g in snap.groups.of(kind) if not g.deleted]
        listed = listing.page(alive, q, GROUP_COLUMNS, q.conditions, lambda g: g.index)
        data = [render_group(g, base, q.fields.get(fields_kind)) for g in listed.items]
        return collection(data, page_links(base, q, listed.page, listed.first, listed.last),
                          [] if q.include else None)

    return serve


def _member_mask(snap: Snapshot, members: np.ndarray, joined: np.ndarray,
                 conditions: list[Condition]) -> np.ndarray | None:
    mask: np.ndarray | None = None
    for c in conditions:
        if c.field == "joined_group_at":
            part = {"greater-than": joined > c.value, "greater-or-equal": joined >= c.value,
                    "less-than": joined < c.value}.get(c.op, joined <= c.value)
        elif c.field == "push_token":  # no emulated profile has a push token
            part = np.zeros(len(members), dtype=bool)
        else:
            column = snap.profiles.ids if c.field == "profile_id" else identifier_column(snap, c.field)
            part = np.isin(column[members], c.value if isinstance(c.value, list) else [c.value])
        mask = part if mask is None else mask & part
    return mask


def member_server(kind: str) -> Callable[[AccountState, Query, Mapping[str, str]], Page]:
    """The serve function of `GET /api/lists/{id}/profiles` or `/api/segments/{id}/profiles`: profiles with
    `joined_group_at`, sorted by it (ties by profile creation), `fields[profile]` sparse."""

    def serve(account: AccountState, q: Query, path: Mapping[str, str]) -> Page:
        snap, base = account.snapshot, account.base_url
        group = find_group(snap, kind, path["id"])
        members, joined = group.members, group.joined_us
        mask = _member_mask(snap, members, joined, q.conditions)
        if mask is not None:
            members, joined = members[mask], joined[mask]
        descending = q.sort.startswith("-")
        cursor = pagination.decode(q.cursor, q.sort) if q.cursor else None
        page = pagination.select(joined, lambda a, b: members[a:b], 0, len(joined), q.size, descending,
                                 cursor)
        rows = members[page.start:page.stop].tolist()
        stamps = joined[page.start:page.stop].tolist()
        if descending:
            rows, stamps = rows[::-1], stamps[::-1]
        data = render_profiles(snap, rows, base, q.additional, q.fields.get("profile"),
                               INCLUDED_RELATIONSHIPS, stamps)
        first = Cursor(q.sort, stamps[0], rows[0], backward=True) if rows else None
        last = Cursor(q.sort, stamps[-1], rows[-1]) if rows else None
        links = page_links(base, q, page, first, last, f"/api/{kind}s/{group.id}/profiles/")
        return collection(data, links, None)

    return serve
