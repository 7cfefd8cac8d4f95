"""What the warehouse already holds of profiles, read back through dlt's own `sql_client` with
portable SQL only (plain SELECT / DELETE with `%s` parameters, which every dlt SQL client takes):
the reconcile diffs the listing against it, redaction and `forget` rewrite what it returns."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from dlt.destinations.exceptions import DatabaseUndefinedRelation

BATCH = 500  # ids per IN (...) list


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


class Stored:
    """One account's stored profiles, deletions and events in one dlt pipeline's dataset."""

    def __init__(self, pipeline: Any, account_id: str) -> None:
        self.pipeline, self.account_id = pipeline, account_id

    def _query(self, table: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Rows of `sql` ({t} is `table` qualified); [] when the table (or the dataset) is missing."""
        try:
            with self.pipeline.sql_client() as client:
                if not client.has_dataset():
                    return []
                text = sql.format(t=client.make_qualified_table_name(table))
                return [tuple(r) for r in client.execute_sql(text, *args) or []]
        except DatabaseUndefinedRelation:
            return []

    def execute(self, table: str, sql: str, *args: Any) -> None:
        """A statement on `table` (missing table: nothing to do)."""
        try:
            with self.pipeline.sql_client() as client:
                if client.has_dataset():
                    client.execute_sql(sql.format(t=client.make_qualified_table_name(table)), *args)
        except DatabaseUndefinedRelation:
            return

    def profile_ids(self) -> set[str]:
        rows = self._query("profiles", "SELECT id FROM {t} WHERE account_id = %s", self.account_id)
        return {str(r[0]) for r in rows}

    def deleted_profile_ids(self) -> set[str]:
        rows = self._query("deletions", "SELECT id FROM {t} WHERE account_id = %s AND object = %s",
                           self.account_id, "profile")
        return {str(r[0]) for r in rows}

    def profiles(self, ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        """The stored profiles, as the API's resources (id, attributes, relationships)."""
        for part in _batches(ids):
            marks = ", ".join(["%s"] * len(part))
            sql = (f"SELECT id, attributes, relationships FROM {{t}} "
                   f"WHERE account_id = %s AND id IN ({marks})")
            for r in self._query("profiles", sql, self.account_id, *part):
                yield {"id": r[0], "attributes": _json(r[1]), "relationships": _json(r[2])}

    def events(self, profile_ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        """The stored events of these profiles, as the API's resources (their metric and profile as
        relationships)."""
        for part in _batches(profile_ids):
            marks = ", ".join(["%s"] * len(part))
            sql = (f"SELECT id, metric_id, profile_id, attributes FROM {{t}} "
                   f"WHERE account_id = %s AND profile_id IN ({marks})")
            for r in self._query("events", sql, self.account_id, *part):
                yield {"id": r[0], "attributes": _json(r[3]), "relationships": {
                    "metric": {"data": {"type": "metric", "id": r[1]} if r[1] else None},
                    "profile": {"data": {"type": "profile", "id": r[2]} if r[2] else None}}}

    def find(self, field: str, value: str) -> list[str]:
        """Ids of the stored profiles whose attribute `field` equals `value` (case-insensitive).
        Read in Python: JSON paths are not portable SQL."""
        wanted = value.strip().lower()
        rows = self._query("profiles", "SELECT id, attributes FROM {t} WHERE account_id = %s",
                           self.account_id)
        return sorted(str(r[0]) for r in rows
                      if str((_json(r[1]) or {}).get(field) or "").strip().lower() == wanted)

    def delete_rows(self, table: str, column: str, ids: Sequence[str]) -> None:
        """DELETE this account's rows of `table` whose `column` is one of `ids`."""
        for part in _batches(ids):
            marks = ", ".join(["%s"] * len(part))
            self.execute(table, f"DELETE FROM {{t}} WHERE account_id = %s AND {column} IN ({marks})",
                         self.account_id, *part)


def _batches(ids: Sequence[str]) -> Iterator[list[str]]:
    items = list(ids)
    for start in range(0, len(items), BATCH):
        yield items[start:start + BATCH]
