"""Campaigns, flows, engagement and Klaviyo's attributions for the dbt tests, in the raw contract's shape.

`MarketingData` is two Klaviyo accounts (the second smaller, with colliding ids) holding campaigns
(email and SMS, one archived, one deleted later), their messages, flows with actions and flow
messages, engagement events naming their message in `$message` (and `$flow` for flow sends),
`Placed Order` events and the attributions crediting them. `grow()` is the second sync: new
engagement and orders, late credit for an order of the first load, a re-read order with a new value,
an edited campaign, a new campaign message, a new flow version and a deleted flow and campaign.
`load_raw` (raw_seed) writes every table; `expected_*` compute the marts in Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.dbt.raw_seed import ACCOUNT_IDS, OFFSETS, account, iso, merge_batches, profile, register_table

UTC = timezone.utc
ENGAGEMENT_METRICS = [
    "Received Email",
    "Opened Email",
    "Clicked Email",
    "Bounced Email",
    "Unsubscribed",
    "Marked Email as Spam",
    "Received SMS",
    "Clicked SMS",
    "Unsubscribed from SMS",
]
ORDER = "Placed Order"
METRICS = [*ENGAGEMENT_METRICS, ORDER, "Viewed Product"]
# the package's default var klaviyo_performance_metrics
MEASURES = {
    "recipients": ["Received Email", "Received SMS"],
    "opens": ["Opened Email"],
    "clicks": ["Clicked Email", "Clicked SMS"],
    "bounces": ["Bounced Email"],
    "unsubscribes": ["Unsubscribed", "Unsubscribed from SMS"],
    "spam_complaints": ["Marked Email as Spam"],
}

Resource = dict[str, Any]
Batch = dict[str, list[Resource]]


def _metric(index: int, name: str, anchor: datetime) -> Resource:
    return {
        "type": "metric",
        "id": f"MK{index:02d}",
        "attributes": {
            "name": name,
            "created": iso(anchor - timedelta(days=300)),
            "updated": iso(anchor - timedelta(days=30)),
            "integration": {
                "id": "0rG4eQ",
                "name": "Klaviyo",
                "category": "Internal",
                "object": "integration",
            },
        },
    }


def campaign(
    cid: str, name: str, anchor: datetime, *, status: str = "Sent", archived: bool = False, version: int = 0
) -> Resource:
    created = anchor - timedelta(days=20)
    return {
        "type": "campaign",
        "id": cid,
        "attributes": {
            "name": name,
            "status": status,
            "archived": archived,
            "audiences": {"included": ["L1"], "excluded": [] if version == 0 else ["S9"]},
            "send_options": {"use_smart_sending": True},
            "tracking_options": {"is_tracking_opens": True},
            "send_strategy": {"method": "static", "datetime": iso(anchor - timedelta(days=5))},
            "created_at": iso(created, OFFSETS[1]),
            "scheduled_at": iso(anchor - timedelta(days=6), OFFSETS[2]),
            "updated_at": iso(anchor - timedelta(days=6) + timedelta(hours=version)),
            "send_time": iso(anchor - timedelta(days=5), OFFSETS[1]),
        },
        "relationships": {"campaign-messages": {"data": []}, "tags": {"data": []}},
    }


def campaign_message(mid: str, cid: str, channel: str, anchor: datetime, label: str) -> Resource:
    if channel == "email":
        definition: dict[str, Any] = {
            "channel": "email",
            "label": label,
            "content": {
                "subject": f"Subject of {label}",
                "preview_text": "Don't miss it",
                "from_email": "news@example.com",
                "from_label": "Acme",
                "reply_to_email": None,
                "cc_email": None,
                "bcc_email": None,
            },
        }
    else:
        definition = {
            "channel": "sms",
            "content": {"body": f"SMS {label}", "media_url": None},
            "render_options": {"shorten_links": True},
        }
    return {
        "type": "campaign-message",
        "id": mid,
        "campaign_id": cid,
        "attributes": {
            "definition": definition,
            "send_times": [{"datetime": iso(anchor - timedelta(days=5), OFFSETS[2]), "is_local": False}],
            "created_at": iso(anchor - timedelta(days=19)),
            "updated_at": iso(anchor - timedelta(days=7)),
        },
        "relationships": {"campaign": {"data": {"type": "campaign", "id": cid}}},
    }


def flow(fid: str, name: str, anchor: datetime, *, version: int = 0, archived: bool = False) -> Resource:
    return {
        "type": "flow",
        "id": fid,
        "attributes": {
            "name": name,
            "status": "live",
            "archived": archived,
            "created": iso(anchor - timedelta(days=90), OFFSETS[1]),
            "updated": iso(anchor - timedelta(days=10) + timedelta(hours=version)),
            "trigger_type": "Added to List" if fid.endswith("2") else "Metric",
        },
        "relationships": {"flow-actions": {"data": []}, "tags": {"data": []}},
    }


def flow_action(aid: str, fid: str, kind: str, anchor: datetime, message_id: str | None = None) -> Resource:
    data: dict[str, Any] = (
        {"delay": {"unit": "days", "value": 1}}
        if kind == "time-delay"
        else {"status": "live", "message": {"id": message_id, "name": f"Message {message_id}"}}
    )
    return {
        "type": "flow-action",
        "id": aid,
        "flow_id": fid,
        "attributes": {
            "created": iso(anchor - timedelta(days=89)),
            "updated": iso(anchor - timedelta(days=9)),
            "definition": {"id": aid, "type": kind, "data": data, "links": {"next": None}},
        },
    }


def flow_message(mid: str, aid: str, channel: str, anchor: datetime, name: str) -> Resource:
    definition: dict[str, Any] = {"id": mid, "name": name}
    if channel == "email":
        definition |= {
            "subject_line": f"Hello from {name}",
            "from_email": "flows@example.com",
            "smart_sending_enabled": True,
        }
    return {
        "type": "flow-message",
        "id": mid,
        "flow_action_id": aid,
        "attributes": {
            "channel": channel,
            "created": iso(anchor - timedelta(days=88)),
            "updated": iso(anchor - timedelta(days=8), OFFSETS[2]),
            "definition": definition,
        },
    }


@dataclass
class MarketingAccount:
    """One account's marketing objects and events; ids collide across accounts (not contents)."""

    account_id: str
    variant: int
    anchor: datetime
    metrics: dict[str, Resource] = field(default_factory=dict)
    profiles: dict[str, Resource] = field(default_factory=dict)
    events: dict[str, Resource] = field(default_factory=dict)
    campaigns: dict[str, Resource] = field(default_factory=dict)
    campaign_messages: dict[str, Resource] = field(default_factory=dict)
    flows: dict[str, Resource] = field(default_factory=dict)
    flow_actions: dict[str, Resource] = field(default_factory=dict)
    flow_messages: dict[str, Resource] = field(default_factory=dict)
    event_attributions: dict[tuple[str, str], Resource] = field(default_factory=dict)
    deletions: dict[tuple[str, str], Resource] = field(default_factory=dict)
    _next_event: int = 0

    def _put(self, table: dict[Any, Resource], key: Any, resource: Resource) -> Resource:
        resource["account_id"] = self.account_id
        table[key] = resource
        return resource

    def metric_id(self, name: str) -> str:
        return next(m["id"] for m in self.metrics.values() if m["attributes"]["name"] == name)

    def event(
        self, metric: str, profile_index: int, moment: datetime, properties: dict[str, Any]
    ) -> Resource:
        index = self._next_event
        self._next_event += 1
        eid = f"EV{index:05d}"
        moment = moment.replace(microsecond=0)
        resource = {
            "type": "event",
            "id": eid,
            "attributes": {
                "timestamp": int(moment.timestamp()),
                "event_properties": properties,
                "datetime": iso(moment, OFFSETS[index % 3]),
                "uuid": f"00000000-0000-4000-9{self.variant}00-{index:012d}",
            },
            "relationships": {
                "metric": {"data": {"type": "metric", "id": self.metric_id(metric)}},
                "profile": {"data": {"type": "profile", "id": f"P{profile_index:05d}"}},
            },
        }
        return self._put(self.events, eid, resource)

    def engage(
        self, message: str, metric: str, profile_index: int, moment: datetime, flow_id: str | None = None
    ) -> Resource:
        properties: dict[str, Any] = {"$message": message, "Subject": "x"}
        if flow_id is not None:
            properties["$flow"] = flow_id
        return self.event(metric, profile_index, moment, properties)

    def order(self, profile_index: int, moment: datetime, value: Any) -> Resource:
        return self.event(ORDER, profile_index, moment, {"$value": value, "ItemNames": ["Shirt"]})

    def credit(
        self,
        order: Resource,
        attribution_id: str,
        *,
        campaign: tuple[str, str] | None = None,
        flow: tuple[str, str] | None = None,
        attributed_event: Resource | None = None,
    ) -> Resource:
        row = {
            "event_id": order["id"],
            "attribution_id": attribution_id,
            "attributed_event_id": attributed_event["id"] if attributed_event else None,
            "campaign_id": campaign[0] if campaign else None,
            "campaign_message_id": campaign[1] if campaign else None,
            "flow_id": flow[0] if flow else None,
            "flow_message_id": flow[1] if flow else None,
            "flow_message_variation_id": f"V{flow[1]}" if flow else None,
        }
        return self._put(self.event_attributions, (order["id"], attribution_id), row)

    def delete(self, obj: str, oid: str) -> Resource:
        row = {"object": obj, "id": oid, "detected_at": iso(self.anchor), "reason": "not_listed"}
        return self._put(self.deletions, (obj, oid), row)

    def tables(self) -> dict[str, dict[Any, Resource]]:
        return {name: getattr(self, name) for name in TABLES}


