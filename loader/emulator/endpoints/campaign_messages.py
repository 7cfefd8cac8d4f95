"""GET /api/campaigns/{id}/campaign-messages: every message of one campaign (no page, filter or sort
parameters, as in Klaviyo); a deleted or unknown campaign is 404."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

import orjson

from loader.emulator.account_state import AccountState
from loader.emulator.marketing_access import find_campaign
from loader.emulator.marketing_resources import (
    CAMPAIGN_FIELDS,
    CAMPAIGN_MESSAGE_FIELDS,
    render_campaign,
    render_campaign_message,
)
from loader.emulator.operation import Operation, Page
from loader.emulator.query import EndpointSpec, Query
from loader.emulator.ratelimit import Bucket

SPEC = EndpointSpec(
    "campaign-messages",
    frozenset({"fields[campaign-message]", "fields[campaign]", "fields[image]", "fields[template]",
               "include"}),
    {}, (), "", None,
    ("campaign", "image", "template"),
    {"campaign-message": CAMPAIGN_MESSAGE_FIELDS, "campaign": CAMPAIGN_FIELDS,
     "image": ("format", "hidden", "id", "image_url", "name", "size", "updated_at"),
     "template": ("amp", "created", "editor_type", "html", "id", "name", "text", "updated")},
)
BUCKET = Bucket("campaign-messages", 10, 150)


def serve_campaign_messages(account: AccountState, q: Query, path: Mapping[str, str]) -> Page:
    campaign = find_campaign(account.snapshot, path["id"])
    snap, base = account.snapshot, account.base_url
    data = [render_campaign_message(campaign, m, snap.marketing, base, q.fields.get("campaign-message"))
            for m in campaign.messages]
    here = f"{base}/api/campaigns/{campaign.id}/campaign-messages/"
    doc: dict = {"data": data, "links": {"self": f"{here}?{urlencode(q.params)}" if q.params else here,
                                         "next": None, "prev": None}}
    if q.include:
        doc["included"] = ([render_campaign(campaign, base, q.fields.get("campaign"))]
                           if "campaign" in q.include else [])
    return Page(orjson.dumps(doc), len(data))


ROUTES = (Operation("/api/campaigns/{id}/campaign-messages", "campaigns:read", SPEC, BUCKET,
                    serve_campaign_messages),)
