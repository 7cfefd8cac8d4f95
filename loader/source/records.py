"""API resources -> raw rows, exactly the columns of the data contract (see DESIGN.md)."""

from __future__ import annotations

from typing import Any

from dlt.common.schema.typing import TTableSchemaColumns

from loader.source.slices import parse_dt

METRIC_COLUMNS: TTableSchemaColumns = {
    "id": {"data_type": "text", "nullable": False, "primary_key": True},
    "name": {"data_type": "text", "nullable": True},
    "created": {"data_type": "timestamp", "timezone": True, "nullable": True},
    "updated": {"data_type": "timestamp", "timezone": True, "nullable": True},
    "integration": {"data_type": "json", "nullable": True},
}
PROFILE_COLUMNS: TTableSchemaColumns = {
    "id": {"data_type": "text", "nullable": False, "primary_key": True},
    "created": {"data_type": "timestamp", "timezone": True, "nullable": True},
    "updated": {"data_type": "timestamp", "timezone": True, "nullable": True},
    "attributes": {"data_type": "json", "nullable": True},
    "relationships": {"data_type": "json", "nullable": True},
}
EVENT_COLUMNS: TTableSchemaColumns = {
    "id": {"data_type": "text", "nullable": False, "primary_key": True},
    "datetime": {"data_type": "timestamp", "timezone": True, "nullable": True},
    "timestamp": {"data_type": "bigint", "nullable": True},
    "metric_id": {"data_type": "text", "nullable": True},
    "profile_id": {"data_type": "text", "nullable": True},
    "uuid": {"data_type": "text", "nullable": True},
    "attributes": {"data_type": "json", "nullable": True},
}


def metric_row(item: dict[str, Any]) -> dict[str, Any]:
    attributes = item["attributes"]
    return {
        "id": item["id"],
        "name": attributes.get("name"),
        "created": parse_dt(attributes.get("created")),
        "updated": parse_dt(attributes.get("updated")),
        "integration": attributes.get("integration"),
    }


def profile_row(item: dict[str, Any]) -> dict[str, Any]:
    attributes = item["attributes"]
    return {
        "id": item["id"],
        "created": parse_dt(attributes.get("created")),
        "updated": parse_dt(attributes.get("updated")),
        "attributes": attributes,
        "relationships": item.get("relationships"),
    }


def event_row(item: dict[str, Any]) -> dict[str, Any]:
    attributes = item["attributes"]
    relationships = item.get("relationships") or {}
    timestamp = attributes.get("timestamp")
    return {
        "id": item["id"],
        "datetime": parse_dt(attributes.get("datetime")),
        "timestamp": int(timestamp) if timestamp is not None else None,
        "metric_id": _related_id(relationships, "metric"),
        "profile_id": _related_id(relationships, "profile"),
        "uuid": attributes.get("uuid"),
        "attributes": attributes,
    }


def _related_id(relationships: dict[str, Any], name: str) -> str | None:
    related = relationships.get(name)
    if not isinstance(related, dict):
        return None
    data = related.get("data")
    return data.get("id") if isinstance(data, dict) else None