TABLES = [
    "metrics",
    "profiles",
    "events",
    "campaigns",
    "campaign_messages",
    "flows",
    "flow_actions",
    "flow_messages",
    "event_attributions",
    "deletions",
]


def _campaign_engagement(
    a: MarketingAccount, message: str, start: datetime, recipients: Iterable[int], sms: bool = False
) -> dict[int, Resource]:
    """Received for each recipient; opens/clicks/bounces/... for some; returns the clicks by profile."""
    clicks = {}
    for n, p in enumerate(recipients):
        at = start + timedelta(minutes=n)
        a.engage(message, "Received SMS" if sms else "Received Email", p, at)
        if sms:
            if n % 2 == 0:
                clicks[p] = a.engage(message, "Clicked SMS", p, at + timedelta(hours=1))
            if n == 3:
                a.engage(message, "Unsubscribed from SMS", p, at + timedelta(hours=2))
            continue
        if n % 3 != 2:
            a.engage(message, "Opened Email", p, at + timedelta(minutes=30))
        if n % 3 == 0:
            a.engage(message, "Opened Email", p, at + timedelta(hours=3))  # a second open
            clicks[p] = a.engage(message, "Clicked Email", p, at + timedelta(hours=1))
            a.engage(message, "Clicked Email", p, at + timedelta(hours=4))
        if n == 4:
            a.engage(message, "Bounced Email", p, at + timedelta(minutes=1))
        if n == 5:
            a.engage(message, "Unsubscribed", p, at + timedelta(hours=5))
            a.engage(message, "Marked Email as Spam", p, at + timedelta(hours=5))
    return clicks


