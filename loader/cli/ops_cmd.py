"""Operating the sync: `check`, `status`, `errors`, `pause|resume|enable|disable`, `schedule`, `dashboard`."""

from __future__ import annotations

import json
import signal
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from loader.cli import options
from loader.cli.app import main
from loader.destination import resolve_pipelines_dir
from loader.errors import SyncError
from loader.ledger.statuses import CONTROLLED_OBJECTS

STATUS_IMPORTS = 10  # the latest SFTP imports `status` shows


def _store(destination: str | None) -> Any:
    """The ledger of the configured destination, with the same pipelines_dir as `run`."""
    from loader.ledger.store import LedgerStore

    return LedgerStore.open(destination, resolve_pipelines_dir())


def _duration(text: str, option: str) -> timedelta:
    from loader.source.options import parse_duration

    value = parse_duration(text, option)
    if value is None:
        raise SyncError(f"{option} must be positive, not {text!r}", option, "use e.g. 2s, 30m, 1h, 1d")
    return value


def _echo_json(document: dict[str, Any]) -> None:
    click.echo(json.dumps(document, indent=2))


@main.command("status")
@options.as_json()
@options.destination
def status_command(as_json: bool, destination: str | None) -> None:
    """The Historical and Periodic tabs, the errors of the last 24 hours and the latest SFTP imports."""
    from rich.console import Console

    from loader.ops.queries import load_view
    from loader.ops.report_json import status_document
    from loader.ops.report_text import print_status
    from loader.upload.history_report import import_document, imports_table

    store = _store(destination)
    view = load_view(store)
    imports = store.imports()[-STATUS_IMPORTS:]
    if as_json:
        document = status_document(view, store.destination_name, store.dataset_name)
        document["imports"] = [import_document(row) for row in reversed(imports)]
        _echo_json(document)
    else:
        console = Console()
        print_status(console, view, store.destination_name, store.dataset_name)
        if imports:
            console.print(f"\nImports (latest {len(imports)}; all: klaviyo-sync imports)")
            console.print(imports_table(imports, len({row.account for row in imports}) > 1))


@main.command("errors")
@click.option("--since", default="24h", show_default=True, help="How far back, e.g. 30m, 24h, 7d.")
@options.as_json("Print a JSON document instead of a table.")
@options.destination
def errors_command(since: str, as_json: bool, destination: str | None) -> None:
    """The error timeline: summary, code, external message and date of each error."""
    from rich.console import Console

    from loader.ledger.records import utc_now
    from loader.ops.queries import recent_errors
    from loader.ops.report_json import errors_document
    from loader.ops.report_text import print_errors

    window = _duration(since, "--since")
    now = utc_now()
    errors = recent_errors(_store(destination), window, now)
    if as_json:
        _echo_json(errors_document(errors, now - window, now))
    else:
        print_errors(Console(), errors, f"Errors since {now - window:%Y-%m-%d %H:%M:%S} UTC")


def _accounts(given: tuple[str, ...]) -> tuple[str, ...]:
    """`--account` names (each must be configured), else every configured account."""
    from loader.sync_settings import configured_account_names

    configured = configured_account_names()
    unknown = [name for name in given if name not in configured]
    if unknown:
        raise SyncError(f"unknown account {', '.join(unknown)}", "--account",
                        f"name a configured account: {', '.join(configured)}", code="config")
    return tuple(dict.fromkeys(given)) or configured


def _control_command(action: str, help_text: str) -> None:
    @main.command(action, help=help_text)
    @click.argument("objects", nargs=-1, required=True, type=click.Choice(list(CONTROLLED_OBJECTS)))
    @click.option("--account", "accounts", multiple=True, metavar="NAME",
                  help="Only this account (repeatable; default: every configured account).")
    @options.destination
    def command(objects: tuple[str, ...], accounts: tuple[str, ...], destination: str | None) -> None:
        from loader.ops.controls import set_control, state_of
        from loader.sync_observer import DEFAULT_ACCOUNT

        names = _accounts(accounts)
        plain = names == (DEFAULT_ACCOUNT,)
        for control in set_control(_store(destination), action, objects, names):
            label = control.object if plain else f"{control.account}/{control.object}"
            click.echo(f"{label}: {state_of(control)}")


