"""GET /api/flows/{id}/flow-actions: one flow's actions (there is no top-level flow-actions listing),
filtered and sorted, 50 a page; a deleted or unknown flow is 404."""

from __future__ import annotations

from collections.abc import Mapping

from loader.emulator import listing
from loader.emulator.account_state import AccountState
from loader.emulator.documents import collection, page_links
from loader.emulator.filters import FieldRule
from loader.emulator.listing import DT5
from loader.emulator.marketing_access import find_flow
from loader.emulator.marketing_resources import FLOW_ACTION_FIELDS, render_flow_action
from loader.emulator.operation import Operation, Page
from loader.emulator.query import EndpointSpec, Query
from loader.emulator.ratelimit import Bucket

SPEC = EndpointSpec(
    "flow-actions",
    frozenset({"fields[flow-action]", "filter", "page[cursor]", "page[size]", "sort"}),
    {"id": FieldRule(("any",), "string"), "action_type": FieldRule(("any", "equals"), "string"),
     "status": FieldRule(("equals",), "string"), "created": FieldRule(DT5, "datetime"),
     "updated": FieldRule(DT5, "datetime")},
    ("action_type", "-action_type", "created", "-created", "id", "-id", "status", "-status", "updated",
     "-updated"),
    "id",
    (50, 50),
    (),
    {"flow-action": FLOW_ACTION_FIELDS},
)
BUCKET = Bucket("flow-actions", 3, 60)
COLUMNS: listing.Columns = {
    "id": lambda a: a.id, "action_type": lambda a: a.type, "status": lambda a: a.status,
    "created": lambda a: a.created_us, "updated": lambda a: a.updated_us,
}


def serve_flow_actions(account: AccountState, q: Query, path: Mapping[str, str]) -> Page:
    flow = find_flow(account.snapshot, path["id"])
    snap, base = account.snapshot, account.base_url
    listed = listing.page(flow.actions, q, COLUMNS, q.conditions, lambda a: a.index)
    data = [render_flow_action(flow, a, snap.marketing, base, q.fields.get("flow-action"))
            for a in listed.items]
    links = page_links(base, q, listed.page, listed.first, listed.last, f"/api/flows/{flow.id}/flow-actions/")
    return collection(data, links, None)


ROUTES = (Operation("/api/flows/{id}/flow-actions", "flows:read", SPEC, BUCKET, serve_flow_actions),)
