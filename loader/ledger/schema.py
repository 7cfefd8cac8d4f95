"""The ledger tables as dlt resources: names, keys, write dispositions and column types.

Column types are declared so that a column still empty (e.g. `ended_at` of a running sync) exists
from the first load on, with the same type on every destination.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import dlt
from dlt.common.schema.typing import TColumnSchema
from dlt.extract.resource import DltResource

from loader.ledger.records import ErrorRecord, ImportRecord, ObjectControl, RunRecord, ScheduleRecord

SCHEMA_NAME = "klaviyo_sync_ledger"
RUNS_TABLE = "klaviyo_sync_runs"
ERRORS_TABLE = "klaviyo_sync_errors"
OBJECTS_TABLE = "klaviyo_sync_objects"
SCHEDULE_TABLE = "klaviyo_sync_schedule"
IMPORTS_TABLE = "klaviyo_sync_imports"

_MERGE = {"disposition": "merge", "strategy": "delete-insert"}

_TYPES: dict[str, dict[str, str]] = {
    RUNS_TABLE: {
        "run_id": "text", "object": "text", "kind": "text", "status": "text", "attempt": "bigint",
        "started_at": "timestamp", "trigger": "text", "ended_at": "timestamp",
        "rows_extracted": "bigint", "rows_loaded": "bigint", "cursor_from": "timestamp",
        "cursor_to": "timestamp", "progress_pct": "double", "complete_until": "timestamp",
        "freshness_seconds": "double", "host": "text", "pid": "bigint", "updated_at": "timestamp",
        "account": "text", "account_id": "text",
    },
    ERRORS_TABLE: {
        "run_id": "text", "object": "text", "attempt": "bigint", "summary": "text", "code": "text",
        "external_message": "text", "occurred_at": "timestamp", "account": "text", "account_id": "text",
    },
    OBJECTS_TABLE: {
        "object": "text", "paused": "bool", "disabled": "bool", "updated_at": "timestamp",
        "account": "text", "account_id": "text",
    },
    SCHEDULE_TABLE: {
        "scheduler_id": "text", "every_seconds": "double", "state": "text", "next_run_at": "timestamp",
        "host": "text", "pid": "bigint", "updated_at": "timestamp",
    },
    IMPORTS_TABLE: {
        "import_id": "text", "status": "text", "file": "text", "imported_at": "timestamp",
        "imported_by": "text", "row_count": "bigint", "rows_sent_pct": "double", "byte_count": "bigint",
        "folder": "text", "remote_path": "text", "sftp_host": "text", "sha256": "text",
        "finished_at": "timestamp", "resumed_from": "bigint", "error": "text", "account": "text",
        "account_id": "text", "updated_at": "timestamp",
    },
}
_KEYS: dict[str, tuple[str, ...]] = {
    RUNS_TABLE: ("run_id", "account", "object"),
    ERRORS_TABLE: (),
    OBJECTS_TABLE: ("account", "object"),
    SCHEDULE_TABLE: ("scheduler_id",),
    IMPORTS_TABLE: ("import_id",),
}
# Columns added after the first release: nullable even when part of a key, because dlt adds them with
# ALTER TABLE ... ADD COLUMN, and a NOT NULL column cannot be added to a table that holds rows (the
# previous release's ledger). Their old rows read as NULL, which `LedgerStore` reads as "default".
ADDED_COLUMNS = frozenset({"account", "account_id"})
RECORD_TYPES: dict[str, type] = {
    RUNS_TABLE: RunRecord,
    ERRORS_TABLE: ErrorRecord,
    OBJECTS_TABLE: ObjectControl,
    SCHEDULE_TABLE: ScheduleRecord,
    IMPORTS_TABLE: ImportRecord,
}


def columns_of(table: str) -> list[str]:
    return list(_TYPES[table])


def keys_of(table: str) -> tuple[str, ...]:
    return _KEYS[table]


def _column_hints(table: str) -> dict[str, TColumnSchema]:
    keys = _KEYS[table]
    return {
        name: {
            "data_type": data_type,  # type: ignore[typeddict-item]
            "nullable": name not in keys or name in ADDED_COLUMNS,
        }
        for name, data_type in _TYPES[table].items()
    }


def _resource(table: str, rows: list[dict[str, Any]]) -> DltResource:
    keys = _KEYS[table]
    disposition: dict[str, Any] = {"write_disposition": _MERGE, "primary_key": list(keys)} if keys else {
        "write_disposition": "append"
    }
    return dlt.resource(rows, name=table, columns=_column_hints(table), max_table_nesting=0, **disposition)


def ledger_source(records: Iterable[Any]) -> Any:
    """A dlt source (schema `klaviyo_sync_ledger`) holding the given records, one resource per table."""
    by_table: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        table = next(name for name, kind in RECORD_TYPES.items() if isinstance(record, kind))
        by_table.setdefault(table, []).append(dataclasses.asdict(record))

    @dlt.source(name=SCHEMA_NAME, max_table_nesting=0)
    def ledger() -> list[DltResource]:
        return [_resource(table, rows) for table, rows in by_table.items()]

    return ledger()
