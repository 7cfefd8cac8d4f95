"""Read the marts back from DuckDB or PostgreSQL as normalised Python rows (see expected_marts)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

# every mart's key: (account_id, id); klaviyo_account's is account_id alone
MART_KEYS = {"klaviyo_account": ("account_id",), "klaviyo_metric": ("account_id", "metric_id"),
             "klaviyo_profile": ("account_id", "profile_id"), "klaviyo_event": ("account_id", "event_id")}
JSON_COLUMNS = {"integration", "location", "properties", "subscriptions", "predictive_analytics",
                "event_properties", "audiences", "definition"}


def _normalise(column: str, value: Any) -> Any:
    if column in JSON_COLUMNS and isinstance(value, str):
        return json.loads(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def fetch_rows(connection: Any, sql: str) -> list[dict[str, Any]]:
    """Run `sql` on a DB-API connection (duckdb or psycopg2) and return dict rows."""
    cursor = connection.cursor()
    cursor.execute(sql)
    names = [d[0] for d in cursor.description]
    rows = [{n: _normalise(n, v) for n, v in zip(names, record, strict=True)} for record in cursor.fetchall()]
    cursor.close()
    return rows


def mart_snapshot(connection: Any, schema: str = "klaviyo") -> dict[str, list[dict[str, Any]]]:
    """Every mart's rows, ordered by key (duplicates kept, so they can be detected)."""
    return {
        mart: fetch_rows(connection, f"select * from {schema}.{mart} order by {', '.join(key)}")
        for mart, key in MART_KEYS.items()
    }


def column_names(connection: Any, schema: str, table: str) -> list[str]:
    rows = fetch_rows(
        connection,
        "select column_name from information_schema.columns "
        f"where table_schema = '{schema}' and table_name = '{table}' order by ordinal_position",
    )
    return [r["column_name"] for r in rows]
