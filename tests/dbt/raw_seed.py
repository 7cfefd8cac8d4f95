"""Raw Klaviyo tables for the dbt tests, written by dlt in exactly the loader contract's shape.

`KlaviyoRawData` holds one account's API-shaped resources (as GET /api/accounts|metrics|profiles|events
return them, each tagged with the `account_id` it was read from) with the edge cases the models must
handle: offsets other than UTC, `$value` as number / numeric text / junk / missing, events without a
profile, profiles without location, unicode names. `TwoAccounts` is two such accounts whose metric,
profile and event ids collide (same ids, different contents). `load_raw` writes them to `klaviyo_raw`
(merge on account_id + id, nested objects as one JSON column) like the loader does; with
`with_account=False` it writes the previous release's shape (no account_id, merge on id).
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


ACCOUNT_IDS = ("AbC123", "XyZ789")
ACCOUNT_ATTRIBUTES = [
    {"test_account": False, "industry": "Apparel", "timezone": "America/New_York",
     "preferred_currency": "USD", "locale": "en-US", "organization_name": "Acme Outfitters"},
    {"test_account": True, "industry": None, "timezone": "Europe/Rome", "preferred_currency": "EUR",
     "locale": "it-IT", "organization_name": "Zoë & Figli S.r.l."},
]
DOMAINS = ["example.com", "example.org"]


def account(account_id: str, variant: int) -> dict[str, Any]:
    """GET /api/accounts' resource for the account behind one API key."""
    a = ACCOUNT_ATTRIBUTES[variant % len(ACCOUNT_ATTRIBUTES)]
    return {
        "type": "account",
        "id": account_id,
        "account_id": account_id,
        "attributes": {
            "test_account": a["test_account"],
            "contact_information": {
                "default_sender_name": a["organization_name"],
                "default_sender_email": f"news@{DOMAINS[variant % 2]}",
                "website_url": f"https://www.{DOMAINS[variant % 2]}",
                "organization_name": a["organization_name"],
                "street_address": {"address1": "1 Main St", "address2": None, "city": "Boston",
                                   "region": "MA", "country": "US", "zip": "02110"},
            },
            "industry": a["industry"],
            "timezone": a["timezone"],
            "preferred_currency": a["preferred_currency"],
            "public_api_key": f"Pk{account_id}",
            "locale": a["locale"],
        },
    }


def metric(index: int, anchor: datetime, variant: int = 0) -> dict[str, Any]:
    return {
        "type": "metric",
        "id": f"M{index:05d}",
        "attributes": {
            "name": METRIC_NAMES[(index + variant) % len(METRIC_NAMES)],
            "created": iso(anchor - timedelta(days=400 - index + 7 * variant)),
            "updated": iso(anchor - timedelta(days=30 - index + variant)),
            "integration": copy.deepcopy(INTEGRATIONS[(index + variant) % len(INTEGRATIONS)]),
        },
    }


def profile(index: int, anchor: datetime, *, version: int = 0, variant: int = 0) -> dict[str, Any]:
    created = anchor - timedelta(days=200 + variant, minutes=index)
    domain = DOMAINS[variant % len(DOMAINS)]
    attributes: dict[str, Any] = {
        "email": None if index % 7 == 3 else f"person{index}.v{version}@{domain}",
        "phone_number": f"+1555000{index:04d}",
        "external_id": f"ext-{index}",
        "first_name": "Zoë" if index % 5 == 0 else f"First{index}" + ("b" * variant),
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


def event(
    index: int, moment: datetime, metric_id: str, profile_id: str | None, variant: int = 0
) -> dict[str, Any]:
    values: list[Any] = [19.99, "12.50", "n/a", None, 0, -5.25]
    properties: dict[str, Any] = {"source": "test", "index": index, "variant": variant}
    value = values[(index + variant) % len(values)]
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
            "uuid": f"00000000-0000-4000-800{variant}-{index:012d}",
        },
        "relationships": {
            "metric": {"data": {"type": "metric", "id": metric_id}},
            "profile": {"data": None if profile_id is None else {"type": "profile", "id": profile_id}},
        },
    }


@dataclass
class KlaviyoRawData:
    """A small deterministic Klaviyo account; `grow` adds new, late and updated rows.

    `variant` changes every resource's contents (names, emails, values, times, which metric an event
    has) but not its id, so two accounts of different variants have colliding ids."""

    anchor: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    account_id: str = ACCOUNT_IDS[0]
    variant: int = 0
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def initial(
        cls, n_metrics: int = 4, n_profiles: int = 12, n_events: int = 40, *,
        account_id: str = ACCOUNT_IDS[0], variant: int = 0, anchor: datetime | None = None,
    ) -> KlaviyoRawData:
        data = cls(account_id=account_id, variant=variant)
        if anchor is not None:
            data.anchor = anchor
        for i in range(n_metrics):
            data._put(data.metrics, metric(i, data.anchor, variant))
        for i in range(n_profiles):
            data._put(data.profiles, profile(i, data.anchor, variant=variant))
        for i in range(n_events):
            data._add_event(i, data.anchor - timedelta(hours=48 - i, minutes=7 * variant))
        return data

    @property
    def account(self) -> dict[str, Any]:
        return account(self.account_id, self.variant)

    def everything(self) -> dict[str, list[dict[str, Any]]]:
        """Every resource of the account, as a full sync reads them."""
        return {"accounts": [self.account], "metrics": list(self.metrics.values()),
                "profiles": list(self.profiles.values()), "events": list(self.events.values())}

    def _put(self, table: dict[str, dict[str, Any]], resource: dict[str, Any]) -> None:
        resource["account_id"] = self.account_id
        table[resource["id"]] = resource

    def _add_event(self, index: int, moment: datetime) -> dict[str, Any]:
        metric_ids, profile_ids = sorted(self.metrics), sorted(self.profiles)
        profile_id = None if index % 9 == 4 else profile_ids[index % len(profile_ids)]
        metric_id = metric_ids[(index + self.variant) % len(metric_ids)]
        resource = event(index, moment, metric_id, profile_id, self.variant)
        self._put(self.events, resource)
        return resource

    def grow(
        self, new_events: int = 6, late_events: int = 3, updated_profiles: int = 2, new_profiles: int = 2
    ) -> dict[str, list[dict[str, Any]]]:
        """Add data; return what a periodic sync reads: new, late, updated and re-read resources."""
        start_p, start_e = len(self.profiles), len(self.events)
        changed_profiles = []
        for i in range(new_profiles):
            changed_profiles.append(profile(start_p + i, self.anchor, variant=self.variant))
        for i in range(updated_profiles):
            changed_profiles.append(profile(i, self.anchor, version=1, variant=self.variant))
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
        return {"accounts": [self.account], "metrics": list(self.metrics.values()),
                "profiles": changed_profiles, "events": events}


