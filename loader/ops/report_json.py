"""The `--json` documents of `status` and `errors` (schema version 2; timestamps ISO 8601 UTC).

Version 2 (several accounts): every tab row and error names its `account` (errors also `account_id`;
a run-level error has account null), and `connection.accounts` lists each account's connection.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loader.ledger.records import ErrorRecord
from loader.ledger.view import LedgerView, TabRow

SCHEMA_VERSION = 2


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def status_document(view: LedgerView, destination: str, dataset: str) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": iso(view.now),
        "connection": {
            "destination": destination,
            "dataset": dataset,
            "status": view.connection,
            "errors_24h": len(view.recent_errors),
            "last_sync_at": iso(view.last_sync_at),
            "next_run_at": iso(view.next_run_at),
            "accounts": [
                {"name": account, "status": view.account_connection(account),
                 "errors_24h": len([e for e in view.recent_errors if e.account == account])}
                for account in view.accounts
            ],
        },
        "historical": [_historical(row) for row in view.historical],
        "periodic": [_periodic(row) for row in view.periodic],
        "errors_24h": [error_document(e) for e in view.recent_errors],
    }


def errors_document(errors: list[ErrorRecord], since: datetime, now: datetime) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": iso(now),
        "since": iso(since),
        "errors": [error_document(e) for e in errors],
    }


def error_document(error: ErrorRecord) -> dict[str, Any]:
    return {
        "run_id": error.run_id,
        "account": error.account,
        "account_id": error.account_id,
        "object": error.object,
        "attempt": error.attempt,
        "summary": error.summary,
        "code": error.code,
        "external_message": error.external_message,
        "occurred_at": iso(error.occurred_at),
    }


def _common(row: TabRow) -> dict[str, Any]:
    return {
        "account": row.account,
        "name": row.name,
        "status": row.status,
        "progress_pct": row.progress_pct if row.status == "In progress" else None,
        "run_id": row.run_id,
        "attempt": row.attempt,
    }


def _historical(row: TabRow) -> dict[str, Any]:
    return {**_common(row), "started_at": iso(row.started_at), "ended_at": iso(row.ended_at)}


def _periodic(row: TabRow) -> dict[str, Any]:
    return {
        **_common(row),
        "freshness_seconds": row.freshness_seconds,
        "complete_until": iso(row.complete_until),
        "last_run_at": iso(row.last_run_at),
        "next_run_at": iso(row.next_run_at),
    }