def initial_account(account_id: str, variant: int, anchor: datetime) -> MarketingAccount:
    a = MarketingAccount(account_id, variant, anchor)
    for i, name in enumerate(METRICS):
        a._put(a.metrics, f"MK{i:02d}", _metric(i, name, anchor))
    for i in range(8):
        a._put(a.profiles, f"P{i:05d}", profile(i, anchor, variant=variant))
    tag = "" if variant == 0 else " (B)"
    a._put(a.campaigns, "C1", campaign("C1", f"Spring sale{tag}", anchor))
    a._put(a.campaigns, "C2", campaign("C2", f"SMS flash{tag}", anchor))
    a._put(a.campaigns, "C3", campaign("C3", "Old newsletter", anchor, archived=True))
    a._put(a.campaign_messages, "CM1", campaign_message("CM1", "C1", "email", anchor, "Variant A"))
    a._put(a.campaign_messages, "CM2", campaign_message("CM2", "C1", "email", anchor, "Variant B"))
    a._put(a.campaign_messages, "CM3", campaign_message("CM3", "C2", "sms", anchor, "flash"))
    a._put(a.campaign_messages, "CM4", campaign_message("CM4", "C3", "email", anchor, "Old"))
    a._put(a.flows, "F1", flow("F1", f"Welcome{tag}", anchor))
    a._put(a.flows, "F2", flow("F2", "SMS welcome", anchor))
    a._put(a.flows, "F3", flow("F3", "Winback", anchor, archived=True))
    a._put(a.flow_actions, "FA1", flow_action("FA1", "F1", "send-email", anchor, "FM1"))
    a._put(a.flow_actions, "FA2", flow_action("FA2", "F1", "time-delay", anchor))
    a._put(a.flow_actions, "FA3", flow_action("FA3", "F2", "send-sms", anchor, "FM2"))
    a._put(a.flow_actions, "FA4", flow_action("FA4", "F3", "send-email", anchor, "FM3"))
    a._put(a.flow_messages, "FM1", flow_message("FM1", "FA1", "email", anchor, "Welcome 1"))
    a._put(a.flow_messages, "FM2", flow_message("FM2", "FA3", "sms", anchor, "SMS welcome 1"))
    a._put(a.flow_messages, "FM3", flow_message("FM3", "FA4", "email", anchor, "Winback 1"))

    start = anchor - timedelta(days=5)
    people = range(8) if variant == 0 else range(4)
    clicks = _campaign_engagement(a, "CM1", start, people)
    _campaign_engagement(a, "CM2", start + timedelta(minutes=20), [p for p in people if p % 2])
    sms_clicks = _campaign_engagement(a, "CM3", start + timedelta(days=1), people, sms=True)
    for p in people:  # flow sends: each profile gets FM1 (twice for profile 1), some FM2
        at = start + timedelta(days=2, minutes=p)
        a.engage("FM1", "Received Email", p, at, "F1")
        if p % 2 == 0:
            a.engage("FM1", "Opened Email", p, at + timedelta(minutes=5), "F1")
        if p == 1:
            a.engage("FM1", "Received Email", p, at + timedelta(days=1), "F1")
        if p < 3:
            a.engage("FM2", "Received SMS", p, at, "F2")
    a.event("Viewed Product", 1, start, {"ProductName": "Shirt", "$message": "CM1"})  # not a counted metric
    # orders with Klaviyo's credit: to CM1's clicks, one to the SMS campaign, one to FM1, one uncredited
    o1 = a.order(0, start + timedelta(hours=2), 120.0)
    a.credit(o1, "AT1", campaign=("C1", "CM1"), attributed_event=clicks[0])
    o2 = a.order(3, start + timedelta(hours=6), "35.50")
    a.credit(o2, "AT2", campaign=("C1", "CM1"), attributed_event=clicks[3])
    o3 = a.order(0, start + timedelta(days=1, hours=2), 10)
    a.credit(o3, "AT3", campaign=("C2", "CM3"), attributed_event=sms_clicks[0])
    o4 = a.order(2, start + timedelta(days=2, hours=1), 55.25)
    a.credit(o4, "AT4", flow=("F1", "FM1"))
    o5 = a.order(1, start + timedelta(days=2, hours=3), 99.0)  # credited only in the second load
    a.order(2, start + timedelta(days=3), 7.0)  # never credited
    a.late_order = o5  # type: ignore[attr-defined]
    return a


