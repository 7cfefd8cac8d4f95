"""The members the warehouse holds as current, read back for the reconcile pass's diff.

Known member ids are not kept in dlt state: a list can hold millions of profiles (an account up to
1000 lists and segments), and dlt state is one JSON document rewritten with every load. The raw
table (`list_members` / `segment_members`) already holds them, so the reconcile reads one group's
current members (`removed_at IS NULL`) through dlt's own `sql_client` with portable SQL (a plain
SELECT with `%s` parameters, which every dlt SQL client takes) and diffs them against the listing.

A destination without SQL (dlt's filesystem destination without its SQL layer) has nothing to diff
against: leaves are then not detected, which `KnownMembers.available` tells and the docs say.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from dlt.destinations.exceptions import DatabaseUndefinedRelation

from loader.source.membership_rows import GROUP_KEYS, MEMBER_TABLES

log = logging.getLogger(__name__)


class KnownMembers:
    """Reads the current members of one account's groups of one kind (list or segment)."""

    def __init__(self, pipeline: Any, account_id: str, kind: str) -> None:
        self.pipeline, self.account_id, self.kind = pipeline, account_id, kind
        self.table = MEMBER_TABLES[kind]
        self._exists: bool | None = None
        self.available = True

    def current(self, group_id: str) -> dict[str, datetime | None]:
        """profile id -> joined_at of the group's members whose `removed_at` is NULL."""
        if not self._table_exists():
            return {}
        sql = (f"SELECT profile_id, joined_at FROM {{table}} WHERE account_id = %s AND "
               f"{GROUP_KEYS[self.kind]} = %s AND removed_at IS NULL")
        with self.pipeline.sql_client() as client:
            rows = client.execute_sql(sql.format(table=client.make_qualified_table_name(self.table)),
                                      self.account_id, group_id)
        return {str(profile_id): _utc(joined) for profile_id, joined in rows or []}

    def _table_exists(self) -> bool:
        if self._exists is None:
            self._exists = self._probe()
        return self._exists

    def _probe(self) -> bool:
        try:
            with self.pipeline.sql_client() as client:
                if not client.has_dataset():
                    return False
                name = client.make_qualified_table_name(self.table)
                client.execute_sql(f"SELECT profile_id FROM {name} WHERE 1 = 0")
                return True
        except DatabaseUndefinedRelation:
            return False
        except NotImplementedError:  # no SQL client for this destination
            log.warning("Error: cannot read %s back (%s) - leaves are not detected on this destination",
                        self.table, type(self.pipeline.destination).__name__)
            self.available = False
            return False


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)
