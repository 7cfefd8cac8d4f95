"""`klaviyo-sync export` end to end on DuckDB: --model, --table, --query, errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from loader.cli import main
from tests.export.conftest import DuckWarehouse
from tests.export.helpers import rows_of


def test_export_model_from_klaviyo_schema(duck: DuckWarehouse, tmp_path: Path) -> None:
    duck.sql(
        "CREATE SCHEMA klaviyo",
        """CREATE TABLE klaviyo.vip_profiles AS SELECT 'v' || i || '@x.io' AS email, i AS orders
           FROM range(5) r(i)""",
    )
    out = tmp_path / "exports"
    result = CliRunner().invoke(
        main, ["export", "--model", "vip_profiles", "--kind", "profiles", "--out", str(out), "--name", "vip"]
    )
    assert result.exit_code == 0, result.output
    assert "Exported 5 row(s) in 1 file(s)" in result.stdout
    assert [r["Email"] for r in rows_of(out / "vip-0001.csv")] == [f"v{i}@x.io" for i in range(5)]
    manifest = json.loads((out / "vip.manifest.json").read_text())
    assert manifest["source"] == "--model vip_profiles" and manifest["files"][0]["rows"] == 5


def test_export_table_and_rejects_summary(duck: DuckWarehouse, tmp_path: Path) -> None:
    duck.sql("CREATE TABLE main.people AS SELECT * FROM (VALUES ('a@x.io'), ('oops')) t(email)")
    out = tmp_path / "o"
    args = ["export", "--table", "main.people", "--kind", "profiles", "--out", str(out), "--name", "p"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "Rejected 1 row(s)" in result.stderr
    assert "result row 2 (would be in p-0001.csv), column Email (email): malformed email address" in (
        result.stderr
    )


def test_export_errors_are_one_clear_line(duck: DuckWarehouse, tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(main, ["export", "--table", "nope", "--kind", "profiles", "--out", str(tmp_path)])
    assert missing.exit_code == 1
    assert (
        missing.stderr.startswith("Error: query failed:")
        and "--table nope on destination duckdb" in missing.stderr
    )
    both = runner.invoke(
        main, ["export", "--table", "a", "--query", "select 1", "--kind", "events", "--out", str(tmp_path)]
    )
    assert both.exit_code == 1 and "give exactly one source" in both.stderr
