"""The warehouse setup scripts: rendering, the CLI, DuckDB execution, and every other dialect parsed.

PostgreSQL execution (least privileges proven by connecting as each role) is in
test_setup_sql_postgres.py.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import sqlglot
from click.testing import CliRunner

from loader.cli import main
from loader.errors import SyncError
from loader.setup_sql import WAREHOUSES, placeholders, render, script_template

FULL_VALUES = {
    "postgres": {"DATABASE": "analytics", "LOADER_PASSWORD": "Lp4ss", "DBT_PASSWORD": "Dp4ss"},
    "redshift": {"LOADER_PASSWORD": "Lp4ssword", "DBT_PASSWORD": "Dp4ssword"},
    "snowflake": {"LOADER_PASSWORD": "Lp4ss", "DBT_PASSWORD": "Dp4ss"},
    "synapse": {"LOADER_PASSWORD": "Lp4ss!", "DBT_PASSWORD": "Dp4ss!"},
    "bigquery": {
        "PROJECT_ID": "my-project-123",
        "LOADER_SERVICE_ACCOUNT": "loader@my-project-123.iam.gserviceaccount.com",
        "DBT_SERVICE_ACCOUNT": "dbt@my-project-123.iam.gserviceaccount.com",
    },
    "duckdb": {},
}
SQLGLOT_DIALECT = {"postgres": "postgres", "redshift": "redshift", "snowflake": "snowflake",
                   "bigquery": "bigquery", "synapse": "tsql", "duckdb": "duckdb"}


def _schemas(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("select schema_name from information_schema.schemata").fetchall()}


def test_duckdb_script_creates_the_schemas_and_can_run_twice(tmp_path: Path) -> None:
    script = render("duckdb", {"RAW_SCHEMA": "kl_raw", "TARGET_SCHEMA": "kl", "STAGING_SCHEMA": "kl_stg"})
    assert placeholders(script) == []
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        assert not {"kl_raw", "kl_raw_staging", "kl", "kl_stg"} & _schemas(con)
        con.execute(script)
        con.execute(script)
        assert {"kl_raw", "kl_raw_staging", "kl", "kl_stg"} <= _schemas(con)
        con.execute("create table kl_raw.events (id varchar primary key)")
    finally:
        con.close()


def test_cli_prints_the_script_with_defaults_and_lists_what_is_left(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["setup-sql", "--warehouse", "postgres", "--set", "DATABASE=analytics"])
    assert result.exit_code == 0, result.output
    assert "CREATE SCHEMA IF NOT EXISTS klaviyo_raw AUTHORIZATION klaviyo_loader;" in result.stdout
    assert "CREATE SCHEMA IF NOT EXISTS klaviyo AUTHORIZATION klaviyo_dbt;" in result.stdout
    assert "CREATE SCHEMA IF NOT EXISTS klaviyo_staging AUTHORIZATION klaviyo_dbt;" in result.stdout
    assert "GRANT CONNECT ON DATABASE analytics" in result.stdout
    assert "PASSWORD '${LOADER_PASSWORD}'" in result.stdout
    assert "Replace ${LOADER_PASSWORD}, ${DBT_PASSWORD}" in result.stderr


def test_cli_keep_placeholders_prints_the_template_unchanged() -> None:
    result = CliRunner().invoke(main, ["setup-sql", "-w", "snowflake", "--keep-placeholders"])
    assert result.exit_code == 0, result.output
    assert result.stdout == script_template("snowflake")
    assert "${RAW_SCHEMA}" in result.stdout


def test_cli_schema_options_and_duckdb_needs_nothing_else() -> None:
    result = CliRunner().invoke(
        main, ["setup-sql", "-w", "duckdb", "--raw-schema", "k_raw", "--target-schema", "k_marts",
               "--staging-schema", "k_stg"]
    )
    assert result.exit_code == 0, result.output
    assert "CREATE SCHEMA IF NOT EXISTS k_raw_staging;" in result.stdout
    assert "CREATE SCHEMA IF NOT EXISTS k_marts;" in result.stdout
    assert "CREATE SCHEMA IF NOT EXISTS k_stg;" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "NOPE=1"], "Error: the postgres setup script has no placeholder NOPE (--set NOPE)"),
        (["--set", "LOADER_USER=x; drop table t"], "is not a plain SQL identifier of letters, digits and _"),
        (["--raw-schema", "raw-data"], "(--set RAW_SCHEMA)"),
        (["--set", "novalue"], "Error: 'novalue' is not NAME=VALUE (--set)"),
    ],
)
def test_cli_rejects_bad_values_naming_the_placeholder(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["setup-sql", "-w", "postgres", *args])
    assert result.exit_code == 1
    assert message in result.stderr


def test_passwords_are_quoted_and_never_echoed_in_errors() -> None:
    script = render("postgres", {"LOADER_PASSWORD": "it's", "DBT_PASSWORD": "x", "DATABASE": "d"})
    assert "PASSWORD 'it''s'" in script
    with pytest.raises(SyncError) as info:
        render("postgres", {"LOADER_PASSWORD": "two\nlines"})
    assert "two" not in str(info.value) and "LOADER_PASSWORD" in str(info.value)


def test_unknown_warehouse_is_a_clear_error() -> None:
    with pytest.raises(SyncError, match="unknown warehouse 'oracle'.*use one of: duckdb, postgres"):
        script_template("oracle")


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_every_script_fills_completely_and_parses_in_its_dialect(warehouse: str) -> None:
    script = render(warehouse, FULL_VALUES[warehouse])
    assert placeholders(script) == [], warehouse
    assert "SCHEMA" in script and "klaviyo_raw" in script
    batches = script.split("\nGO\n") if warehouse == "synapse" else [script]
    statements = [s for batch in batches for s in sqlglot.parse(batch, read=SQLGLOT_DIALECT[warehouse]) if s]
    # The raw schema, dlt's staging dataset, the dbt target and dbt's staging views.
    texts = [s.sql(dialect=SQLGLOT_DIALECT[warehouse], comments=False).upper() for s in statements]
    assert len([t for t in texts if t.startswith("CREATE SCHEMA")]) == 4, texts
    assert warehouse == "duckdb" or any(t.startswith("GRANT") for t in texts)