def merge_batches(*batches: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Several accounts' resources as one load (each resource keeps its account_id)."""
    merged: dict[str, list[dict[str, Any]]] = {}
    for batch in batches:
        for table, resources in batch.items():
            merged.setdefault(table, []).extend(resources)
    return merged


@dataclass
class TwoAccounts:
    """Two Klaviyo accounts in one warehouse: account 1 as `KlaviyoRawData.initial()`, account 2 a
    smaller one of another variant whose metric, profile and event ids are all also ids of account 1
    (with different contents). Tables are keyed by (account_id, id)."""

    accounts: list[KlaviyoRawData]

    @classmethod
    def initial(cls) -> TwoAccounts:
        first = KlaviyoRawData.initial()
        second = KlaviyoRawData.initial(n_metrics=4, n_profiles=8, n_events=20, account_id=ACCOUNT_IDS[1],
                                        variant=1, anchor=first.anchor)
        return cls([first, second])

    def _table(self, name: str) -> dict[tuple[str, str], dict[str, Any]]:
        return {(a.account_id, key): r for a in self.accounts for key, r in getattr(a, name).items()}

    @property
    def metrics(self) -> dict[tuple[str, str], dict[str, Any]]:
        return self._table("metrics")

    @property
    def profiles(self) -> dict[tuple[str, str], dict[str, Any]]:
        return self._table("profiles")

    @property
    def events(self) -> dict[tuple[str, str], dict[str, Any]]:
        return self._table("events")

    def everything(self) -> dict[str, list[dict[str, Any]]]:
        return merge_batches(*(a.everything() for a in self.accounts))

    def grow(self) -> dict[str, list[dict[str, Any]]]:
        """Both accounts grow (the second by less) and are read in one load."""
        second = self.accounts[1].grow(new_events=3, late_events=2, updated_profiles=1, new_profiles=1)
        return merge_batches(self.accounts[0].grow(), second)


def _account_rows(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": r["id"], "attributes": r["attributes"]} for r in resources]


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
    "accounts": {
        "id": {"data_type": "text", "nullable": False},
        "attributes": {"data_type": "json"},
    },
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
_ROWS = {"accounts": _account_rows, "metrics": _metric_rows, "profiles": _profile_rows, "events": _event_rows}
# the marketing tables (campaigns, flows, attributions, deletions): rows and columns in
# tests/dbt/marketing_seed.py, merge keys here (every other table merges on account_id + id)
_KEYS: dict[str, list[str]] = {}


def register_table(name: str, rows: Any, columns: dict[str, dict[str, Any]], key: list[str]) -> None:
    """Add a raw table to `load_raw` (rows: resources -> row dicts without account_id)."""
    _ROWS[name], _COLUMNS[name], _KEYS[name] = rows, columns, key
_ACCOUNT_ID = {"account_id": {"data_type": "text", "nullable": False}}


def raw_table_rows(
    name: str, resources: list[dict[str, Any]], *, with_account: bool = True
) -> list[dict[str, Any]]:
    """API resources -> rows of raw table `name` (account_id first unless `with_account` is False)."""
    rows = _ROWS[name](resources)
    if not with_account:
        return rows
    return [{"account_id": r["account_id"], **row} for r, row in zip(resources, rows, strict=True)]


def load_raw(
    pipeline: dlt.Pipeline, batch: dict[str, list[dict[str, Any]]], *, with_account: bool = True,
    nullable_account: bool = False,
) -> None:
    """Write API resources into klaviyo_raw.<accounts|metrics|profiles|events|...> (one dlt load).

    `with_account=False`: the previous release's raw shape (no account_id, no accounts table);
    `nullable_account`: account_id added as a nullable column (to tables holding rows without one)."""
    account_column = {"account_id": {**_ACCOUNT_ID["account_id"], "nullable": nullable_account}}

    @dlt.source(name="klaviyo", max_table_nesting=0)  # the loader's source (and dlt schema) name
    def klaviyo() -> list[Any]:
        return [
            dlt.resource(
                raw_table_rows(name, items, with_account=with_account),
                name=name,
                primary_key=["account_id", *_KEYS.get(name, ["id"])] if with_account else "id",
                write_disposition=_MERGE,
                columns={**account_column, **_COLUMNS[name]} if with_account else _COLUMNS[name],
            )
            for name, items in batch.items()
            if items and (with_account or name != "accounts")
        ]

    pipeline.run(klaviyo()).raise_on_failed_jobs()
