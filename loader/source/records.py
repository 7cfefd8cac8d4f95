"""API resources -> raw rows, exactly the columns of the data contract (docs/data-contract.md).

Every row carries `account_id` (Klaviyo's id of the account it was read from) and merges on
(account_id, id): Klaviyo does not document ids as unique across accounts. `account_id` is declared
nullable only so that it can be added to the tables of a warehouse written before accounts existed
(see loader.upgrade); the loader never writes a row without it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

import orjson
import pyarrow as pa
from dlt.common.schema.typing import TColumnSchema, TTableSchemaColumns

from loader.source.slices import parse_dt

ACCOUNT_ID: TColumnSchema = {"data_type": "text", "nullable": True, "primary_key": True}
ACCOUNT_COLUMNS: TTableSchemaColumns = {
    "account_id": ACCOUNT_ID,
    "id": {"data_type": "text", "nullable": False, "primary_key": True},
    "attributes": {"data_type": "json", "nullable": True},
}
METRIC_COLUMNS: TTableSchemaColumns = {
    "account_id": ACCOUNT_ID,
    "id": {"data_type": "text", "nullable": False, "primary_key": True},
    "name": {"data_type": "text", "nullable": True},
    "created": {"data_type": "timestamp", "timezone": True, "nullable": True},
    "updated": {"data_type": "timestamp", "timezone": True, "nullable": True},
    "integration": {"data_type": "json", "nullable": True},
}
PROFILE_COLUMNS: TTableSchemaColumns = {
    "account_id": ACCOUNT_ID,
    "id": {"data_type": "text", "nullable": False, "primary_key": True},
    "created": {"data_type": "timestamp", "timezone": True, "nullable": True},
    "updated": {"data_type": "timestamp", "timezone": True, "nullable": True},
    "attributes": {"data_type": "json", "nullable": True},
    "relationships": {"data_type": "json", "nullable": True},
}
EVENT_COLUMNS: TTableSchemaColumns = {
    "account_id": ACCOUNT_ID,
    "id": {"data_type": "text", "nullable": False, "primary_key": True},
    "datetime": {"data_type": "timestamp", "timezone": True, "nullable": True},
    "timestamp": {"data_type": "bigint", "nullable": True},
    "metric_id": {"data_type": "text", "nullable": True},
    "profile_id": {"data_type": "text", "nullable": True},
    "uuid": {"data_type": "text", "nullable": True},
    "attributes": {"data_type": "json", "nullable": True},
}



# a fresh dict per column: dlt writes each column's name into its schema dict
def _timestamp() -> TColumnSchema:
    return {"data_type": "timestamp", "timezone": True, "nullable": True}


def _text() -> TColumnSchema:
    return {"data_type": "text", "nullable": True}


def _json() -> TColumnSchema:
    return {"data_type": "json", "nullable": True}


def _key() -> TColumnSchema:
    return {"data_type": "text", "nullable": False, "primary_key": True}


CAMPAIGN_COLUMNS: TTableSchemaColumns = {
    "account_id": ACCOUNT_ID, "id": _key(), "created_at": _timestamp(), "updated_at": _timestamp(),
    "attributes": _json(), "relationships": _json(),
}
CAMPAIGN_MESSAGE_COLUMNS: TTableSchemaColumns = {
    "account_id": ACCOUNT_ID, "id": _key(), "campaign_id": _text(), "created_at": _timestamp(),
    "updated_at": _timestamp(), "attributes": _json(), "relationships": _json(),
}
FLOW_COLUMNS: TTableSchemaColumns = {
    "account_id": ACCOUNT_ID, "id": _key(), "created": _timestamp(), "updated": _timestamp(),
    "attributes": _json(), "relationships": _json(),
}
FLOW_ACTION_COLUMNS: TTableSchemaColumns = {
    "account_id": ACCOUNT_ID, "id": _key(), "flow_id": _text(), "created": _timestamp(),
    "updated": _timestamp(), "attributes": _json(),
}
FLOW_MESSAGE_COLUMNS: TTableSchemaColumns = {
    "account_id": ACCOUNT_ID, "id": _key(), "flow_action_id": _text(), "created": _timestamp(),
    "updated": _timestamp(), "attributes": _json(),
}
# which attribution relationship fills which column (NULL when the relationship has no data)
ATTRIBUTION_RELATIONSHIPS = {
    "attributed_event_id": "attributed-event",
    "campaign_id": "campaign",
    "campaign_message_id": "campaign-message",
    "flow_id": "flow",
    "flow_message_id": "flow-message",
    "flow_message_variation_id": "flow-message-variation",
}
EVENT_ATTRIBUTION_COLUMNS: TTableSchemaColumns = {
    "account_id": ACCOUNT_ID,
    "event_id": _key(),
    "attribution_id": _key(),
    **{name: _text() for name in ATTRIBUTION_RELATIONSHIPS},
}
DELETION_COLUMNS: TTableSchemaColumns = {
    "account_id": ACCOUNT_ID,
    "object": _key(),
    "id": _key(),
    "detected_at": _timestamp(),
    "reason": _text(),
}


def account_row(item: dict[str, Any]) -> dict[str, Any]:
    return {"account_id": item["id"], "id": item["id"], "attributes": item["attributes"]}


def metric_row(account_id: str, item: dict[str, Any]) -> dict[str, Any]:
    attributes = item["attributes"]
    return {
        "account_id": account_id,
        "id": item["id"],
        "name": attributes.get("name"),
        "created": parse_dt(attributes.get("created")),
        "updated": parse_dt(attributes.get("updated")),
        "integration": attributes.get("integration"),
    }


def profile_row(account_id: str, item: dict[str, Any]) -> dict[str, Any]:
    attributes = item["attributes"]
    return {
        "account_id": account_id,
        "id": item["id"],
        "created": parse_dt(attributes.get("created")),
        "updated": parse_dt(attributes.get("updated")),
        "attributes": attributes,
        "relationships": item.get("relationships"),
    }


def event_row(account_id: str, item: dict[str, Any]) -> dict[str, Any]:
    attributes = item["attributes"]
    relationships = item.get("relationships") or {}
    timestamp = attributes.get("timestamp")
    return {
        "account_id": account_id,
        "id": item["id"],
        "datetime": parse_dt(attributes.get("datetime")),
        "timestamp": int(timestamp) if timestamp is not None else None,
        "metric_id": _related_id(relationships, "metric"),
        "profile_id": _related_id(relationships, "profile"),
        "uuid": attributes.get("uuid"),
        "attributes": attributes,
    }


def campaign_row(account_id: str, item: dict[str, Any]) -> dict[str, Any]:
    attributes = item["attributes"]
    return {
        "account_id": account_id, "id": item["id"],
        "created_at": parse_dt(attributes.get("created_at")),
        "updated_at": parse_dt(attributes.get("updated_at")),
        "attributes": attributes, "relationships": data_only(item.get("relationships")),
    }


def campaign_message_row(account_id: str, campaign_id: str, item: dict[str, Any]) -> dict[str, Any]:
    attributes = item["attributes"]
    return {
        "account_id": account_id, "id": item["id"], "campaign_id": campaign_id,
        "created_at": parse_dt(attributes.get("created_at")),
        "updated_at": parse_dt(attributes.get("updated_at")),
        "attributes": attributes, "relationships": data_only(item.get("relationships")),
    }


def flow_row(account_id: str, item: dict[str, Any]) -> dict[str, Any]:
    attributes = item["attributes"]
    return {
        "account_id": account_id, "id": item["id"],
        "created": parse_dt(attributes.get("created")), "updated": parse_dt(attributes.get("updated")),
        "attributes": attributes, "relationships": data_only(item.get("relationships")),
    }


def flow_child_row(account_id: str, parent: str, parent_id: str, item: dict[str, Any]) -> dict[str, Any]:
    """A flow action (`parent` "flow_id") or a flow message (`parent` "flow_action_id")."""
    attributes = item["attributes"]
    return {
        "account_id": account_id, "id": item["id"], parent: parent_id,
        "created": parse_dt(attributes.get("created")), "updated": parse_dt(attributes.get("updated")),
        "attributes": attributes,
    }


def deletion_row(account_id: str, obj: str, object_id: str, detected_at: Any) -> dict[str, Any]:
    return {"account_id": account_id, "object": obj, "id": object_id, "detected_at": detected_at,
            "reason": "not_listed"}


def attribution_rows(
    account_id: str, events: list[dict[str, Any]], included: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One row per (event, attribution) of a page fetched with `include=attributions`: each event
    names its attributions in `relationships.attributions.data`, their resources are in `included`."""
    return [row for _, row in indexed_attribution_rows(account_id, events, included)]