_control_command("pause", "Pause syncing these objects of the accounts (`run` and the scheduler skip them).")
_control_command("resume", "Resume syncing paused objects of the accounts.")
_control_command("disable", "Disable these objects of the accounts (as if their connection were removed).")
_control_command("enable", "Re-enable disabled objects of the accounts.")


@main.command("check")
@options.objects("Data objects whose API scopes to check (default: the configured ones).")
@options.destination
def check_command(objects: tuple[str, ...] | None, destination: str | None) -> None:
    """Verify the API key (and its scopes) and the destination: Enabled, or Unable to connect."""
    from loader.ops.check import UNABLE, check_connection
    from loader.sync_settings import SyncSettings

    settings = SyncSettings.resolve(objects=objects, destination=destination)
    result = check_connection(settings)
    click.echo(f"Destination: {result.destination} (dataset {result.dataset})")

    def show(item: Any) -> None:
        mark = "ok " if item.ok else "FAIL"
        click.echo(f"  [{mark}] {item.name}: {item.message}" + (f" (code {item.code})" if item.code else ""))
        if not item.ok and item.hint:
            click.echo(f"         hint: {item.hint}")

    for account in result.accounts:
        label = account.account_name or "unnamed"
        known = f" - {label} (id {account.account_id})" if account.account_id else ""
        click.echo(f"Account {account.name}{known}: {account.status}")
        for item in account.items:
            show(item)
    if result.destination_item is not None:
        show(result.destination_item)
    click.echo(result.status)
    if result.status == UNABLE:
        sys.exit(1)


@main.command("schedule")
@click.option("--every", default="1h", show_default=True, help="Interval between periodic syncs.")
@options.objects()
@options.no_dbt
@options.dbt_dir
@options.destination
def schedule_command(every: str, objects: tuple[str, ...] | None, no_dbt: bool, dbt_dir: Path | None,
                     destination: str | None) -> None:
    """Run a periodic sync every interval, one at a time, until SIGTERM or Ctrl-C."""
    import dlt

    from loader.ops.scheduler import Scheduler
    from loader.sync_settings import SyncSettings

    # Our handlers below own SIGTERM/SIGINT: dlt must not swallow them during its load steps.
    dlt.config["runtime.intercept_signals"] = False
    settings = SyncSettings.resolve(objects=objects, destination=destination)
    after_load = None
    if not no_dbt:
        from loader.transform.after_load import build_after_load, dbt_work_dir

        work_dir = dbt_work_dir(dbt_dir)
        after_load = lambda: build_after_load(settings, work_dir=work_dir, echo=click.echo)  # noqa: E731
    scheduler = Scheduler(settings, _duration(every, "--every"), echo=lambda line: click.echo(line),
                          after_load=after_load)
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt  # a second signal aborts the running sync (recorded as Errored)
        click.echo(f"received {signal.Signals(signum).name}: stopping after the current step", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    scheduler.run_forever(stop)


@main.command("dashboard")
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Write the page to this HTML file.")
@click.option("--serve", is_flag=True, help="Serve the page on 127.0.0.1 with working Pause/Resume/Re-enable "
              "buttons (re-rendered on each request; open the printed URL, it holds the access token).")
@click.option("--port", default=8765, show_default=True, help="Port for --serve.")
@options.destination
def dashboard_command(out: str | None, serve: bool, port: int, destination: str | None) -> None:
    """A self-contained HTML page: connection card, Historical/Periodic tabs (per account), errors."""
    from loader.ops.dashboard import serve_dashboard, write_dashboard
    from loader.sync_settings import configured_account_names

    if not out and not serve:
        raise SyncError("nothing to do", "klaviyo-sync dashboard", "pass --out FILE.html and/or --serve")
    store = _store(destination)
    if out:
        path = write_dashboard(store, out)
        click.echo(f"wrote {path}")
    if serve:
        serve_dashboard(store, port, echo=lambda line: click.echo(line), accounts=configured_account_names())
