"""Terminal tables for `status` and `errors` (rich)."""

from __future__ import annotations

from datetime import datetime, timedelta

import humanize
from rich.console import Console
from rich.table import Table

from loader.ledger import statuses
from loader.ledger.records import ErrorRecord
from loader.ledger.view import LedgerView

STYLES = {
    statuses.COMPLETED: "green", statuses.SCHEDULED: "cyan", statuses.IN_PROGRESS: "blue",
    statuses.ERRORED: "yellow", statuses.FAILED: "bold red", statuses.PAUSED: "magenta",
    statuses.DISABLED: "dim",
}


def when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S} UTC" if value else "-"


def age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return humanize.naturaldelta(timedelta(seconds=seconds)) if seconds >= 1 else "now"


def _status(status: str, pct: float | None) -> str:
    return f"[{STYLES.get(status, '')}]{statuses.display(status, pct)}[/]"


def print_status(console: Console, view: LedgerView, destination: str, dataset: str) -> None:
    console.print(
        f"[bold]Destination[/] {destination} (dataset {dataset})   [bold]{view.connection}[/]   "
        f"errors in the last 24 h: {len(view.recent_errors)}   last sync: {when(view.last_sync_at)}"
    )
    historical = Table("Name", "Status", "Started", "Ended", title="Historical", title_justify="left")
    for row in view.historical:
        status = _status(row.status, row.progress_pct)
        historical.add_row(row.name, status, when(row.started_at), when(row.ended_at))
    periodic = Table(
        "Name", "Status", "Freshness", "Last run", "Next run", title="Periodic", title_justify="left"
    )
    for row in view.periodic:
        periodic.add_row(
            row.name, _status(row.status, row.progress_pct), age(row.freshness_seconds),
            when(row.last_run_at), when(row.next_run_at),
        )
    if not view.historical and not view.periodic:
        console.print("No sync has run yet: run `klaviyo-sync run` (or `klaviyo-sync schedule`).")
        return
    console.print(historical)
    console.print(periodic)
    print_errors(console, view.recent_errors, "Errors in the last 24 hours")


def print_errors(console: Console, errors: list[ErrorRecord], title: str) -> None:
    if not errors:
        console.print(f"{title}: none")
        return
    table = Table("Date", "Object", "Summary", "Code", "External message", title=title, title_justify="left")
    for error in errors:
        table.add_row(
            when(error.occurred_at), error.object or "-", error.summary, error.code, error.external_message
        )
    console.print(table)