def indexed_attribution_rows(
    account_id: str, events: list[dict[str, Any]], included: list[dict[str, Any]]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """`attribution_rows`, each with the position of its event in `events`."""
    found = {item.get("id"): item for item in included if item.get("type") == "attribution"}
    for position, event in enumerate(events):
        listed = ((event.get("relationships") or {}).get("attributions") or {}).get("data") or []
        for ref in listed:
            attribution = found.get(ref.get("id")) if isinstance(ref, dict) else None
            if attribution is None:
                continue
            related = attribution.get("relationships") or {}
            row: dict[str, Any] = {"account_id": account_id, "event_id": event["id"],
                                   "attribution_id": attribution["id"]}
            for column, name in ATTRIBUTION_RELATIONSHIPS.items():
                row[column] = _related_id(related, name)
            yield position, row


def data_only(relationships: dict[str, Any] | None) -> dict[str, Any] | None:
    """A resource's `relationships` without `links` (each relationship's `data` only)."""
    if relationships is None:
        return None
    return {name: {k: v for k, v in value.items() if k != "links"} if isinstance(value, dict) else value
            for name, value in relationships.items() if name != "links"}


def _related_id(relationships: dict[str, Any], name: str) -> str | None:
    related = relationships.get(name)
    if not isinstance(related, dict):
        return None
    data = related.get("data")
    return data.get("id") if isinstance(data, dict) else None


# Arrow pages: dlt writes them as parquet and loads them without normalising row by row, which is
# several times faster than dict rows on DuckDB and PostgreSQL. JSON columns travel as JSON text
# (the destination casts to JSON/jsonb per the column hints above).
_TS = pa.timestamp("us", tz="UTC")
EVENT_ARROW = pa.schema([
    pa.field("account_id", pa.string()), pa.field("id", pa.string(), nullable=False),
    pa.field("datetime", _TS), pa.field("timestamp", pa.int64()),
    pa.field("metric_id", pa.string()), pa.field("profile_id", pa.string()), pa.field("uuid", pa.string()),
    pa.field("attributes", pa.string()),
])
ATTRIBUTION_ARROW = pa.schema(
    [pa.field("account_id", pa.string()), pa.field("event_id", pa.string(), nullable=False),
     pa.field("attribution_id", pa.string(), nullable=False)]
    + [pa.field(name, pa.string()) for name in ATTRIBUTION_RELATIONSHIPS]
)
PROFILE_ARROW = pa.schema([
    pa.field("account_id", pa.string()), pa.field("id", pa.string(), nullable=False),
    pa.field("created", _TS), pa.field("updated", _TS),
    pa.field("attributes", pa.string()), pa.field("relationships", pa.string()),
])


class _ArrowJsonHintNotice(logging.Filter):
    """dlt warns once per arrow page that our `json` hint differs from the arrow `string` column.

    That difference is the design (JSON text cast by the destination into its JSON type), so the
    notice is dropped for our two arrow resources; every other dlt warning passes.
    """

    PREFIXES = tuple(f"In resource: {name}, when merging arrow schema" for name in ("events", "profiles"))

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.PREFIXES)


