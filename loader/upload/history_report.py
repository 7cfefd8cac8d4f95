"""The import history as the `imports` and `status` commands print it (a table, or JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.table import Table

from loader.ledger.records import ImportRecord


def _when(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def share(row: ImportRecord) -> str:
    """The share of the file's rows sent, as Klaviyo's "Rows processed" shows a percentage."""
    return "" if row.rows_sent_pct is None else f"{row.rows_sent_pct:g}%"


def imports_table(rows: list[ImportRecord], several_accounts: bool = False) -> Table:
    """Newest first: status, rows, share sent, date, imported by, file, where it went, error."""
    heads = ["Status", "Rows", "Sent", "Date", "Imported by", "File", "Remote path", "Error"]
    table = Table(*(["Account"] if several_accounts else []), *heads)
    for r in sorted(rows, key=lambda r: r.imported_at, reverse=True):
        cells = [r.status, "" if r.row_count is None else str(r.row_count), share(r),
                 _when(r.imported_at), r.imported_by, r.file, f"{r.sftp_host}/{r.remote_path}", r.error or ""]
        table.add_row(*([r.account] if several_accounts else []), *cells)
    return table


def import_document(row: ImportRecord) -> dict[str, Any]:
    """One import as JSON (the ledger columns; datetimes as ISO 8601 UTC)."""
    return {key: v.isoformat() if isinstance(v, datetime) else v for key, v in vars(row).items()}
