"""SQL that writes the raw tables in the shape dlt gives them on Snowflake and BigQuery.

dlt's own Snowflake and BigQuery destinations cannot load into fakesnow / crucible (stage PUT, load
jobs), so the tests seed with SQL: the contract's columns and types (Snowflake VARIANT / TIMESTAMP_TZ,
BigQuery JSON / TIMESTAMP, upper-cased identifiers on Snowflake as dlt writes them), dlt's
`_dlt_load_id` / `_dlt_id` columns, a completed row in `_dlt_loads` per load, and dlt's merge
(delete-insert on `account_id`, `id`). Timestamps keep the API's own UTC offset, so the models' UTC
conversion is exercised.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

TEXT, TIMESTAMP, BIGINT, JSON = "text", "timestamp", "bigint", "json"
COLUMNS: dict[str, dict[str, str]] = {
    "accounts": {"account_id": TEXT, "id": TEXT, "attributes": JSON},
    "metrics": {"account_id": TEXT, "id": TEXT, "name": TEXT, "created": TIMESTAMP, "updated": TIMESTAMP,
                "integration": JSON},
    "profiles": {"account_id": TEXT, "id": TEXT, "created": TIMESTAMP, "updated": TIMESTAMP,
                 "attributes": JSON, "relationships": JSON},
    "events": {"account_id": TEXT, "id": TEXT, "datetime": TIMESTAMP, "timestamp": BIGINT, "metric_id": TEXT,
               "profile_id": TEXT, "uuid": TEXT, "attributes": JSON},
}
# the marketing tables (tests/dbt/marketing_seed.py): rows from raw_seed's registered row builders
MARKETING_COLUMNS: dict[str, dict[str, str]] = {
    "campaigns": {"account_id": TEXT, "id": TEXT, "created_at": TIMESTAMP, "updated_at": TIMESTAMP,
                  "attributes": JSON, "relationships": JSON},
    "campaign_messages": {"account_id": TEXT, "id": TEXT, "campaign_id": TEXT, "created_at": TIMESTAMP,
                          "updated_at": TIMESTAMP, "attributes": JSON, "relationships": JSON},
    "flows": {"account_id": TEXT, "id": TEXT, "created": TIMESTAMP, "updated": TIMESTAMP, "attributes": JSON,
              "relationships": JSON},
    "flow_actions": {"account_id": TEXT, "id": TEXT, "flow_id": TEXT, "created": TIMESTAMP,
                     "updated": TIMESTAMP,
                     "attributes": JSON},
    "flow_messages": {"account_id": TEXT, "id": TEXT, "flow_action_id": TEXT, "created": TIMESTAMP,
                      "updated": TIMESTAMP, "attributes": JSON},
    "event_attributions": {"account_id": TEXT, "event_id": TEXT, "attribution_id": TEXT,
                           "attributed_event_id": TEXT, "campaign_id": TEXT, "campaign_message_id": TEXT,
                           "flow_id": TEXT, "flow_message_id": TEXT, "flow_message_variation_id": TEXT},
    "deletions": {"account_id": TEXT, "object": TEXT, "id": TEXT, "detected_at": TIMESTAMP, "reason": TEXT},
}
# lists, segments and members (tests/dbt/membership_seed.py), rows from the same registered builders
MEMBERSHIP_COLUMNS: dict[str, dict[str, str]] = {
    "lists": {"account_id": TEXT, "id": TEXT, "created": TIMESTAMP, "updated": TIMESTAMP, "attributes": JSON},
    "segments": {"account_id": TEXT, "id": TEXT, "created": TIMESTAMP, "updated": TIMESTAMP,
                 "attributes": JSON},
    "list_members": {"account_id": TEXT, "list_id": TEXT, "profile_id": TEXT, "joined_at": TIMESTAMP,
                     "removed_at": TIMESTAMP},
    "segment_members": {"account_id": TEXT, "segment_id": TEXT, "profile_id": TEXT, "joined_at": TIMESTAMP,
                        "removed_at": TIMESTAMP},
}
MERGE_KEYS = {"event_attributions": ("event_id", "attribution_id"), "deletions": ("object", "id"),
              "list_members": ("list_id", "profile_id"), "segment_members": ("segment_id", "profile_id")}
ALL_COLUMNS = {**COLUMNS, **MARKETING_COLUMNS, **MEMBERSHIP_COLUMNS}
LOADS_COLUMNS = {"load_id": TEXT, "schema_name": TEXT, "status": BIGINT, "inserted_at": TIMESTAMP,
                 "schema_version_hash": TEXT}
_TYPES = {
    "snowflake": {TEXT: "VARCHAR", TIMESTAMP: "TIMESTAMP_TZ", BIGINT: "NUMBER(19,0)", JSON: "VARIANT"},
    "bigquery": {TEXT: "STRING", TIMESTAMP: "TIMESTAMP", BIGINT: "INT64", JSON: "JSON"},
}


def raw_rows(table: str, resources: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """API resources -> the raw table's rows, as the loader writes them (contract.md)."""
    if table in MARKETING_COLUMNS or table in MEMBERSHIP_COLUMNS:
        from tests.dbt.raw_seed import raw_table_rows

        return raw_table_rows(table, list(resources))
    rows = []
    for r in resources:
        attrs, rel = r["attributes"], r.get("relationships") or {}
        if table == "accounts":
            row = {"id": r["id"], "attributes": attrs}
        elif table == "metrics":
            row = {"id": r["id"], "name": attrs["name"], "created": attrs["created"],
                   "updated": attrs["updated"], "integration": attrs.get("integration")}
        elif table == "profiles":
            row = {"id": r["id"], "created": attrs["created"], "updated": attrs["updated"],
                   "attributes": attrs, "relationships": r.get("relationships")}
        else:
            profile = (rel.get("profile") or {}).get("data")
            row = {"id": r["id"], "datetime": attrs["datetime"], "timestamp": attrs["timestamp"],
                   "metric_id": rel["metric"]["data"]["id"], "profile_id": profile and profile["id"],
                   "uuid": attrs["uuid"], "attributes": attrs}
        rows.append({"account_id": r["account_id"], **row})
    return rows


