"""`klaviyo-sync export`: warehouse rows -> Klaviyo CSV files and their manifest."""

from __future__ import annotations

from pathlib import Path

import click

from loader.cli import options
from loader.cli.app import main
from loader.export.columns import KINDS
from loader.export.exporter import ExportOptions, ExportResult, export
from loader.export.problems import describe
from loader.export.query import Source


@main.command("export")
@click.option("--query", help="SQL to run on the destination.")
@click.option("--model", help="dbt model, read from schema KLAVIYO_DBT_SCHEMA (default klaviyo).")
@click.option("--table", help="Table of the raw dataset `klaviyo_raw` (or schema.table).")
@click.option("--kind", type=click.Choice(KINDS), required=True, help="Klaviyo import type.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--max-file-mb", type=float, default=50.0, show_default=True, help="Size limit per file (MB).")
@click.option("--strict", is_flag=True, help="Fail on any invalid row instead of writing a rejects file.")
@options.destination
@click.option("--batch-rows", type=click.IntRange(min=1), default=250_000, show_default=True)
@click.option("--name", "stem", help="File name prefix (default: <kind>_<UTC timestamp>).")
@click.option(
    "--list-id",
    help="Profiles: add every row to this Klaviyo list (a `List ID` column, as in Klaviyo's SFTP "
    "example; fills the query's own List ID column where it is empty, rejects rows that disagree).",
)
def export_cmd(
    query: str | None,
    model: str | None,
    table: str | None,
    kind: str,
    out_dir: Path,
    max_file_mb: float,
    strict: bool,
    destination: str | None,
    batch_rows: int,
    stem: str | None,
    list_id: str | None,
) -> None:
    """Export a query, dbt model or table as size-checked Klaviyo import CSV files."""
    options = ExportOptions(kind, out_dir, max_file_mb, strict, batch_rows, stem, destination, list_id)
    _report(export(Source(query, model, table), options))


def _report(result: ExportResult) -> None:
    click.echo(f"Exported {result.rows} row(s) in {len(result.files)} file(s):")
    for part in result.files:
        click.echo(f"  {part.name}  {part.rows} rows  {part.bytes} bytes  sha256 {part.sha256[:16]}...")
    if result.rejected:
        click.echo(f"Rejected {result.rejected} row(s) -> {result.rejects_file}", err=True)
        click.echo(f"{result.problems} problem(s) -> {result.problems_file}; first ones:", err=True)
        click.echo("(rows are numbered in the query result, as in the rejects file's _row column)", err=True)
        for problem in result.sample[:10]:
            click.echo(f"  {describe(problem)}", err=True)
    click.echo(f"Manifest: {result.manifest}")

