"""In-place upgrade from the release before accounts, on DuckDB and PostgreSQL.

The previous release (its dbt package as committed at that release, from git history: the
`previous_release` fixture of tests/fixtures/previous_release.py) builds incremental marts keyed
on the Klaviyo id alone from old-shape raw tables (no account_id). Then the raw tables gain
`account_id` as the loader's upgrade gives it to them (a second account's load adds the column, the
first account's old rows are filled in, the first account loads again on (account_id, id)), and the
current package runs a plain `dbt build` (no --full-refresh): its on-run-start hook must drop the
old incremental marts, so every mart ends up exactly as a first build of both accounts would make it
(no duplicates, no NULL-account rows left over). A second build must change nothing and drop nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from loader.transform.dbt_invoke import DbtPaths, dbt_args, invoke_dbt
from loader.transform.dbt_profile_env import dbt_connection
from loader.transform.dbt_project import profiles_dir
from tests.dbt.expected_marts import account_rows, event_rows, metric_rows, profile_rows
from tests.dbt.raw_seed import ACCOUNT_IDS, TwoAccounts, load_raw, merge_batches
from tests.dbt.warehouse_rows import MART_KEYS, column_names, fetch_rows, mart_snapshot
from tests.dbt.warehouses import Warehouse, duckdb_warehouse, postgres_warehouse

pytestmark = [pytest.mark.dbt]
DROPPED = "has no account_id column (built before accounts)"


def _build_previous_release(warehouse: Warehouse, release: Path, root: Path) -> None:
    """`dbt run` of the previous release's own package (models and macros) on the warehouse."""
    conn = dbt_connection(warehouse.pipeline, root / "old-dbt")
    try:
        work = root / "old-dbt"
        paths = DbtPaths(release, profiles_dir(release), work / "target", work / "logs")
        args = dbt_args(["run"], paths, target=conn.target, variables={"klaviyo_raw_schema": conn.raw_schema})
        result = invoke_dbt(args, conn.env)
    finally:
        conn.cleanup()
    assert result.success, result.exception or [str(r.message) for r in result.result]


def _fill_account(warehouse: Warehouse, account_id: str) -> None:
    """What the loader's upgrade does to rows written before accounts: give them their account."""
    with warehouse.connect() as connection:
        cursor = connection.cursor()
        for table in ("metrics", "profiles", "events"):
            cursor.execute(f"update klaviyo_raw.{table} set account_id = '{account_id}' "
                           "where account_id is null")
        connection.commit()
        cursor.close()


def _expected(data: TwoAccounts) -> dict[str, dict[Any, dict[str, Any]]]:
    batch = data.everything()
    return {
        "klaviyo_account": account_rows(batch["accounts"]),
        "klaviyo_metric": metric_rows(batch["metrics"]),
        "klaviyo_profile": profile_rows(batch["profiles"]),
        "klaviyo_event": event_rows(batch["events"], batch["metrics"]),
    }


def _keyed(rows: list[dict[str, Any]], key: tuple[str, ...]) -> dict[Any, dict[str, Any]]:
    out = {}
    for row in rows:
        row_key = row[key[0]] if len(key) == 1 else tuple(row[k] for k in key)
        assert row_key not in out, f"duplicate {key}={row_key}"
        out[row_key] = {k: v for k, v in row.items() if k != "_loaded_at"}
    return out


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    if request.param == "duckdb":
        return duckdb_warehouse(tmp_path)
    server = request.getfixturevalue("postgres_server")
    return postgres_warehouse(tmp_path, server.dsn(server.create_database()))


def test_marts_of_the_previous_release_are_rebuilt_with_accounts(
    warehouse: Warehouse, previous_release: Path, tmp_path: Path
) -> None:
    data = TwoAccounts.initial()
    first, second = data.accounts
    load_raw(warehouse.pipeline, first.everything(), with_account=False)
    _build_previous_release(warehouse, previous_release, tmp_path)
    with warehouse.connect() as connection:
        for mart in ("klaviyo_metric", "klaviyo_profile", "klaviyo_event"):
            assert "account_id" not in column_names(connection, "klaviyo", mart), mart
        old_events = fetch_rows(connection, "select count(*) as n from klaviyo.klaviyo_event")[0]["n"]
    assert old_events == len(first.events)

    # the second account's load adds the column (nullable: the first account's rows have none yet)
    load_raw(warehouse.pipeline, merge_batches(second.everything(), {"accounts": [first.account]}),
             nullable_account=True)
    _fill_account(warehouse, ACCOUNT_IDS[0])
    load_raw(warehouse.pipeline, first.grow(), nullable_account=True)  # merged on (account_id, id) now

    upgrade = warehouse.build()
    assert upgrade.success, upgrade.failures
    assert upgrade.models_built == 9 and upgrade.tests_failed == 0
    log = upgrade.log_file.read_text()
    dropped = {mart for mart in ("klaviyo_profile", "klaviyo_event", "klaviyo_metric")
               if f"{mart} has no account_id" in log.replace('"', "")}
    assert dropped == {"klaviyo_profile", "klaviyo_event"}, "only the incremental marts are dropped"
    with warehouse.connect() as connection:
        after = mart_snapshot(connection)
        nulls = {mart: fetch_rows(connection, f"select count(*) as n from klaviyo.{mart} "
                                              "where account_id is null") for mart in MART_KEYS}
    assert {mart: rows[0]["n"] for mart, rows in nulls.items()} == dict.fromkeys(MART_KEYS, 0)
    expected = _expected(data)
    for mart, key in MART_KEYS.items():
        assert _keyed(after[mart], key) == expected[mart], mart

    again = warehouse.build()
    assert again.success, again.failures
    assert again.log_file.read_text().count(DROPPED) == log.count(DROPPED), "nothing dropped once upgraded"
    with warehouse.connect() as connection:
        assert mart_snapshot(connection) == after
