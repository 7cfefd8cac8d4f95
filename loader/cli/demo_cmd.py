"""`klaviyo-sync demo`: the whole job offline (emulator -> loader -> DuckDB -> dbt -> export -> status)."""

from __future__ import annotations

import os
import shutil
import sys
from decimal import Decimal
from pathlib import Path

import click

from loader.cli import options
from loader.cli.app import main


@main.command("demo")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=Path("demo"),
              show_default=True, help="Folder for the demo's DuckDB file, pipeline state and dbt files.")
@click.option("--profiles", type=int, default=1000, show_default=True, help="Profiles the emulator serves.")
@click.option("--events", type=int, default=20000, show_default=True, help="Events the emulator serves.")
@options.no_dbt
@click.pass_context
def demo_command(ctx: click.Context, folder: Path, profiles: int, events: int, no_dbt: bool) -> None:
    """Run the main job end to end offline against the built-in Klaviyo API emulator."""
    from loader.cli.export_cmd import export_cmd
    from loader.cli.ops_cmd import status_command
    from loader.cli.run_cmd import run_command
    from loader.demo import (
        DEMO_DBT_DIR,
        DEMO_EXPORT_DIR,
        DEMO_EXPORT_QUERY,
        PERFORMANCE_QUERY,
        DemoPlan,
        grow_for_next_hour,
        reset_folder,
        start_emulator,
        write_folder_config,
    )

    plan = DemoPlan(folder.resolve(), profiles=profiles, events=events)
    reset_folder(plan)
    emulator = start_emulator(plan)
    try:
        os.environ.update(plan.env)
        os.environ.pop("KLAVIYO_API_KEY", None)
        os.environ.update(emulator.env)
        names = ", ".join(f"{name} ({account.account_id})" for name, account in emulator.accounts.items())
        click.echo(f"accounts: {names}")
        run_args = {"destination": "duckdb", "history": "all", "no_dbt": no_dbt,
                    "dbt_dir": plan.folder / DEMO_DBT_DIR}
        click.secho(f"== historical sync from the emulator at {emulator.base_url}", bold=True)
        ctx.invoke(run_command, **run_args)
        grow_for_next_hour(emulator)
        click.secho("== periodic sync after new, late and future-dated events (reconciling now: the "
                    "demo has no day to wait for the listings that find leaves and deletions)", bold=True)
        ctx.invoke(run_command, **run_args, reconcile_now=True)
    finally:
        emulator.stop()
    if not no_dbt:
        name, first = next(iter(emulator.accounts.items()))
        click.secho(f"== export: account {name}'s profiles as Klaviyo import files (the way back)", bold=True)
        query = DEMO_EXPORT_QUERY.format(account_id=first.account_id)
        ctx.invoke(export_cmd, query=query, kind="profiles", stem="profiles",
                   out_dir=plan.folder / DEMO_EXPORT_DIR, destination="duckdb")
    click.secho("== status", bold=True)
    ctx.invoke(status_command, as_json=False, destination="duckdb")
    if not no_dbt:
        name, first = next(iter(emulator.accounts.items()))
        click.secho(f"== campaign performance: account {name} (klaviyo.klaviyo_campaign_performance)",
                    bold=True)
        _print_performance(PERFORMANCE_QUERY.format(account_id=first.account_id))
    click.echo(f"warehouse: {plan.folder / 'klaviyo_sync.duckdb'} (schemas klaviyo_raw and klaviyo)")
    write_folder_config(plan)
    cli = os.path.abspath(shutil.which(sys.argv[0]) or sys.argv[0])
    if cli.startswith(os.getcwd() + os.sep):  # e.g. .venv/bin/klaviyo-sync under `make demo`
        cli = os.path.relpath(cli, plan.folder)
    click.echo(f"next: cd {os.path.relpath(plan.folder)} && {cli} status   "
               f"(or: {cli} dashboard --out dashboard.html)")


def _print_performance(query: str, limit: int = 10) -> None:
    """The best campaign messages as a table (read through the loader's own pipeline)."""
    from rich.console import Console
    from rich.table import Table

    from loader.demo import PERFORMANCE_COLUMNS
    from loader.destination import make_pipeline

    with make_pipeline("duckdb").sql_client() as client:
        rows = client.execute_sql(query) or []
    table = Table(*PERFORMANCE_COLUMNS)
    for row in rows[:limit]:
        table.add_row(*(f"{v:,.2f}" if isinstance(v, (float, Decimal)) else str(v) for v in row))
    Console(width=120).print(table)
