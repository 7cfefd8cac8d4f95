"""Terminal tables for `status` and `errors` (rich); with several accounts, grouped by account."""

from __future__ import annotations

from datetime import datetime, timedelta

import humanize
from rich.console import Console
from rich.table import Table

from loader.ledger import statuses
from loader.ledger.records import ErrorRecord
from loader.ledger.view import LedgerView
from loader.sync_observer import DEFAULT_ACCOUNT

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
    if not view.historical and not view.periodic:
        console.print("No sync has run yet: run `klaviyo-sync run` (or `klaviyo-sync schedule`).")
        return
    accounts: list[str | None] = list(view.accounts) if view.several_accounts else [None]
    for account in accounts:
        suffix = ""
        if account is not None:
            errors = len([e for e in view.recent_errors if e.account == account])
            suffix = f" - account {account}"
            console.print(f"\n[bold]Account {account}[/]   [bold]{view.account_connection(account)}[/]   "
                          f"errors in the last 24 h: {errors}")
        historical = Table("Name", "Status", "Started", "Ended", title="Historical" + suffix,
                           title_justify="left")
        for row in view.historical if account is None else view.rows_of(view.historical, account):
            status = _status(row.status, row.progress_pct)
            historical.add_row(row.name, status, when(row.started_at), when(row.ended_at))
        periodic = Table(
            "Name", "Status", "Freshness", "Last run", "Next run", title="Periodic" + suffix,
            title_justify="left",
        )
        for row in view.periodic if account is None else view.rows_of(view.periodic, account):
            periodic.add_row(
                row.name, _status(row.status, row.progress_pct), age(row.freshness_seconds),
                when(row.last_run_at), when(row.next_run_at),
            )
        console.print(historical)
        console.print(periodic)
    print_errors(console, view.recent_errors, "Errors in the last 24 hours")


def print_errors(console: Console, errors: list[ErrorRecord], title: str) -> None:
    if not errors:
        console.print(f"{title}: none")
        return
    several = len({e.account for e in errors if e.account}) > 1 or any(
        e.account not in (None, DEFAULT_ACCOUNT) for e in errors)
    columns = ("Date", *(("Account",) if several else ()), "Object", "Summary", "Code", "External message")
    table = Table(*columns, title=title, title_justify="left")
    for error in sorted(errors, key=lambda e: (e.account or "", -e.occurred_at.timestamp())) if several \
            else errors:
        account = (error.account or "(all)",) if several else ()
        table.add_row(
            when(error.occurred_at), *account, error.object or "-", error.summary, error.code,
            error.external_message,
        )
    console.print(table)