logging.getLogger("dlt").addFilter(_ArrowJsonHintNotice())


def timestamp_array(values: list[str | None]) -> pa.Array:
    """ISO strings -> UTC timestamps: arrow parses those with an offset; Python the rest."""
    try:
        return pa.array(values, pa.string()).cast(_TS)
    except pa.ArrowInvalid:
        return pa.array([parse_dt(v) for v in values], _TS)


def json_text_array(values: Sequence[bytes | None]) -> pa.Array:
    return pa.array(values, pa.binary()).cast(pa.string())


def data_id(relationships: dict[str, Any], name: str) -> str | None:
    data = (relationships.get(name) or {}).get("data")
    return data["id"] if data else None


def account_column(account_id: str, rows: int) -> pa.Array:
    return pa.array([account_id] * rows, pa.string())


def event_table(account_id: str, items: list[dict[str, Any]]) -> pa.Table:
    """One page of events as an arrow table (one tight loop: this runs for every page)."""
    ids, datetimes, timestamps, metrics, profiles, uuids, texts = [], [], [], [], [], [], []
    dumps = orjson.dumps
    for item in items:
        attributes, relationships = item["attributes"], item.get("relationships") or {}
        ids.append(item["id"])
        datetimes.append(attributes.get("datetime"))
        timestamps.append(attributes.get("timestamp"))
        metrics.append(data_id(relationships, "metric"))
        profiles.append(data_id(relationships, "profile"))
        uuids.append(attributes.get("uuid"))
        texts.append(dumps(attributes))
    return event_arrow(account_id, ids, datetimes, timestamps, metrics, profiles, uuids,
                       json_text_array(texts))


def event_arrow(
    account_id: str, ids: list[str], datetimes: list[str | None], timestamps: list[int | None],
    metrics: list[str | None], profiles: list[str | None], uuids: list[str | None], attributes: pa.Array,
) -> pa.Table:
    """The EVENT_ARROW table of these columns (`attributes`: the JSON texts, an arrow string array)."""
    columns = [account_column(account_id, len(ids)), pa.array(ids, pa.string()), timestamp_array(datetimes),
               pa.array(timestamps, pa.int64()), pa.array(metrics, pa.string()),
               pa.array(profiles, pa.string()), pa.array(uuids, pa.string()), attributes]
    return pa.Table.from_arrays(columns, schema=EVENT_ARROW)


def profile_table(account_id: str, items: list[dict[str, Any]]) -> pa.Table:
    ids, created, updated, texts, relationships = [], [], [], [], []
    dumps = orjson.dumps
    for item in items:
        attributes, related = item["attributes"], item.get("relationships")
        ids.append(item["id"])
        created.append(attributes.get("created"))
        updated.append(attributes.get("updated"))
        texts.append(dumps(attributes))
        relationships.append(None if related is None else dumps(related))
    columns = [account_column(account_id, len(ids)), pa.array(ids, pa.string()), timestamp_array(created),
               timestamp_array(updated),
               json_text_array(texts), json_text_array(relationships)]
    return pa.Table.from_arrays(columns, schema=PROFILE_ARROW)