def grow_account(a: MarketingAccount) -> Batch:
    """The second sync: what it reads (new, late, re-read and changed) for this account."""
    anchor, changed = a.anchor, {name: [] for name in TABLES}  # type: dict[str, list[Resource]]
    first_event = a._next_event
    # late credit for an order of the first load, and a re-read order with a new value
    late = a.late_order  # type: ignore[attr-defined]
    changed["event_attributions"].append(a.credit(late, "AT5", campaign=("C1", "CM2")))
    old_order = next(
        e for e in a.events.values() if e["attributes"]["event_properties"].get("$value") == 120.0
    )
    old_order["attributes"]["event_properties"]["$value"] = 150.0
    changed["events"].append(old_order)
    # an edited campaign and a new message on it; engagement for the new message and for CM1
    edited = campaign(
        "C1", "Spring sale (edited)" if a.variant == 0 else "Spring sale (B, edited)", anchor, version=1
    )
    changed["campaigns"].append(a._put(a.campaigns, "C1", edited))
    changed["campaign_messages"].append(
        a._put(a.campaign_messages, "CM5", campaign_message("CM5", "C1", "email", anchor, "Resend"))
    )
    start = anchor - timedelta(hours=6)
    clicks = _campaign_engagement(a, "CM5", start, [0, 1, 2, 3])
    a.engage("CM1", "Opened Email", 7 if a.variant == 0 else 3, start, None)  # a late open
    o6 = a.order(0, start + timedelta(hours=2), 42.0)
    changed["event_attributions"].append(
        a.credit(o6, "AT6", campaign=("C1", "CM5"), attributed_event=clicks[0])
    )
    # a new flow version: F1 updated with a new message on FA1's successor; FM1 gets more sends
    changed["flows"].append(
        a._put(a.flows, "F1", flow("F1", a.flows["F1"]["attributes"]["name"], anchor, version=2))
    )
    changed["flow_actions"].append(
        a._put(a.flow_actions, "FA5", flow_action("FA5", "F1", "send-sms", anchor, "FM4"))
    )
    changed["flow_messages"].append(
        a._put(a.flow_messages, "FM4", flow_message("FM4", "FA5", "sms", anchor, "Welcome SMS"))
    )
    a.engage("FM4", "Received SMS", 4 if a.variant == 0 else 2, start, "F1")
    a.engage("FM1", "Received Email", 5 if a.variant == 0 else 1, start, "F1")
    o7 = a.order(5 if a.variant == 0 else 1, start + timedelta(hours=1), 20.0)
    changed["event_attributions"].append(a.credit(o7, "AT7", flow=("F1", "FM1")))
    # two credits for one order: the flow's and the campaign's
    changed["event_attributions"].append(a.credit(o7, "AT8", campaign=("C2", "CM3")))
    # the reconcile found F3 and C3 gone
    changed["deletions"].append(a.delete("flow", "F3"))
    changed["deletions"].append(a.delete("campaign", "C3"))
    changed["events"].extend(e for k, e in a.events.items() if int(k[2:]) >= first_event)
    changed["metrics"] = list(a.metrics.values())
    return {"accounts": [account(a.account_id, a.variant)], **{k: v for k, v in changed.items() if v}}


