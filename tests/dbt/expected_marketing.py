"""The marketing marts (campaigns, flows, attribution, performance) computed in Python from the
API-shaped resources of tests/dbt/marketing_seed.py: the ground truth the dbt builds are checked
against. Normalised like warehouse_rows reads rows back (naive UTC datetimes, JSON as Python, floats)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from tests.dbt.expected_marts import event_rows, number, utc_naive
from tests.dbt.marketing_seed import MEASURES, ORDER, MarketingData

Rows = dict[tuple[str, ...], dict[str, Any]]


def _deleted(data: MarketingData, obj: str) -> set[tuple[str, str]]:
    return {(r["account_id"], r["id"]) for r in data.table("deletions") if r["object"] == obj}


def campaign_rows(data: MarketingData) -> Rows:
    channels: dict[tuple[str, str], list[str]] = defaultdict(list)
    for m in data.table("campaign_messages"):
        channels[(m["account_id"], m["campaign_id"])].append(m["attributes"]["definition"]["channel"])
    deleted = _deleted(data, "campaign")
    rows = {}
    for c in data.table("campaigns"):
        a, key = c["attributes"], (c["account_id"], c["id"])
        rows[key] = {
            "account_id": c["account_id"],
            "campaign_id": c["id"],
            "campaign_name": a["name"],
            "status": a["status"],
            "channel": min(channels[key]) if channels[key] else None,
            "is_archived": a["archived"],
            "send_time": utc_naive(a["send_time"]),
            "scheduled_at": utc_naive(a["scheduled_at"]),
            "created_at": utc_naive(a["created_at"]),
            "updated_at": utc_naive(a["updated_at"]),
            "audiences": a["audiences"],
            "is_deleted": key in deleted,
        }
    return rows


def campaign_message_rows(data: MarketingData) -> Rows:
    rows = {}
    for m in data.table("campaign_messages"):
        a = m["attributes"]
        d = a["definition"]
        content = d.get("content") or {}
        rows[(m["account_id"], m["id"])] = {
            "account_id": m["account_id"],
            "campaign_message_id": m["id"],
            "campaign_id": m["campaign_id"],
            "channel": d["channel"],
            "label": d.get("label"),
            "subject": content.get("subject"),
            "preview_text": content.get("preview_text"),
            "from_email": content.get("from_email"),
            "from_label": content.get("from_label"),
            "send_time": utc_naive(a["send_times"][0]["datetime"]),
            "created_at": utc_naive(a["created_at"]),
            "updated_at": utc_naive(a["updated_at"]),
            "definition": d,
        }
    return rows


def flow_rows(data: MarketingData) -> Rows:
    deleted = _deleted(data, "flow")
    rows = {}
    for f in data.table("flows"):
        a, key = f["attributes"], (f["account_id"], f["id"])
        rows[key] = {
            "account_id": f["account_id"],
            "flow_id": f["id"],
            "flow_name": a["name"],
            "status": a["status"],
            "is_archived": a["archived"],
            "trigger_type": a["trigger_type"],
            "created_at": utc_naive(a["created"]),
            "updated_at": utc_naive(a["updated"]),
            "is_deleted": key in deleted,
        }
    return rows


def flow_action_rows(data: MarketingData) -> Rows:
    rows = {}
    for fa in data.table("flow_actions"):
        a = fa["attributes"]
        rows[(fa["account_id"], fa["id"])] = {
            "account_id": fa["account_id"],
            "flow_action_id": fa["id"],
            "flow_id": fa["flow_id"],
            "action_type": a["definition"]["type"],
            "action_status": a["definition"]["data"].get("status"),
            "created_at": utc_naive(a["created"]),
            "updated_at": utc_naive(a["updated"]),
            "definition": a["definition"],
        }
    return rows


def flow_message_rows(data: MarketingData) -> Rows:
    flows = {(fa["account_id"], fa["id"]): fa["flow_id"] for fa in data.table("flow_actions")}
    rows = {}
    for fm in data.table("flow_messages"):
        a = fm["attributes"]
        rows[(fm["account_id"], fm["id"])] = {
            "account_id": fm["account_id"],
            "flow_message_id": fm["id"],
            "flow_action_id": fm["flow_action_id"],
            "flow_id": flows.get((fm["account_id"], fm["flow_action_id"])),
            "channel": a["channel"],
            "message_name": a["definition"]["name"],
            "subject": a["definition"].get("subject_line"),
            "created_at": utc_naive(a["created"]),
            "updated_at": utc_naive(a["updated"]),
            "definition": a["definition"],
        }
    return rows


_ATTRIBUTION = [
    "event_id",
    "attribution_id",
    "attributed_event_id",
    "campaign_id",
    "campaign_message_id",
    "flow_id",
    "flow_message_id",
    "flow_message_variation_id",
]


def event_attribution_rows(data: MarketingData) -> Rows:
    return {
        (r["account_id"], r["event_id"], r["attribution_id"]): {
            "account_id": r["account_id"],
            **{c: r[c] for c in _ATTRIBUTION},
        }
        for r in data.table("event_attributions")
    }


def event_credit(attributions: Iterable[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """(account_id, event_id) -> klaviyo_event's attributed_* columns (lowest attribution id per kind),
    from raw `event_attributions` rows."""
    by_event: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in attributions:
        by_event[(r["account_id"], r["event_id"])].append(r)
    credit = {}
    for key, rows in by_event.items():
        rows = sorted(rows, key=lambda r: r["attribution_id"])
        campaign = next((r for r in rows if r["campaign_id"] or r["campaign_message_id"]), {})
        flow = next((r for r in rows if r["flow_id"] or r["flow_message_id"]), {})
        credit[key] = {
            "attributed_campaign_id": campaign.get("campaign_id"),
            "attributed_campaign_message_id": campaign.get("campaign_message_id"),
            "attributed_flow_id": flow.get("flow_id"),
            "attributed_flow_message_id": flow.get("flow_message_id"),
        }
    return credit


def _metric_names(data: MarketingData) -> dict[tuple[str, str], str]:
    return {(m["account_id"], m["id"]): m["attributes"]["name"] for m in data.table("metrics")}


def performance_rows(data: MarketingData, kind: str) -> Rows:
    """kind 'campaign' (one row per campaign message) or 'flow' (one row per flow message)."""
    names = _metric_names(data)
    if kind == "campaign":
        messages = {
            (m["account_id"], m["id"]): {
                "campaign_id": m["campaign_id"],
                "channel": m["attributes"]["definition"]["channel"],
            }
            for m in data.table("campaign_messages")
        }
        message_column, parent = "campaign_message_id", "campaign_id"
    else:
        flow_of = {(fa["account_id"], fa["id"]): fa["flow_id"] for fa in data.table("flow_actions")}
        messages = {
            (m["account_id"], m["id"]): {
                "flow_id": flow_of.get((m["account_id"], m["flow_action_id"])),
                "channel": m["attributes"]["channel"],
            }
            for m in data.table("flow_messages")
        }
        message_column, parent = "flow_message_id", "flow_id"
    events = {(e["account_id"], e["id"]): e for e in data.table("events")}
    rows = {}
    for (account_id, message_id), message in messages.items():
        engaged = [
            e
            for (acc, _), e in events.items()
            if acc == account_id and e["attributes"]["event_properties"].get("$message") == message_id
        ]
        by_measure: dict[str, list[dict[str, Any]]] = {}
        for measure, metrics in MEASURES.items():
            by_measure[measure] = [
                e
                for e in engaged
                if names[(account_id, e["relationships"]["metric"]["data"]["id"])] in metrics
            ]
        counted = [e for group in by_measure.values() for e in group]
        credited = {
            r["event_id"]
            for r in data.table("event_attributions")
            if r["account_id"] == account_id and r[message_column] == message_id
        }
        orders = [
            events[(account_id, i)]
            for i in sorted(credited)
            if (account_id, i) in events
            and names[(account_id, events[(account_id, i)]["relationships"]["metric"]["data"]["id"])] == ORDER
        ]

        def profiles(group: list[dict[str, Any]]) -> int:
            return len({e["relationships"]["profile"]["data"]["id"] for e in group})

        def when(e: dict[str, Any]) -> Any:
            return utc_naive(e["attributes"]["datetime"])

        revenue = sum(number(o["attributes"]["event_properties"].get("$value")) or 0.0 for o in orders)
        rows[(account_id, message_id)] = {
            "account_id": account_id,
            parent: message[parent],
            message_column: message_id,
            "channel": message["channel"],
            "recipients": len(by_measure["recipients"]),
            "opens": len(by_measure["opens"]),
            "unique_opens": profiles(by_measure["opens"]),
            "clicks": len(by_measure["clicks"]),
            "unique_clicks": profiles(by_measure["clicks"]),
            "bounces": len(by_measure["bounces"]),
            "unsubscribes": len(by_measure["unsubscribes"]),
            "spam_complaints": len(by_measure["spam_complaints"]),
            "conversions": len(orders),
            "unique_converters": profiles(orders),
            "attributed_revenue": float(revenue),
            "first_send_at": min((when(e) for e in by_measure["recipients"]), default=None),
            "last_event_at": max((when(e) for e in counted + orders), default=None),
        }
    return rows


def expected_marketing_marts(data: MarketingData) -> dict[str, Rows]:
    """Every mart the marketing seed feeds, klaviyo_event with its attributed_* columns included."""
    return {
        "klaviyo_event": event_rows(data.table("events"), data.table("metrics"),
                                    event_credit(data.table("event_attributions"))),
        "klaviyo_campaign": campaign_rows(data),
        "klaviyo_campaign_message": campaign_message_rows(data),
        "klaviyo_flow": flow_rows(data),
        "klaviyo_flow_action": flow_action_rows(data),
        "klaviyo_flow_message": flow_message_rows(data),
        "klaviyo_event_attribution": event_attribution_rows(data),
        "klaviyo_campaign_performance": performance_rows(data, "campaign"),
        "klaviyo_flow_performance": performance_rows(data, "flow"),
    }


MARKETING_KEYS = {
    "klaviyo_campaign": ("account_id", "campaign_id"),
    "klaviyo_campaign_message": ("account_id", "campaign_message_id"),
    "klaviyo_flow": ("account_id", "flow_id"),
    "klaviyo_flow_action": ("account_id", "flow_action_id"),
    "klaviyo_flow_message": ("account_id", "flow_message_id"),
    "klaviyo_event_attribution": ("account_id", "event_id", "attribution_id"),
    "klaviyo_campaign_performance": ("account_id", "campaign_message_id"),
    "klaviyo_flow_performance": ("account_id", "flow_message_id"),
}
