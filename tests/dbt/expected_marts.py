"""What the marts must contain, computed in Python from API-shaped resources (the ground truth).

Rows are normalised the same way as `warehouse_rows.py` reads them back: timestamps as naive UTC
datetimes, JSON as Python objects, numbers as floats, so the two can be compared row by row. Every
mart is keyed by (account_id, Klaviyo id): each resource carries the `account_id` it was read from.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

_NUMBER = re.compile(r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$")


def utc_naive(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.astimezone(timezone.utc).replace(tzinfo=None)


def number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and _NUMBER.match(value):
        return float(value)
    return None


Key = tuple[str, str]


def account_rows(accounts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    rows = {}
    for a in accounts:
        attrs = a["attributes"]
        rows[a["account_id"]] = {
            "account_id": a["account_id"],
            "account_name": (attrs.get("contact_information") or {}).get("organization_name"),
            "timezone": attrs.get("timezone"),
            "preferred_currency": attrs.get("preferred_currency"),
            "industry": attrs.get("industry"),
            "is_test_account": attrs.get("test_account"),
        }
    return rows


def metric_rows(metrics: list[dict[str, Any]]) -> dict[Key, dict[str, Any]]:
    rows = {}
    for m in metrics:
        attrs = m["attributes"]
        integration = attrs.get("integration") or {}
        rows[(m["account_id"], m["id"])] = {
            "account_id": m["account_id"],
            "metric_id": m["id"],
            "metric_name": attrs.get("name"),
            "integration_name": integration.get("name"),
            "integration_category": integration.get("category"),
            "integration": attrs.get("integration"),
            "created_at": utc_naive(attrs.get("created")),
            "updated_at": utc_naive(attrs.get("updated")),
        }
    return rows


_PROFILE_TEXT = ["email", "phone_number", "external_id", "first_name", "last_name", "organization",
                 "locale", "title", "image"]
_LOCATION_TEXT = ["city", "region", "country", "zip", "timezone"]


def profile_rows(profiles: list[dict[str, Any]]) -> dict[Key, dict[str, Any]]:
    rows = {}
    for p in profiles:
        attrs = p["attributes"]
        location = attrs.get("location") or {}
        row: dict[str, Any] = {"account_id": p["account_id"], "profile_id": p["id"]}
        row.update({name: attrs.get(name) for name in _PROFILE_TEXT})
        row["created_at"] = utc_naive(attrs.get("created"))
        row["updated_at"] = utc_naive(attrs.get("updated"))
        row["last_event_at"] = utc_naive(attrs.get("last_event_date"))
        row.update({name: location.get(name) for name in _LOCATION_TEXT})
        for name in ("location", "properties", "subscriptions", "predictive_analytics"):
            row[name] = attrs.get(name)
        row.update(consent_columns(attrs, is_deleted=False))
        rows[(p["account_id"], p["id"])] = row
    return rows


def consent_columns(attributes: dict[str, Any], is_deleted: bool) -> dict[str, Any]:
    subscriptions = attributes.get("subscriptions") or {}
    email = (subscriptions.get("email") or {}).get("marketing") or {}
    sms = (subscriptions.get("sms") or {}).get("marketing") or {}
    suppression = (email.get("suppression") or [{}])[0]
    return {
        "can_receive_email_marketing": email.get("can_receive_email_marketing"),
        "can_receive_sms_marketing": sms.get("can_receive_sms_marketing"),
        "email_suppression_reason": suppression.get("reason"),
        "email_suppressed_at": utc_naive(suppression.get("timestamp")),
        "is_deleted": is_deleted,
    }


ATTRIBUTED = ("attributed_campaign_id", "attributed_campaign_message_id", "attributed_flow_id",
              "attributed_flow_message_id")


def event_rows(
    events: list[dict[str, Any]], metrics: list[dict[str, Any]],
    credit: dict[Key, dict[str, Any]] | None = None,
) -> dict[Key, dict[str, Any]]:
    """`credit`: (account_id, event_id) -> attributed_* values (default: no attribution, all NULL)."""
    by_metric = metric_rows(metrics)
    credit = credit or {}
    rows = {}
    for e in events:
        attrs, rel = e["attributes"], e.get("relationships") or {}
        metric_id = rel["metric"]["data"]["id"]
        profile = (rel.get("profile") or {}).get("data")
        metric = by_metric.get((e["account_id"], metric_id), {})
        properties = attrs.get("event_properties")
        rows[(e["account_id"], e["id"])] = {
            "account_id": e["account_id"],
            "event_id": e["id"],
            "metric_id": metric_id,
            "metric_name": metric.get("metric_name"),
            "integration_name": metric.get("integration_name"),
            "integration_category": metric.get("integration_category"),
            "profile_id": profile["id"] if profile else None,
            "occurred_at": utc_naive(attrs.get("datetime")),
            "event_timestamp": attrs.get("timestamp"),
            "uuid": attrs.get("uuid"),
            "value": number((properties or {}).get("$value")),
            "event_properties": properties,
            **{name: (credit.get((e["account_id"], e["id"])) or {}).get(name) for name in ATTRIBUTED},
        }
    return rows
