"""Warehouse setup scripts: raw and target schemas plus least-privilege loader and dbt users.

One SQL file per warehouse lives beside this module. Placeholders are written `${NAME}`; `render`
fills the ones it is given (and, by default, those with a safe default such as the schema names) and
leaves the others marked for the user to replace. Values are checked before they reach the SQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources

from loader.errors import SyncError

WAREHOUSES = ("duckdb", "postgres", "snowflake", "bigquery", "redshift", "synapse")

_PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "PROJECT_ID": (re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]"), "a Google Cloud project id"),
    "LOCATION": (re.compile(r"[A-Za-z][A-Za-z0-9-]{1,40}"), "a BigQuery location such as US or europe-west1"),
    "LOADER_SERVICE_ACCOUNT": (re.compile(r"[\w.+-]+@[\w.-]+"), "a service account email"),
    "DBT_SERVICE_ACCOUNT": (re.compile(r"[\w.+-]+@[\w.-]+"), "a service account email"),
}

DEFAULTS: dict[str, str] = {
    "RAW_SCHEMA": "klaviyo_raw",
    "TARGET_SCHEMA": "klaviyo",
    "STAGING_SCHEMA": "klaviyo_staging",
    "LOADER_USER": "klaviyo_loader",
    "DBT_USER": "klaviyo_dbt",
    "LOCATION": "US",
}
_WAREHOUSE_DEFAULTS: dict[str, dict[str, str]] = {
    "snowflake": {"DATABASE": "KLAVIYO", "WAREHOUSE": "KLAVIYO_WH"},
}


def script_template(warehouse: str) -> str:
    """The script for `warehouse` with every placeholder still marked."""
    if warehouse not in WAREHOUSES:
        raise SyncError(
            f"unknown warehouse {warehouse!r}",
            "--warehouse",
            f"use one of: {', '.join(WAREHOUSES)}",
        )
    return resources.files(__name__).joinpath(f"{warehouse}.sql").read_text(encoding="utf-8")


def placeholders(text: str) -> list[str]:
    """The distinct placeholder names in `text`, in order of first appearance."""
    return list(dict.fromkeys(_PLACEHOLDER.findall(text)))


def defaults_for(warehouse: str) -> dict[str, str]:
    """The default placeholder values `render` uses for `warehouse`."""
    return {**DEFAULTS, **_WAREHOUSE_DEFAULTS.get(warehouse, {})}


def render(warehouse: str, values: Mapping[str, str] | None = None, *, use_defaults: bool = True) -> str:
    """The script for `warehouse` with `values` (and the defaults) filled in.

    Unknown names and unsafe values raise SyncError naming the placeholder; placeholders without
    a value stay marked as `${NAME}`.
    """
    template = script_template(warehouse)
    known = placeholders(template)
    given = dict(values or {})
    for name in given:
        if name not in known:
            raise SyncError(
                f"the {warehouse} setup script has no placeholder {name}",
                f"--set {name}",
                f"use one of: {', '.join(known)}",
            )
    chosen = {**(defaults_for(warehouse) if use_defaults else {}), **given}
    filled = {name: _sql_value(name, value) for name, value in chosen.items() if name in known}
    return _PLACEHOLDER.sub(lambda m: filled.get(m.group(1), m.group(0)), template)


def _sql_value(name: str, value: str) -> str:
    if name.endswith("_PASSWORD"):
        if not value or "\n" in value:
            raise SyncError(f"{name} is empty or spans lines", f"--set {name}", "give a one-line password")
        return value.replace("'", "''")
    pattern, what = _FORMATS.get(name, (_IDENTIFIER, "a plain SQL identifier of letters, digits and _"))
    if not pattern.fullmatch(value):
        raise SyncError(f"{value!r} is not {what}", f"--set {name}", f"give {name} as {what}")
    return value