@dataclass
class MarketingData:
    accounts: list[MarketingAccount]

    @classmethod
    def initial(cls) -> MarketingData:
        anchor = datetime.now(UTC).replace(microsecond=0)
        return cls([initial_account(ACCOUNT_IDS[0], 0, anchor), initial_account(ACCOUNT_IDS[1], 1, anchor)])

    def everything(self) -> Batch:
        batches = []
        for a in self.accounts:
            batch: Batch = {"accounts": [account(a.account_id, a.variant)]}
            batch |= {name: list(table.values()) for name, table in a.tables().items() if table}
            batches.append(batch)
        return merge_batches(*batches)

    def grow(self) -> Batch:
        return merge_batches(*(grow_account(a) for a in self.accounts))

    def table(self, name: str) -> list[Resource]:
        return [r for a in self.accounts for r in getattr(a, name).values()]


# raw rows of the marketing tables (account_id is added by load_raw)
def _campaign_rows(resources: list[Resource]) -> list[Resource]:
    return [
        {
            "id": r["id"],
            "created_at": r["attributes"]["created_at"],
            "updated_at": r["attributes"]["updated_at"],
            "attributes": r["attributes"],
            "relationships": r["relationships"],
        }
        for r in resources
    ]


def _campaign_message_rows(resources: list[Resource]) -> list[Resource]:
    return [
        {
            "id": r["id"],
            "campaign_id": r["campaign_id"],
            "created_at": r["attributes"]["created_at"],
            "updated_at": r["attributes"]["updated_at"],
            "attributes": r["attributes"],
            "relationships": r["relationships"],
        }
        for r in resources
    ]


