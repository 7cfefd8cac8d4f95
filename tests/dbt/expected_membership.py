"""The list, segment and membership marts and klaviyo_profile's consent, suppression and deletion
columns, computed in Python from tests/dbt/membership_seed.py (the ground truth of the dbt tests);
normalised like warehouse_rows reads rows back (naive UTC datetimes, JSON as Python)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.dbt.expected_marts import consent_columns, profile_rows, utc_naive
from tests.dbt.membership_seed import MembershipData

Rows = dict[tuple[Any, ...], dict[str, Any]]
MEMBERSHIP_KEYS = {
    "klaviyo_list": ("account_id", "list_id"),
    "klaviyo_segment": ("account_id", "segment_id"),
    "klaviyo_list_membership": ("account_id", "list_id", "profile_id"),
    "klaviyo_segment_membership": ("account_id", "segment_id", "profile_id"),
    "klaviyo_profile": ("account_id", "profile_id"),
}


def _deleted(data: MembershipData, obj: str) -> dict[tuple[str, str], datetime]:
    return {
        (r["account_id"], r["id"]): utc_naive(r["detected_at"])  # type: ignore[misc]
        for r in data.table("deletions")
        if r["object"] == obj
    }


def group_rows(data: MembershipData, kind: str) -> Rows:
    deleted = _deleted(data, kind)
    rows = {}
    for g in data.table(f"{kind}s"):
        a, key = g["attributes"], (g["account_id"], g["id"])
        row: dict[str, Any] = {
            "account_id": g["account_id"],
            f"{kind}_id": g["id"],
            f"{kind}_name": a["name"],
        }
        if kind == "list":
            row["opt_in_process"] = a["opt_in_process"]
        else:
            row |= {"is_active": a["is_active"], "definition": a["definition"]}
        row |= {
            "created_at": utc_naive(a["created"]),
            "updated_at": utc_naive(a["updated"]),
            "is_deleted": key in deleted,
        }
        rows[key] = row
    return rows


def membership_rows(data: MembershipData, kind: str) -> Rows:
    """Current members: not removed, and neither the profile nor the group deleted since the join."""
    profiles, groups = _deleted(data, "profile"), _deleted(data, kind)
    rows = {}
    for m in data.table(f"{kind}_members"):
        joined = utc_naive(m["joined_at"])
        assert joined is not None
        gone = [
            at
            for at in (
                profiles.get((m["account_id"], m["profile_id"])),
                groups.get((m["account_id"], m[f"{kind}_id"])),
            )
            if at is not None
        ]
        if m["removed_at"] is None and not any(at >= joined for at in gone):
            key = (m["account_id"], m[f"{kind}_id"], m["profile_id"])
            rows[key] = {
                "account_id": m["account_id"],
                f"{kind}_id": m[f"{kind}_id"],
                "profile_id": m["profile_id"],
                "joined_at": joined,
            }
    return rows


def profile_mart_rows(data: MembershipData) -> Rows:
    """klaviyo_profile with its consent and deletion columns (the seed never reloads a deleted
    profile after its deletion, so `is_deleted` is: a deletion row names it)."""
    deleted = _deleted(data, "profile")
    profiles = data.table("profiles")
    rows = profile_rows(profiles)
    for p in profiles:
        key = (p["account_id"], p["id"])
        rows[key] |= consent_columns(p["attributes"], key in deleted)
    return rows


def expected_membership_marts(data: MembershipData) -> dict[str, Rows]:
    return {
        "klaviyo_list": group_rows(data, "list"),
        "klaviyo_segment": group_rows(data, "segment"),
        "klaviyo_list_membership": membership_rows(data, "list"),
        "klaviyo_segment_membership": membership_rows(data, "segment"),
        "klaviyo_profile": profile_mart_rows(data),
    }
