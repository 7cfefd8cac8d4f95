"""Command-line options that several commands share, each declared once.

A comma-separated option arrives as a tuple of its names (blanks dropped, order kept), or None
when it was not given, so `SyncSettings.resolve` can tell "not given" from "empty".
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from loader.destination import DESTINATIONS
from loader.source.options import SourceOptions
from loader.source.settings import DEFAULT_OBJECTS, OBJECTS

F = TypeVar("F", bound=Callable[..., Any])


def split_names(_ctx: click.Context | None, _param: click.Parameter | None, value: str | None
                ) -> tuple[str, ...] | None:
    """`a, b,,c` -> ("a", "b", "c"); None stays None."""
    if value is None:
        return None
    return tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


def names_option(flag: str, help_text: str) -> Callable[[F], F]:
    return click.option(flag, callback=split_names, help=help_text)


destination = click.option(
    "--destination", type=click.Choice(list(DESTINATIONS)),
    help="Warehouse (default: [klaviyo_sync] destination, else duckdb).",
)
accounts = names_option("--accounts",
                        "Sync only these configured accounts (names, comma-separated; default all).")
no_dbt = click.option("--no-dbt", is_flag=True, help="Load only; skip the dbt build of the package.")
dbt_dir = click.option("--dbt-dir", type=click.Path(file_okay=False, path_type=Path),
                       help="Folder for dbt's target/ and logs/ (default ./klaviyo_sync_dbt).")


OBJECTS_HELP = f"Data objects, comma-separated: {','.join(OBJECTS)} (default {','.join(DEFAULT_OBJECTS)})."


def objects(help_text: str = OBJECTS_HELP) -> Callable[[F], F]:
    return names_option("--objects", help_text)


def as_json(help_text: str = "Print a JSON document instead of tables.") -> Callable[[F], F]:
    return click.option("--json", "as_json", is_flag=True, help=help_text)


def settings_help() -> str:
    """Where the sync's settings come from, listing every configured source option."""
    per_account = ", ".join(SourceOptions.per_account())
    keys = textwrap.fill(f"({', '.join((*SourceOptions.configured(), 'base_url'))}).", width=100)
    return f"""
\b
Settings: flags, else .dlt/config.toml [sources.klaviyo]
{keys}
API key: KLAVIYO_API_KEY, SOURCES__KLAVIYO__API_KEY or .dlt/secrets.toml [sources.klaviyo] api_key;
several accounts: [sources.klaviyo.accounts.NAME] api_key (SOURCES__KLAVIYO__ACCOUNTS__NAME__API_KEY),
each may set its own {per_account}.
"""
