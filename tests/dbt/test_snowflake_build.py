"""The dbt package on Snowflake (fakesnow server): raw tables seeded as dlt writes them, `dbt build`,
the marts row by row against the ground truth, then a second load and an incremental build."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import pytest

from tests.dbt.cross_warehouse.scenario import (
    KEYS,
    Batch,
    Snapshot,
    TwoLoadRun,
    TwoLoadRunChecks,
    dbt_build,
    normalise,
    order_by,
    run_two_loads,
)
from tests.dbt.cross_warehouse.seed_sql import RawSeeder
from tests.fixtures.fakesnow import FakesnowServer

pytestmark = [pytest.mark.dbt]


def _profile_env(server: FakesnowServer, database: str) -> dict[str, str]:
    """The committed profiles.yml's snowflake target, pointed at fakesnow over http."""
    return {
        "KLAVIYO_SNOWFLAKE_ACCOUNT": "fakesnow", "KLAVIYO_SNOWFLAKE_USER": "kws",
        "DBT_ENV_SECRET_KLAVIYO_SNOWFLAKE_PASSWORD": "kws", "KLAVIYO_SNOWFLAKE_WAREHOUSE": "kws_wh",
        "KLAVIYO_SNOWFLAKE_DATABASE": database, "KLAVIYO_SNOWFLAKE_HOST": server.host,
        "KLAVIYO_SNOWFLAKE_PORT": str(server.port), "KLAVIYO_SNOWFLAKE_PROTOCOL": "http",
    }


@pytest.fixture(scope="module")
def two_load_run(fakesnow_server: FakesnowServer, tmp_path_factory: pytest.TempPathFactory) -> TwoLoadRun:
    database = f"kws_{uuid.uuid4().hex[:8]}"
    connection = fakesnow_server.connect()
    cursor = connection.cursor()
    cursor.execute(f"create database {database}")
    cursor.execute(f"create schema {database}.klaviyo_raw")
    seeder = RawSeeder("snowflake", f"{database}.klaviyo_raw")
    for statement in seeder.create_tables():
        cursor.execute(statement)

    def seed(batch: Batch, load_id: str, finished_at: datetime) -> None:
        for statement in seeder.load(batch, load_id, finished_at):
            cursor.execute(statement)

    def read_marts() -> Snapshot:
        snapshot = {}
        for mart in KEYS:
            cursor.execute(f"select * from {database}.klaviyo.{mart} order by {order_by(mart)}")
            names = [d[0] for d in cursor.description]
            snapshot[mart] = [normalise(dict(zip(names, r, strict=True))) for r in cursor.fetchall()]
        return snapshot

    work: Path = tmp_path_factory.mktemp("dbt-snowflake")
    env = _profile_env(fakesnow_server, database)
    try:
        return run_two_loads(seed, lambda: dbt_build("snowflake", env, work), read_marts)
    finally:
        connection.close()


class TestSnowflake(TwoLoadRunChecks):
    """The shared two-load checks on Snowflake (fakesnow)."""
