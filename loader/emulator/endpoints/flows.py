"""GET /api/flows: flows filtered and sorted, 50 a page; `include=flow-actions` puts their actions in
`included`. Archived flows are left out unless the filter has `equals(archived,true)` (inferred, as for
campaigns)."""

from __future__ import annotations

from collections.abc import Mapping

from loader.emulator import listing
from loader.emulator.account_state import AccountState
from loader.emulator.documents import collection, page_links
from loader.emulator.filters import FieldRule
from loader.emulator.listing import DT5, NAME_OPS
from loader.emulator.marketing_access import unarchived_by_default
from loader.emulator.marketing_resources import (
    FLOW_ACTION_FIELDS,
    FLOW_FIELDS,
    render_flow,
    render_flow_action,
)
from loader.emulator.operation import Operation, Page
from loader.emulator.query import EndpointSpec, Query
from loader.emulator.ratelimit import Bucket

TRIGGER_TYPES = ("Metric", "Added to List", "Unconfigured", "Date Based", "Price Drop", "Low Inventory")
SPEC = EndpointSpec(
    "flows",
    frozenset({"fields[flow-action]", "fields[flow]", "fields[tag]", "filter", "include", "page[cursor]",
               "page[size]", "sort"}),
    {"id": FieldRule(("any",), "string"), "name": FieldRule(NAME_OPS, "string"),
     "status": FieldRule(("equals",), "string"), "archived": FieldRule(("equals",), "boolean"),
     "created": FieldRule(DT5, "datetime"), "updated": FieldRule(DT5, "datetime"),
     "trigger_type": FieldRule(("equals",), "string", TRIGGER_TYPES)},
    ("created", "-created", "id", "-id", "name", "-name", "status", "-status", "trigger_type",
     "-trigger_type", "updated", "-updated"),
    "id",
    (50, 50),
    ("flow-actions", "tags"),
    {"flow": FLOW_FIELDS, "flow-action": FLOW_ACTION_FIELDS, "tag": ("id", "name")},
)
BUCKET = Bucket("flows", 3, 60)
COLUMNS: listing.Columns = {
    "id": lambda f: f.id, "name": lambda f: f.name, "status": lambda f: f.status,
    "archived": lambda f: f.archived, "created": lambda f: f.created_us, "updated": lambda f: f.updated_us,
    "trigger_type": lambda f: f.trigger_type,
}


def serve_flows(account: AccountState, q: Query, path: Mapping[str, str]) -> Page:
    snap, base = account.snapshot, account.base_url
    mk = snap.marketing
    alive = [f for f in mk.flows if not f.deleted]
    listed = listing.page(alive, q, COLUMNS, unarchived_by_default(q.conditions), lambda f: f.index)
    data = [render_flow(f, base, q.fields.get("flow")) for f in listed.items]
    included = None
    if q.include:
        included = [render_flow_action(f, a, mk, base, q.fields.get("flow-action"))
                    for f in listed.items for a in f.actions] if "flow-actions" in q.include else []
    return collection(data, page_links(base, q, listed.page, listed.first, listed.last), included)


ROUTES = (Operation("/api/flows", "flows:read", SPEC, BUCKET, serve_flows),)