@dataclass(frozen=True)
class RawSeeder:
    """Statements for one dialect ('snowflake' or 'bigquery'); `schema` is fully qualified."""

    dialect: str
    schema: str

    def _table(self, name: str) -> str:
        if self.dialect == "bigquery":
            return f"`{self.schema}.{name}`"
        return f"{self.schema}.{name}"

    def _string(self, text: str) -> str:
        escaped = text.replace("\\", "\\\\")
        escaped = escaped.replace("'", "\\'") if self.dialect == "bigquery" else escaped.replace("'", "''")
        return f"'{escaped}'"

    def _literal(self, kind: str, value: Any) -> str:
        if value is None:
            return "NULL"
        if kind == BIGINT:
            return str(int(value))
        if kind == JSON:
            text = self._string(json.dumps(value, ensure_ascii=False))
            return f"PARSE_JSON({text})"
        if kind == TIMESTAMP:
            stamp = value.isoformat() if isinstance(value, datetime) else value
            return f"CAST({self._string(stamp)} AS {_TYPES[self.dialect][TIMESTAMP]})"
        return self._string(str(value))

    def create_tables(self, *, marketing: bool = False, membership: bool = False) -> list[str]:
        """The raw tables (with `marketing`, also campaigns, flows, attributions and deletions; with
        `membership`, lists, segments, their members and deletions)."""
        types = _TYPES[self.dialect]
        statements = []
        tables = {**COLUMNS, **(MARKETING_COLUMNS if marketing else {})}
        if membership:
            tables |= {**MEMBERSHIP_COLUMNS, "deletions": MARKETING_COLUMNS["deletions"]}
        for name, columns in [*tables.items(), ("_dlt_loads", LOADS_COLUMNS)]:
            defs = [f"{col} {types[kind]}" for col, kind in columns.items()]
            if name != "_dlt_loads":
                defs += [f"_dlt_load_id {types[TEXT]} NOT NULL", f"_dlt_id {types[TEXT]} NOT NULL"]
            statements.append(f"CREATE TABLE {self._table(name)} ({', '.join(defs)})")
        return statements

    def _delete_keys(self, table: str, keys: list[tuple[str, ...]]) -> str:
        """dlt's merge: drop the rows whose (account_id, id) (or own key) the load brings again."""
        listed = ", ".join(self._string("/".join(k)) for k in sorted(set(keys)))
        key = "CONCAT(" + ", '/', ".join(["account_id", *MERGE_KEYS.get(table, ("id",))]) + ")"
        if self.dialect == "bigquery":  # crucible has no DELETE: rewrite the table without those rows
            name = self._table(table)
            return f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name} WHERE {key} NOT IN ({listed})"
        return f"DELETE FROM {self._table(table)} WHERE {key} IN ({listed})"

    def load(self, batch: dict[str, list[dict[str, Any]]], load_id: str, finished_at: datetime) -> list[str]:
        """One dlt load: per table delete the ids it brings, insert its rows; then mark it completed."""
        statements = []
        for name, resources in batch.items():
            rows = raw_rows(name, resources)
            if not rows:
                continue
            key = ["account_id", *MERGE_KEYS.get(name, ("id",))]
            statements.append(self._delete_keys(name, [tuple(row[k] for k in key) for row in rows]))
            selects = []
            for row in rows:
                values = [self._literal(kind, row[col]) for col, kind in ALL_COLUMNS[name].items()]
                values += [self._string(load_id), self._string(uuid.uuid4().hex[:14])]
                selects.append("SELECT " + ", ".join(values))
            columns = ", ".join([*ALL_COLUMNS[name], "_dlt_load_id", "_dlt_id"])
            statements.append(f"INSERT INTO {self._table(name)} ({columns}) " + " UNION ALL ".join(selects))
        loads = ", ".join(LOADS_COLUMNS)
        done = [self._string(load_id), self._string("klaviyo"), "0",
                self._literal(TIMESTAMP, finished_at), self._string("seed")]
        statements.append(f"INSERT INTO {self._table('_dlt_loads')} ({loads}) SELECT {', '.join(done)}")
        return statements
