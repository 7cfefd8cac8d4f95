"""Raw Klaviyo tables for the dbt tests, written by dlt in exactly the loader contract's shape.

`KlaviyoRawData` holds API-shaped resources (as GET /api/metrics|profiles|events return them) with
the edge cases the models must handle: offsets other than UTC, `$value` as number / numeric text /
junk / missing, events without a profile, profiles without location, unicode names. `load_raw`
writes them to `klaviyo_raw` (merge on id, nested objects as one JSON column) like the loader does.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import dlt

UTC = timezone.utc
OFFSETS = [timezone.utc, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]
INTEGRATIONS = [
    {"id": "0rG4eQ", "name": "Klaviyo", "category": "Internal", "object": "integration"},
    {"id": "7FtS4J", "name": "Shopify", "category": "eCommerce", "object": "integration"},
    {"id": "Ck3bF2", "name": "API", "category": "API", "object": "integration"},
]
METRIC_NAMES = ["Opened Email", "Placed Order", "Viewed Product", "Active on Site"]


def iso(moment: datetime, offset: timezone = UTC) -> str:
    return moment.astimezone(offset).isoformat()


def metric(index: int, anchor: datetime) -> dict[str, Any]:
    return {
        "type": "metric",
        "id": f"M{index:05d}",
        "attributes": {
            "name": METRIC_NAMES[index % len(METRIC_NAMES)],
            "created": iso(anchor - timedelta(days=400 - index)),
            "updated": iso(anchor - timedelta(days=30 - index)),
            "integration": copy.deepcopy(INTEGRATIONS[index % len(INTEGRATIONS)]),
        },
    }


def profile(index: int, anchor: datetime, *, version: int = 0) -> dict[str, Any]:
    created = anchor - timedelta(days=200, minutes=index)
    attributes: dict[str, Any] = {
        "email": None if index % 7 == 3 else f"person{index}.v{version}@example.com",
        "phone_number": f"+1555000{index:04d}",
        "external_id": f"ext-{index}",
        "first_name": "Zoë" if index % 5 == 0 else f"First{index}",
        "last_name": f"Last{index}",
        "organization": "Acme" if index % 2 else None,
        "locale": "en-US",
        "title": None,
        "image": f"https://img.example.com/{index}.png",
        "created": iso(created),
        "updated": iso(anchor - timedelta(days=10, minutes=index) + timedelta(hours=version)),
        "last_event_date": iso(anchor - timedelta(days=1, minutes=index), OFFSETS[index % 3]),
        "location": None
        if index % 6 == 5
        else {
            "address1": f"{index} Main St",
            "city": "Milano" if index % 2 else "Portland",
            "region": "MI" if index % 2 else "OR",
            "country": "IT" if index % 2 else "US",
            "zip": f"{20100 + index}",
            "timezone": "Europe/Rome" if index % 2 else "America/Los_Angeles",
            "ip": "127.0.0.1",
            "latitude": 45.4642,
            "longitude": "9.19",
        },
        "properties": {"plan": "gold" if index % 3 else "free", "visits": index, "tags": ["a", "b"]},
        "subscriptions": {"email": {"marketing": {"can_receive_email_marketing": index % 2 == 0}}},
    }
    if index % 4 == 0:
        attributes["predictive_analytics"] = {"historic_clv": 12.5 * index, "churn_probability": 0.25}
    return {
        "type": "profile",
        "id": f"P{index:05d}",
        "attributes": attributes,
        "relationships": {"lists": {"links": {"related": f"/api/profiles/P{index:05d}/lists"}}},
    }


def event(index: int, moment: datetime, metric_id: str, profile_id: str | None) -> dict[str, Any]:
    values: list[Any] = [19.99, "12.50", "n/a", None, 0, -5.25]
    properties: dict[str, Any] = {"source": "test", "index": index}
    value = values[index % len(values)]
    if value is not None:
        properties["$value"] = value
    moment = moment.replace(microsecond=0)
    return {
        "type": "event",
        "id": f"E{index:06d}",
        "attributes": {
            "timestamp": int(moment.timestamp()),
            "event_properties": properties,
            "datetime": iso(moment, OFFSETS[index % 3]),
            "uuid": f"00000000-0000-4000-8000-{index:012d}",
        },
        "relationships": {
            "metric": {"data": {"type": "metric", "id": metric_id}},
            "profile": {"data": None if profile_id is None else {"type": "profile", "id": profile_id}},
        },
    }


@dataclass
class KlaviyoRawData:
    """A small deterministic Klaviyo account; `grow` adds new, late and updated rows."""

    anchor: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def initial(cls, n_metrics: int = 4, n_profiles: int = 12, n_events: int = 40) -> KlaviyoRawData:
        data = cls()
        for i in range(n_metrics):
            data._put(data.metrics, metric(i, data.anchor))
        for i in range(n_profiles):
            data._put(data.profiles, profile(i, data.anchor))
        for i in range(n_events):
            data._add_event(i, data.anchor - timedelta(hours=48 - i))
        return data

    def _put(self, table: dict[str, dict[str, Any]], resource: dict[str, Any]) -> None:
        table[resource["id"]] = resource

    def _add_event(self, index: int, moment: datetime) -> dict[str, Any]:
        metric_ids, profile_ids = sorted(self.metrics), sorted(self.profiles)
        profile_id = None if index % 9 == 4 else profile_ids[index % len(profile_ids)]
        resource = event(index, moment, metric_ids[index % len(metric_ids)], profile_id)
        self._put(self.events, resource)
        return resource

    def grow(
        self, new_events: int = 6, late_events: int = 3, updated_profiles: int = 2, new_profiles: int = 2
    ) -> dict[str, list[dict[str, Any]]]:
        """Add data; return what a periodic sync reads: new, late, updated and re-read resources."""
        start_p, start_e = len(self.profiles), len(self.events)
        changed_profiles = []
        for i in range(new_profiles):
            changed_profiles.append(profile(start_p + i, self.anchor))
        for i in range(updated_profiles):
            changed_profiles.append(profile(i, self.anchor, version=1))
        for resource in changed_profiles:
            self._put(self.profiles, resource)
        batch = []
        for i in range(new_events):
            batch.append(self._add_event(start_e + i, self.anchor - timedelta(minutes=30 - i)))
        batch.append(self._add_event(start_e + new_events + late_events, self.anchor + timedelta(hours=2)))
        for i in range(late_events):
            batch.append(self._add_event(start_e + new_events + i, self.anchor - timedelta(days=3, hours=i)))
        reread = [self.events[k] for k in sorted(self.events)[start_e - 5 : start_e]]
        events = batch + reread
        return {"metrics": list(self.metrics.values()), "profiles": changed_profiles, "events": events}


def _metric_rows(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": r["id"],
            "name": r["attributes"]["name"],
            "created": r["attributes"]["created"],
            "updated": r["attributes"]["updated"],
            "integration": r["attributes"]["integration"],
        }
        for r in resources
    ]


def _profile_rows(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
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


def _event_rows(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for r in resources:
        profile_data = r["relationships"]["profile"]["data"]
        rows.append(
            {
                "id": r["id"],
                "datetime": r["attributes"]["datetime"],
                "timestamp": r["attributes"]["timestamp"],
                "metric_id": r["relationships"]["metric"]["data"]["id"],
                "profile_id": profile_data["id"] if profile_data else None,
                "uuid": r["attributes"]["uuid"],
                "attributes": r["attributes"],
            }
        )
    return rows


_MERGE = {"disposition": "merge", "strategy": "delete-insert"}
_COLUMNS: dict[str, dict[str, dict[str, Any]]] = {
    "metrics": {
        "id": {"data_type": "text", "nullable": False},
        "name": {"data_type": "text"},
        "created": {"data_type": "timestamp", "timezone": True},
        "updated": {"data_type": "timestamp", "timezone": True},
        "integration": {"data_type": "json"},
    },
    "profiles": {
        "id": {"data_type": "text", "nullable": False},
        "created": {"data_type": "timestamp", "timezone": True},
        "updated": {"data_type": "timestamp", "timezone": True},
        "attributes": {"data_type": "json"},
        "relationships": {"data_type": "json"},
    },
    "events": {
        "id": {"data_type": "text", "nullable": False},
        "datetime": {"data_type": "timestamp", "timezone": True},
        "timestamp": {"data_type": "bigint"},
        "metric_id": {"data_type": "text"},
        "profile_id": {"data_type": "text", "nullable": True},
        "uuid": {"data_type": "text"},
        "attributes": {"data_type": "json"},
    },
}
_ROWS = {"metrics": _metric_rows, "profiles": _profile_rows, "events": _event_rows}


def load_raw(pipeline: dlt.Pipeline, batch: dict[str, list[dict[str, Any]]]) -> None:
    """Write API resources into klaviyo_raw.<metrics|profiles|events> (one dlt load)."""

    @dlt.source(name="klaviyo", max_table_nesting=0)  # the loader's source (and dlt schema) name
    def klaviyo() -> list[Any]:
        return [
            dlt.resource(
                _ROWS[name](items),
                name=name,
                primary_key="id",
                write_disposition=_MERGE,
                columns=_COLUMNS[name],
            )
            for name, items in batch.items()
            if items
        ]

    pipeline.run(klaviyo()).raise_on_failed_jobs()
