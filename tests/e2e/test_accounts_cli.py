"""`klaviyo-sync check` and `run` with two accounts, as a user runs them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from loader.cli import main
from tests.fixtures.warehouse import Warehouse

pytestmark = pytest.mark.integration


def _accounts_in(path: Path, table: str) -> set[str]:
    with duckdb.connect(str(path)) as conn:
        rows = conn.execute(f"SELECT DISTINCT account_id FROM klaviyo_raw.{table}").fetchall()
    return {row[0] for row in rows}


def test_check_reports_each_account(
    duckdb_warehouse: Warehouse, two_accounts: Any, no_dlt_config: Any
) -> None:
    good = CliRunner().invoke(main, ["check", "--destination", "duckdb"])
    assert good.exit_code == 0, good.output
    for running in (two_accounts.alpha, two_accounts.beta):
        name = running.emulator.config.account_attributes()["contact_information"]["organization_name"]
        assert f"(id {running.account_id}): Enabled" in good.output and name in good.output
    assert good.output.splitlines()[-1] == "Enabled"

    two_accounts.beta.emulator.revoke_key()
    bad = CliRunner().invoke(main, ["check", "--destination", "duckdb"])
    assert bad.exit_code == 1 and bad.output.splitlines()[-1] == "Unable to connect"
    assert "Account beta: Unable to connect" in bad.output and "Account alpha - " in bad.output
    assert two_accounts.beta.api_key not in bad.output


def test_run_a_subset_then_all_with_one_failing(duckdb_warehouse: Warehouse, two_accounts: Any,
                                                no_dlt_config: Any, tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    alpha, beta = two_accounts.alpha, two_accounts.beta
    subset = CliRunner().invoke(main, ["run", "--accounts", "beta", "--destination", "duckdb", "--no-dbt"])
    assert subset.exit_code == 0, subset.output
    assert "beta/events:" in subset.output and "alpha/" not in subset.output
    assert _accounts_in(db, "events") == {beta.account_id}

    beta.emulator.revoke_key()
    both = CliRunner().invoke(main, ["run", "--destination", "duckdb", "--no-dbt"])
    assert both.exit_code == 1
    assert "alpha/events:" in both.output and "Error: account beta failed" in both.output
    assert beta.api_key not in both.output
    assert _accounts_in(db, "events") == {alpha.account_id, beta.account_id}

    unknown = CliRunner().invoke(main, ["run", "--accounts", "gamma", "--destination", "duckdb"])
    assert unknown.exit_code != 0 and "Error: unknown account gamma (--accounts)" in unknown.output
