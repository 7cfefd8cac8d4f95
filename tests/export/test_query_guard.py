"""Exports only read: --query must be a query, DuckDB runs are rolled back; types, dbt schema."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from loader.cli import main
from loader.destination import make_pipeline
from loader.errors import SyncError
from loader.export import query as query_module
from loader.export.exporter import ExportResult
from loader.export.query import first_keyword, statement_count
from tests.export.conftest import DuckWarehouse
from tests.export.helpers import exported_rows, rows_of

Run = Callable[..., ExportResult]


def _tables(duck: DuckWarehouse) -> list[str]:
    with duckdb.connect(str(duck.path)) as con:
        return sorted(
            row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        )


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE zz AS SELECT 'a@x.io' AS email",
        "  -- a comment\n /* another */ (INSERT INTO people VALUES ('b@x.io'))",
        "DROP TABLE people",
        "   ",
        "/* only a comment */",
    ],
)
def test_statements_that_are_not_queries_refused(run_export: Run, duck: DuckWarehouse, sql: str) -> None:
    duck.sql("CREATE TABLE people AS SELECT 'a@x.io' AS email")
    with pytest.raises(SyncError, match="--query must be a query") as raised:
        run_export(sql)
    assert raised.value.where == "--query"
    assert _tables(duck) == ["people"]


@pytest.mark.parametrize(
    ("sql", "keyword"),
    [
        ("select 1", "SELECT"),
        ("-- x\n/* y\n z */ ((  WITH a AS (SELECT 1) SELECT * FROM a))", "WITH"),
        ("FROM people", "FROM"),
        ("values (1)", "VALUES"),
        ("\tTABLE people", "TABLE"),
        ("create table x (a int)", "CREATE"),
    ],
)
def test_first_keyword(sql: str, keyword: str) -> None:
    assert first_keyword(sql) == keyword


def test_queries_run_in_a_rolled_back_transaction(run_export: Run, duck: DuckWarehouse) -> None:
    duck.sql("CREATE TABLE people AS SELECT 'a@x.io' AS email")
    sql = """SELECT 1 AS n; CREATE TABLE zz AS SELECT 'z@x.io' AS email;
             INSERT INTO people VALUES ('b@x.io'); SELECT email FROM people UNION ALL FROM zz ORDER BY 1"""
    result = run_export(sql)
    assert [r["Email"] for r in exported_rows(result)] == ["a@x.io", "b@x.io", "z@x.io"]
    assert _tables(duck) == ["people"]
    with duckdb.connect(str(duck.path)) as con:
        assert con.execute("SELECT count(*) FROM people").fetchone() == (1,)


def test_query_forms_accepted(run_export: Run, duck: DuckWarehouse) -> None:
    duck.sql("CREATE TABLE people AS SELECT 'a@x.io' AS email")
    assert [r["Email"] for r in exported_rows(run_export("FROM people", stem="f"))] == ["a@x.io"]
    with_query = "/* c */ (WITH p AS (FROM people) SELECT * FROM p)"
    assert [r["Email"] for r in exported_rows(run_export(with_query, stem="w"))] == ["a@x.io"]


def test_unsupported_column_type_names_the_column(run_export: Run, tmp_path: Path) -> None:
    with pytest.raises(SyncError) as raised:
        run_export("SELECT 'a@x.io' AS email, INTERVAL 3 DAY AS wait_time")
    assert "column wait_time has type month_day_nano_interval" in raised.value.what
    assert "CAST(wait_time AS VARCHAR)" in raised.value.fix
    assert not list((tmp_path / "out").rglob("*.csv")) and not (tmp_path / "out" / "rejects").exists()


def test_unsupported_type_is_one_clear_cli_line(duck: DuckWarehouse, tmp_path: Path) -> None:
    args = ["export", "--query", "SELECT 'a@x.io' AS email, INTERVAL 1 DAY AS d", "--kind", "profiles"]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: column d has type month_day_nano_interval")
    assert "ArrowNotImplementedError" not in result.stderr


def test_model_schema_follows_klaviyo_dbt_schema(
    duck: DuckWarehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    duck.sql(
        "CREATE SCHEMA klaviyo",
        "CREATE TABLE klaviyo.vip AS SELECT 'default@x.io' AS email",
        "CREATE SCHEMA marketing",
        "CREATE TABLE marketing.vip AS SELECT 'custom@x.io' AS email",
    )
    args = ["export", "--model", "vip", "--kind", "profiles", "--name", "v"]
    monkeypatch.setenv("KLAVIYO_DBT_SCHEMA", "marketing")
    custom = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "custom")])
    assert custom.exit_code == 0, custom.output
    assert [r["Email"] for r in rows_of(tmp_path / "custom" / "v-0001.csv")] == ["custom@x.io"]
    monkeypatch.delenv("KLAVIYO_DBT_SCHEMA")
    default = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "default")])
    assert default.exit_code == 0, default.output
    assert [r["Email"] for r in rows_of(tmp_path / "default" / "v-0001.csv")] == ["default@x.io"]


def test_types_with_a_text_form_pass_the_type_check(run_export: Run) -> None:
    query = """SELECT 'a@x.io' AS email, UNION_VALUE(k := 1) AS u, TIME '12:00:00' AS t,
               [INTERVAL 1 DAY] AS waits"""
    [row] = exported_rows(run_export(query))
    assert (row["u"], row["t"]) == ("1", "12:00:00.000000") and row["waits"].startswith('["')


@pytest.mark.parametrize(
    ("sql", "dialect", "count"),
    [
        ("SELECT 1", None, 1),
        ("/* ; */ SELECT 1; ;", None, 1),
        ("SELECT 1; DROP TABLE people", "bigquery", 2),
        ("SELECT ';' AS a, `we;ird` FROM t -- ; DROP TABLE t\n", "bigquery", 1),
        ("SELECT '''a;b''' AS x; SELECT 2", "bigquery", 2),
        ("SELECT [a;b] FROM t", "tsql", 1),
        ("SELECT $$a;b$$ AS x", "snowflake", 1),
    ],
)
def test_statements_are_counted_by_the_warehouse_dialect(sql: str, dialect: str | None, count: int) -> None:
    assert statement_count(sql, dialect) == count


def test_unreadable_sql_is_refused_before_it_reaches_the_warehouse() -> None:
    with pytest.raises(SyncError, match="could not be read as bigquery") as raised:
        statement_count("SELECT 'unclosed", "bigquery")
    assert raised.value.where == "--query"


def test_a_warehouse_without_rollback_gets_exactly_one_statement(
    duck: DuckWarehouse, tmp_path: Path
) -> None:
    """The generic path (BigQuery, Snowflake, Synapse, ...) through dlt's SQL client, on a real
    DuckDB file: a second statement is refused before anything runs."""
    duck.sql("CREATE TABLE people AS SELECT 'a@x.io' AS email")
    pipeline = make_pipeline(pipelines_dir=str(tmp_path / "pipelines"))
    kind = query_module.destination_kind(pipeline)
    with pipeline.sql_client() as client:
        with pytest.raises(SyncError, match="holds 2 statements; on duckdb an export runs exactly one"):
            next(query_module._generic(client, "SELECT email FROM people; DROP TABLE people", 10, kind))
        batches = list(query_module._generic(client, "SELECT email FROM people -- one; statement", 10, kind))
    assert [row for batch in batches for row in batch.column("email").to_pylist()] == ["a@x.io"]
    assert _tables(duck) == ["people"]
