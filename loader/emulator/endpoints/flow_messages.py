"""GET /api/flow-actions/{id}/flow-messages: one action's messages, filtered and sorted, 50 a page; an
unknown action, or one of a deleted flow, is 404."""

from __future__ import annotations

from collections.abc import Mapping

from loader.emulator import listing
from loader.emulator.account_state import AccountState
from loader.emulator.documents import collection, page_links
from loader.emulator.filters import FieldRule
from loader.emulator.listing import DT5, NAME_OPS
from loader.emulator.marketing_access import find_action
from loader.emulator.marketing_resources import FLOW_MESSAGE_FIELDS, render_flow_message
from loader.emulator.operation import Operation, Page
from loader.emulator.query import EndpointSpec, Query
from loader.emulator.ratelimit import Bucket

SPEC = EndpointSpec(
    "flow-messages",
    frozenset({"fields[flow-message]", "filter", "page[cursor]", "page[size]", "sort"}),
    {"id": FieldRule(("any",), "string"), "name": FieldRule(NAME_OPS, "string"),
     "created": FieldRule(DT5, "datetime"), "updated": FieldRule(DT5, "datetime")},
    ("created", "-created", "id", "-id", "name", "-name", "updated", "-updated"),
    "id",
    (50, 50),
    (),
    {"flow-message": FLOW_MESSAGE_FIELDS},
)
BUCKET = Bucket("flow-messages", 3, 60)
COLUMNS: listing.Columns = {
    "id": lambda m: m.id, "name": lambda m: m.name, "created": lambda m: m.created_us,
    "updated": lambda m: m.updated_us,
}


def serve_flow_messages(account: AccountState, q: Query, path: Mapping[str, str]) -> Page:
    _, action = find_action(account.snapshot, path["id"])
    snap, base = account.snapshot, account.base_url
    listed = listing.page(action.messages, q, COLUMNS, q.conditions, lambda m: m.index)
    data = [render_flow_message(action, m, snap.marketing, base, q.fields.get("flow-message"))
            for m in listed.items]
    links = page_links(base, q, listed.page, listed.first, listed.last,
                       f"/api/flow-actions/{action.id}/flow-messages/")
    return collection(data, links, None)


ROUTES = (Operation("/api/flow-actions/{id}/flow-messages", "flows:read", SPEC, BUCKET, serve_flow_messages),)
