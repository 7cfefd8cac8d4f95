"""Exact comparison of loaded raw tables with the emulator's ground truth (`emulator.truth`)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

EVENT_COLUMNS = "id, datetime, timestamp, metric_id, profile_id, uuid, attributes"
PROFILE_COLUMNS = "id, created, updated, attributes, relationships"
METRIC_COLUMNS = "id, name, created, updated, integration"


def _dt(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _rel(item: dict[str, Any], name: str) -> str | None:
    data = ((item.get("relationships") or {}).get(name) or {}).get("data")
    return data["id"] if data else None


def truth_events(resources: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    out = {}
    for item in resources:
        a = item["attributes"]
        out[item["id"]] = (_dt(a["datetime"]), a["timestamp"], _rel(item, "metric"), _rel(item, "profile"),
                           a["uuid"], a)
    return out


def loaded_events(rows: list[tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    return {r[0]: (_dt(r[1]), r[2], r[3], r[4], r[5], _json(r[6])) for r in rows}


def truth_profiles(resources: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {
        item["id"]: (_dt(item["attributes"]["created"]), _dt(item["attributes"]["updated"]),
                     item["attributes"], item.get("relationships"))
        for item in resources
    }


def loaded_profiles(rows: list[tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    return {r[0]: (_dt(r[1]), _dt(r[2]), _json(r[3]), _json(r[4])) for r in rows}


def truth_metrics(resources: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {
        item["id"]: (item["attributes"]["name"], _dt(item["attributes"]["created"]),
                     _dt(item["attributes"]["updated"]), item["attributes"]["integration"])
        for item in resources
    }


def loaded_metrics(rows: list[tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    return {r[0]: (r[1], _dt(r[2]), _dt(r[3]), _json(r[4])) for r in rows}


def assert_same(loaded: dict[str, Any], expected: dict[str, Any], what: str) -> None:
    """Same ids and same values; on failure name a few differing ids instead of dumping everything."""
    missing = sorted(set(expected) - set(loaded))
    extra = sorted(set(loaded) - set(expected))
    assert not missing and not extra, (
        f"{what}: {len(missing)} missing {missing[:5]}, {len(extra)} extra {extra[:5]}")
    differ = [key for key in expected if loaded[key] != expected[key]]
    first = differ[0] if differ else None
    assert not differ, (
        f"{what}: {len(differ)} rows differ, e.g. {first}: {loaded.get(first)} != {expected.get(first)}")


def unique_ids(rows: list[tuple[Any, ...]], what: str) -> list[tuple[Any, ...]]:
    """The rows, after checking no id was loaded twice."""
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids)), f"{what}: {len(ids) - len(set(ids))} duplicate ids"
    return rows


def warehouse_events(warehouse: Any) -> dict[str, tuple[Any, ...]]:
    """The events loaded in `warehouse` (checked for duplicate ids), keyed by id."""
    return loaded_events(unique_ids(warehouse.rows("events", EVENT_COLUMNS), "events"))


def warehouse_profiles(warehouse: Any) -> dict[str, tuple[Any, ...]]:
    """The profiles loaded in `warehouse` (checked for duplicate ids), keyed by id."""
    return loaded_profiles(unique_ids(warehouse.rows("profiles", PROFILE_COLUMNS), "profiles"))


def by_account(rows: list[tuple[Any, ...]], what: str) -> dict[str, list[tuple[Any, ...]]]:
    """Rows whose first column is account_id, grouped by it (the account column dropped), after
    checking that no (account_id, id) was loaded twice."""
    keys = [(r[0], r[1]) for r in rows]
    assert len(keys) == len(set(keys)), f"{what}: {len(keys) - len(set(keys))} duplicate (account_id, id)"
    assert all(r[0] for r in rows), f"{what}: rows without account_id"
    grouped: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row[1:])
    return grouped
