"""dbt fixtures: one session-scoped scenario per warehouse (DuckDB, PostgreSQL), shared by tests.

The scenario drives the package the way production does and records what it saw at each step:
load 1 -> build -> freshness -> build again with no new rows -> tamper with two mart rows -> load 2
(new, late, future, updated, re-read rows) -> build -> full-refresh build -> docs generate.
Tests then assert on the records. The raw data is two Klaviyo accounts whose ids collide
(`TwoAccounts`), loaded together.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from loader.transform import DbtBuildSummary
from tests.dbt.raw_seed import ACCOUNT_IDS, TwoAccounts
from tests.dbt.warehouse_rows import mart_snapshot
from tests.dbt.warehouses import Warehouse, duckdb_warehouse, postgres_warehouse


@dataclass
class Scenario:
    warehouse: Warehouse
    data: TwoAccounts
    initial: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    growth: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    builds: dict[str, DbtBuildSummary] = field(default_factory=dict)
    snapshots: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    freshness: dict[str, str] = field(default_factory=dict)
    docs: Any = None

    def snapshot(self, step: str) -> None:
        with self.warehouse.connect() as connection:
            self.snapshots[step] = mart_snapshot(connection)


def _freshness_statuses(result: Any) -> dict[str, str]:
    # sources only: dbt also reports the package's on-run-start hook among the results
    return {r.node.name: str(getattr(r.status, "value", r.status)) for r in result.result.results
            if r.node.resource_type == "source"}


# Rows changed in the marts behind dbt's back: an incremental build leaves rows it does not read
# alone, so these survive the second build and only a full refresh restores them. Both ids exist in
# both accounts: only the named account's row is changed.
TAMPERED = {
    "klaviyo_event": ("event_id", (ACCOUNT_IDS[0], "E000000"), "metric_name", "kept by incremental"),
    "klaviyo_profile": ("profile_id", (ACCOUNT_IDS[1], "P00007"), "first_name", "kept by incremental"),
}


def _tamper(warehouse: Warehouse) -> None:
    with warehouse.connect() as connection:
        cursor = connection.cursor()
        for mart, (key, (account_id, value), column, text) in TAMPERED.items():
            cursor.execute(f"update klaviyo.{mart} set {column} = '{text}' "
                           f"where account_id = '{account_id}' and {key} = '{value}'")
        connection.commit()
        cursor.close()


def run_scenario(warehouse: Warehouse) -> Scenario:
    data = TwoAccounts.initial()
    scenario = Scenario(warehouse, data)
    scenario.initial = data.everything()
    warehouse.load(scenario.initial)
    scenario.builds["first"] = warehouse.build()
    scenario.snapshot("first")
    scenario.freshness = _freshness_statuses(warehouse.dbt(["source", "freshness"]))
    scenario.builds["noop"] = warehouse.build()
    scenario.snapshot("noop")
    _tamper(warehouse)
    scenario.growth = data.grow()
    warehouse.load(scenario.growth)
    scenario.builds["second"] = warehouse.build()
    scenario.snapshot("second")
    scenario.builds["full_refresh"] = warehouse.build(full_refresh=True)
    scenario.snapshot("full_refresh")
    scenario.docs = warehouse.dbt(["docs", "generate"])
    return scenario


@pytest.fixture(scope="session", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def scenario(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    root = tmp_path_factory.mktemp(f"dbt-{request.param}")
    if request.param == "duckdb":
        warehouse = duckdb_warehouse(root)
    else:
        server = request.getfixturevalue("postgres_server")
        warehouse = postgres_warehouse(root, server.dsn(server.create_database()))
    yield run_scenario(warehouse)