def _flow_rows(resources: list[Resource]) -> list[Resource]:
    return [
        {
            "id": r["id"],
            "created": r["attributes"]["created"],
            "updated": r["attributes"]["updated"],
            "attributes": r["attributes"],
            "relationships": r["relationships"],
        }
        for r in resources
    ]


def _child_rows(parent: str) -> Any:
    def rows(resources: list[Resource]) -> list[Resource]:
        return [
            {
                "id": r["id"],
                parent: r[parent],
                "created": r["attributes"]["created"],
                "updated": r["attributes"]["updated"],
                "attributes": r["attributes"],
            }
            for r in resources
        ]

    return rows


def _plain_rows(resources: list[Resource]) -> list[Resource]:
    return [{k: v for k, v in r.items() if k != "account_id"} for r in resources]


# fresh column hints per use (dlt adds to the dicts it is given)
def _ts() -> dict[str, Any]:
    return {"data_type": "timestamp", "timezone": True}


def _json() -> dict[str, Any]:
    return {"data_type": "json"}


def _text() -> dict[str, Any]:
    return {"data_type": "text"}


def _id() -> dict[str, Any]:
    return {"data_type": "text", "nullable": False}


register_table(
    "campaigns",
    _campaign_rows,
    {"id": _id(), "created_at": _ts(), "updated_at": _ts(), "attributes": _json(), "relationships": _json()},
    ["id"],
)
register_table(
    "campaign_messages",
    _campaign_message_rows,
    {
        "id": _id(),
        "campaign_id": _text(),
        "created_at": _ts(),
        "updated_at": _ts(),
        "attributes": _json(),
        "relationships": _json(),
    },
    ["id"],
)
register_table(
    "flows",
    _flow_rows,
    {"id": _id(), "created": _ts(), "updated": _ts(), "attributes": _json(), "relationships": _json()},
    ["id"],
)
register_table(
    "flow_actions",
    _child_rows("flow_id"),
    {"id": _id(), "flow_id": _text(), "created": _ts(), "updated": _ts(), "attributes": _json()},
    ["id"],
)
register_table(
    "flow_messages",
    _child_rows("flow_action_id"),
    {"id": _id(), "flow_action_id": _text(), "created": _ts(), "updated": _ts(), "attributes": _json()},
    ["id"],
)
register_table(
    "event_attributions",
    _plain_rows,
    {
        "event_id": _id(),
        "attribution_id": _id(),
        **{
            c: _text()
            for c in (
                "attributed_event_id",
                "campaign_id",
                "campaign_message_id",
                "flow_id",
                "flow_message_id",
                "flow_message_variation_id",
            )
        },
    },
    ["event_id", "attribution_id"],
)
register_table(
    "deletions",
    _plain_rows,
    {"object": _id(), "id": _id(), "detected_at": _ts(), "reason": _text()},
    ["object", "id"],
)

# the vars the loader's after-load build passes for these tables (loader/transform/dbt_build.OBJECT_VARS)
MARKETING_VARS = {
    name: f"klaviyo_{name}_enabled"
    for name in (
        "campaigns",
        "campaign_messages",
        "flows",
        "flow_actions",
        "flow_messages",
        "event_attributions",
        "deletions",
    )
}
