"""The dbt package on Snowflake (fakesnow server): raw tables seeded as dlt writes them, `dbt build`,
the marts row by row against the ground truth, then a second load and an incremental build."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import pytest

from tests.dbt.cross_warehouse.scenario import (
    KEYS,
    MARKETING_MART_KEYS,
    MEMBERSHIP_KEYS,
    Batch,
    MarketingRun,
    MarketingRunChecks,
    MembershipRun,
    MembershipRunChecks,
    Snapshot,
    TwoLoadRun,
    TwoLoadRunChecks,
    dbt_build,
    marketing_variables,
    membership_variables,
    normalise,
    run_marketing_loads,
    run_membership_loads,
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


class _Database:
    """A fresh fakesnow database with the raw tables, a seeder and a mart reader."""

    def __init__(self, server: FakesnowServer, *, marketing: bool = False, membership: bool = False) -> None:
        self.name = f"kws_{uuid.uuid4().hex[:8]}"
        self.connection = server.connect()
        self.cursor = self.connection.cursor()
        self.cursor.execute(f"create database {self.name}")
        self.cursor.execute(f"create schema {self.name}.klaviyo_raw")
        self.seeder = RawSeeder("snowflake", f"{self.name}.klaviyo_raw")
        for statement in self.seeder.create_tables(marketing=marketing, membership=membership):
            self.cursor.execute(statement)

    def seed(self, batch: Batch, load_id: str, finished_at: datetime) -> None:
        for statement in self.seeder.load(batch, load_id, finished_at):
            self.cursor.execute(statement)

    def read(self, keys: dict[str, tuple[str, ...]]) -> Snapshot:
        snapshot = {}
        for mart, key in keys.items():
            self.cursor.execute(f"select * from {self.name}.klaviyo.{mart} order by {', '.join(key)}")
            names = [d[0] for d in self.cursor.description]
            snapshot[mart] = [_null_epoch(normalise(dict(zip(names, r, strict=True))))
                              for r in self.cursor.fetchall()]
        return snapshot


_EPOCH = datetime(1970, 1, 1)


def _null_epoch(row: dict[str, object]) -> dict[str, object]:
    """fakesnow's server sends a NULL TIMESTAMP_NTZ as 1970-01-01 (Snowflake sends NULL); no seeded
    timestamp is the epoch, so read it back as NULL (e.g. first_send_at of a message never sent)."""
    return {k: None if v == _EPOCH else v for k, v in row.items()}


@pytest.fixture(scope="module")
def two_load_run(fakesnow_server: FakesnowServer, tmp_path_factory: pytest.TempPathFactory) -> TwoLoadRun:
    db = _Database(fakesnow_server)
    work: Path = tmp_path_factory.mktemp("dbt-snowflake")
    env = _profile_env(fakesnow_server, db.name)
    try:
        return run_two_loads(db.seed, lambda: dbt_build("snowflake", env, work), lambda: db.read(KEYS))
    finally:
        db.connection.close()


@pytest.fixture(scope="module")
def marketing_run(fakesnow_server: FakesnowServer, tmp_path_factory: pytest.TempPathFactory) -> MarketingRun:
    db = _Database(fakesnow_server, marketing=True)
    work: Path = tmp_path_factory.mktemp("dbt-snowflake-marketing")
    env = _profile_env(fakesnow_server, db.name)

    def build(full_refresh: bool) -> object:
        return dbt_build("snowflake", env, work, marketing_variables(), full_refresh=full_refresh)

    try:
        return run_marketing_loads(db.seed, build, lambda: db.read(MARKETING_MART_KEYS))
    finally:
        db.connection.close()


@pytest.fixture(scope="module")
def membership_run(
    fakesnow_server: FakesnowServer, tmp_path_factory: pytest.TempPathFactory
) -> MembershipRun:
    db = _Database(fakesnow_server, membership=True)
    work: Path = tmp_path_factory.mktemp("dbt-snowflake-membership")
    env = _profile_env(fakesnow_server, db.name)

    def build(full_refresh: bool) -> object:
        return dbt_build("snowflake", env, work, membership_variables(), full_refresh=full_refresh)

    try:
        return run_membership_loads(db.seed, build, lambda: db.read(MEMBERSHIP_KEYS))
    finally:
        db.connection.close()


class TestSnowflake(TwoLoadRunChecks):
    """The shared two-load checks on Snowflake (fakesnow)."""


class TestSnowflakeMarketing(MarketingRunChecks):
    """Campaigns, flows, attribution and performance on Snowflake (fakesnow)."""


class TestSnowflakeMembership(MembershipRunChecks):
    """Lists, segments, memberships and the profile's consent and deletion columns on Snowflake (fakesnow)."""
