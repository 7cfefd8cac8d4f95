"""Lists, segments and their members -> raw rows, exactly the columns of the data contract.

`lists` and `segments` merge on (account_id, id); `list_members` and `segment_members` on
(account_id, list_id|segment_id, profile_id). A member row is current while `removed_at` is NULL;
the reconcile pass sets `removed_at` when a member is no longer listed (docs/architecture.md,
"Lists, segments and membership").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dlt.common.schema.typing import TColumnSchema, TTableSchemaColumns

from loader.source.records import ACCOUNT_ID
from loader.source.slices import parse_dt

# which id column names the group in each membership table
GROUP_KEYS = {"list": "list_id", "segment": "segment_id"}
MEMBER_TABLES = {"list": "list_members", "segment": "segment_members"}


def _timestamp() -> TColumnSchema:  # a fresh dict per column: dlt writes each column's name into it
    return {"data_type": "timestamp", "timezone": True, "nullable": True}


def _key() -> TColumnSchema:
    return {"data_type": "text", "nullable": False, "primary_key": True}


def group_columns() -> TTableSchemaColumns:
    return {"account_id": ACCOUNT_ID.copy(), "id": _key(), "created": _timestamp(),
            "updated": _timestamp(), "attributes": {"data_type": "json", "nullable": True}}


def member_columns(kind: str) -> TTableSchemaColumns:
    return {"account_id": ACCOUNT_ID.copy(), GROUP_KEYS[kind]: _key(),
            "profile_id": _key(), "joined_at": _timestamp(), "removed_at": _timestamp()}


def member_key(kind: str) -> list[str]:
    return ["account_id", GROUP_KEYS[kind], "profile_id"]


def group_row(account_id: str, item: dict[str, Any]) -> dict[str, Any]:
    attributes = item["attributes"]
    return {"account_id": account_id, "id": item["id"], "created": parse_dt(attributes.get("created")),
            "updated": parse_dt(attributes.get("updated")), "attributes": attributes}


def member_row(account_id: str, kind: str, group_id: str, profile_id: str, joined_at: datetime | None,
               removed_at: datetime | None = None) -> dict[str, Any]:
    return {"account_id": account_id, GROUP_KEYS[kind]: group_id, "profile_id": profile_id,
            "joined_at": joined_at, "removed_at": removed_at}


def joined_at(item: dict[str, Any]) -> datetime | None:
    """A member resource's `joined_group_at` (when the profile most recently joined)."""
    return parse_dt((item.get("attributes") or {}).get("joined_group_at"))
