"""In-place upgrade of a warehouse written before accounts existed (raw rows without account_id).

The previous release keyed every raw table on the bare Klaviyo `id` and kept its cursors at the top
of each resource's state. On the first run with accounts:

1. the raw tables gain the nullable column `account_id` (dlt adds it, with each warehouse's own
   column type, through the stored schema: no dialect SQL here);
2. every existing row without one gets the id of the account the old key belonged to (one plain
   `UPDATE ... WHERE account_id IS NULL` per table, in the warehouse's own transaction);
3. the resources move the old cursors under that account (loader.source.resources), so its next
   run is periodic and reads only the lookback window, merged on (account_id, id): no row is lost
   and none is duplicated.

The account is the only one configured, or the one named by `[sources.klaviyo] upgrade_account`.
Every step can run again: a run that dies half way is upgraded again by the next. The dbt package
rebuilds the marts that lack account_id on its next build (its `on-run-start` hook).

On the filesystem destination files cannot be updated: the column is added for new files, and the
files written before keep no account_id (they hold the upgraded account's data).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import dlt

from loader.errors import SyncError
from loader.source.settings import CURSOR_KEYS

logger = logging.getLogger(__name__)

SCHEMA_NAME = "klaviyo"
RAW_TABLES = ("metrics", "profiles", "events")
ACCOUNT_ID_COLUMN = "account_id"
SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass
class UpgradePlan:
    """What a warehouse written before accounts needs; empty when it is already upgraded."""

    tables: list[str] = field(default_factory=list)  # raw tables without the account_id column
    legacy_state: bool = False  # cursors kept at the top of a resource's state

    @property
    def needed(self) -> bool:
        return bool(self.tables or self.legacy_state)


def plan_upgrade(pipeline: dlt.Pipeline) -> UpgradePlan:
    """Read the stored schema and state (after `sync_destination`) and say what is left to do."""
    plan = UpgradePlan()
    if SCHEMA_NAME in pipeline.schemas:
        schema = pipeline.schemas[SCHEMA_NAME]
        for table in RAW_TABLES:
            columns = schema.tables.get(table, {}).get("columns", {})
            if columns and ACCOUNT_ID_COLUMN not in columns:
                plan.tables.append(table)
    resources = pipeline.state.get("sources", {}).get(SCHEMA_NAME, {}).get("resources", {})
    plan.legacy_state = any(key in resources.get(name, {}) for name, key in CURSOR_KEYS.items())
    return plan


def legacy_account(names: Sequence[str], upgrade_account: str | None) -> str:
    """The configured account whose data the old warehouse holds."""
    if upgrade_account:
        return upgrade_account
    if len(names) == 1:
        return names[0]
    raise SyncError(
        "this warehouse was written before accounts existed and several accounts are configured",
        "[sources.klaviyo] upgrade_account",
        f"set upgrade_account to the account whose key wrote it (one of: {', '.join(names)}), then run again",
        code="config",
    )


def upgrade_tables(pipeline: dlt.Pipeline, plan: UpgradePlan, account_id: str) -> None:
    """Add `account_id` to the old raw tables and fill it with `account_id`."""
    if not plan.tables:
        return
    if not SAFE_ID.match(account_id):
        raise SyncError(f"unexpected account id {account_id!r}", "GET /api/accounts",
                        "report this: Klaviyo account ids are letters and digits")
    schema = pipeline.schemas[SCHEMA_NAME]
    for table in plan.tables:
        schema.update_table({"name": table, "columns": {ACCOUNT_ID_COLUMN: {
            "name": ACCOUNT_ID_COLUMN, "data_type": "text", "nullable": True}}})
    pipeline.schemas.save_schema(schema)
    pipeline.sync_schema(SCHEMA_NAME)
    if pipeline.destination.destination_name == "filesystem":
        logger.warning("files written before accounts keep no account_id (they are account %s's)", account_id)
        return
    with pipeline.sql_client() as client:
        for table in plan.tables:
            name = client.make_qualified_table_name(table)
            column = client.escape_column_name(ACCOUNT_ID_COLUMN)
            client.execute_sql(f"UPDATE {name} SET {column} = '{account_id}' WHERE {column} IS NULL")
            logger.warning("upgraded %s: rows without an account now belong to account %s", table, account_id)
