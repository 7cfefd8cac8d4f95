"""`klaviyo-sync setup-sql`: print a warehouse's setup script (schemas + least-privilege users)."""

from __future__ import annotations

import click

from loader.cli.app import main
from loader.errors import SyncError
from loader.setup_sql import WAREHOUSES, placeholders, render


def _parse_assignments(pairs: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SyncError(f"{pair!r} is not NAME=VALUE", "--set", "write it as --set NAME=VALUE")
        values[name.strip().upper()] = value
    return values


@main.command("setup-sql")
@click.option("--warehouse", "-w", required=True, type=click.Choice(WAREHOUSES), help="Warehouse type.")
@click.option("--raw-schema", help="Schema (dataset) the loader writes to [klaviyo_raw].")
@click.option("--target-schema", help="Schema (dataset) dbt builds the Klaviyo tables in [klaviyo].")
@click.option("--staging-schema", help="Schema (dataset) of dbt's staging views [klaviyo_staging].")
@click.option(
    "--set", "assignments", multiple=True, metavar="NAME=VALUE",
    help="Fill a ${NAME} placeholder, e.g. --set LOADER_PASSWORD=... (repeatable).",
)
@click.option("--keep-placeholders", is_flag=True, help="Print the script with every placeholder marked.")
def setup_sql(
    warehouse: str,
    raw_schema: str | None,
    target_schema: str | None,
    staging_schema: str | None,
    assignments: tuple[str, ...],
    keep_placeholders: bool,
) -> None:
    """Print the SQL that creates the raw and target schemas and the loader and dbt users.

    Run the printed script as an administrator of the warehouse. Placeholders left as ${NAME} are
    listed on stderr: replace them before running it.
    """
    values = _parse_assignments(assignments)
    for name, value in (("RAW_SCHEMA", raw_schema), ("TARGET_SCHEMA", target_schema),
                        ("STAGING_SCHEMA", staging_schema)):
        if value:
            values[name] = value
    script = render(warehouse, values, use_defaults=not keep_placeholders)
    click.echo(script, nl=False)
    left = placeholders(script)
    if left:
        marked = ", ".join("${" + name + "}" for name in left)
        click.echo(f"Replace {marked} in the script before running it (or pass --set NAME=VALUE).", err=True)
