"""GET /api/campaigns: one channel's campaigns (the channel filter is required, as in Klaviyo), filtered,
sorted, 100 a page; `include=campaign-messages` puts their messages in `included`.

Archived campaigns are left out unless the filter has `equals(archived,true)` (inferred: Klaviyo does
not document the default; Airbyte lists archived and not archived separately, which it would not need
if the default listing had them)."""

from __future__ import annotations

from collections.abc import Mapping

from loader.emulator import listing
from loader.emulator.account_state import AccountState
from loader.emulator.documents import collection, page_links
from loader.emulator.errors import invalid
from loader.emulator.filters import FieldRule
from loader.emulator.listing import DT4
from loader.emulator.marketing_access import unarchived_by_default
from loader.emulator.marketing_resources import (
    CAMPAIGN_FIELDS,
    CAMPAIGN_MESSAGE_FIELDS,
    render_campaign,
    render_campaign_message,
)
from loader.emulator.operation import Operation, Page
from loader.emulator.query import EndpointSpec, Query
from loader.emulator.ratelimit import Bucket

CHANNELS = ("email", "sms", "mobile_push")
STATUSES = ("Scheduled", "Sent", "Draft", "Cancelled", "Adding Recipients", "Sending", "Variations Sent",
            "Sending Segments", "Cancelled: Smart Sending", "Preparing to send",
            "Cancelled: Account Disabled",
            "Cancelled: No Recipients", "Preparing to schedule", "Cancelled: Internal Error",
            "Queued without Recipients", "Cancelled: Billing Limit", "Cancelled: Misconfigured", "Unknown")
CHANNEL_REQUIRED = ("A channel filter is required to list campaigns. Please provide either: "
                    "?filter=equals(messages.channel,'email') to list email campaigns, or "
                    "?filter=equals(messages.channel,'sms') to list SMS campaigns. "
                    "?filter=equals(messages.channel,'mobile_push') to list mobile push campaigns.")
SPEC = EndpointSpec(
    "campaigns",
    frozenset({"fields[campaign-message]", "fields[campaign]", "fields[tag]", "filter", "include",
               "page[cursor]", "page[size]", "sort"}),
    {"id": FieldRule(("any",), "string"), "messages.channel": FieldRule(("equals",), "string", CHANNELS),
     "name": FieldRule(("contains",), "string"), "status": FieldRule(("any", "equals"), "string", STATUSES),
     "archived": FieldRule(("equals",), "boolean"), "created_at": FieldRule(DT4, "datetime"),
     "scheduled_at": FieldRule(DT4, "datetime"), "updated_at": FieldRule(DT4, "datetime")},
    ("created_at", "-created_at", "id", "-id", "name", "-name", "scheduled_at", "-scheduled_at", "updated_at",
     "-updated_at"),
    "id",
    (100, 100),
    ("campaign-messages", "tags"),
    {"campaign": CAMPAIGN_FIELDS, "campaign-message": CAMPAIGN_MESSAGE_FIELDS, "tag": ("id", "name")},
)
BUCKET = Bucket("campaigns", 10, 150)
COLUMNS: listing.Columns = {
    "id": lambda c: c.id, "messages.channel": lambda c: c.channel, "name": lambda c: c.name,
    "status": lambda c: c.status, "archived": lambda c: c.archived, "created_at": lambda c: c.created_us,
    "scheduled_at": lambda c: c.scheduled_us, "updated_at": lambda c: c.updated_us,
}


def serve_campaigns(account: AccountState, q: Query, path: Mapping[str, str]) -> Page:
    if not any(c.field == "messages.channel" for c in q.conditions):
        raise invalid(CHANNEL_REQUIRED, "filter")
    snap, base = account.snapshot, account.base_url
    mk = snap.marketing
    alive = [c for c in mk.campaigns if not c.deleted]
    listed = listing.page(alive, q, COLUMNS, unarchived_by_default(q.conditions), lambda c: c.index)
    data = [render_campaign(c, base, q.fields.get("campaign")) for c in listed.items]
    included = None
    if q.include:
        included = [render_campaign_message(c, m, mk, base, q.fields.get("campaign-message"))
                    for c in listed.items for m in c.messages] if "campaign-messages" in q.include else []
    return collection(data, page_links(base, q, listed.page, listed.first, listed.last), included)


ROUTES = (Operation("/api/campaigns", "campaigns:read", SPEC, BUCKET, serve_campaigns),)
