"""The PostgreSQL setup script, executed on the real server, then each role proven by connecting as it.

The loader role loads with dlt (merge, so through dlt's staging schema) into the raw schema; the dbt
role reads raw and builds in the target schema (the real package too); each is refused everything else.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import dlt
import psycopg2
import pytest

from loader.setup_sql import render
from tests.dbt.cross_warehouse.scenario import build_failures, dbt_build
from tests.dbt.raw_seed import KlaviyoRawData, load_raw
from tests.fixtures.postgres import PostgresDatabase

pytestmark = pytest.mark.postgres


@dataclass
class SetUpDatabase:
    db: PostgresDatabase
    loader: str
    dbt: str
    password: str

    def dsn(self, role: str) -> str:
        server = self.db.server
        return f"postgresql://{role}:{self.password}@{server.host}:{server.port}/{self.db.name}"

    def connect(self, role: str) -> psycopg2.extensions.connection:
        conn = psycopg2.connect(
            host=self.db.server.host, port=self.db.server.port, dbname=self.db.name,
            user=role, password=self.password,
        )
        conn.autocommit = True
        return conn


@pytest.fixture
def set_up_db(postgres_db: PostgresDatabase) -> Iterator[SetUpDatabase]:
    suffix = uuid.uuid4().hex[:8]  # roles are server-wide, databases per test
    roles = SetUpDatabase(postgres_db, f"kws_loader_{suffix}", f"kws_dbt_{suffix}", "pw with 'quote' ok")
    script = render("postgres", {
        "DATABASE": postgres_db.name, "LOADER_USER": roles.loader, "DBT_USER": roles.dbt,
        "LOADER_PASSWORD": roles.password, "DBT_PASSWORD": roles.password,
    })
    admin = psycopg2.connect(postgres_db.dsn)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(script)
        cur.execute("create table public.secret (x int); insert into public.secret values (1)")
    try:
        yield roles
    finally:
        admin.close()
        server = psycopg2.connect(postgres_db.server.dsn())
        server.autocommit = True
        with server.cursor() as cur:  # the roles own objects there: drop it, then them
            cur.execute(f'drop database "{postgres_db.name}" with (force)')
            cur.execute(f"drop role {roles.loader}; drop role {roles.dbt}")
        server.close()


def _denied(conn: psycopg2.extensions.connection, sql: str) -> bool:
    with conn.cursor() as cur:
        try:
            cur.execute(sql)
        except psycopg2.errors.InsufficientPrivilege:
            return True
    return False


def _load_as_loader(roles: SetUpDatabase, pipelines_dir: Path, rows: list[dict]) -> None:
    pipeline = dlt.pipeline(
        pipeline_name="setup_sql_probe", pipelines_dir=str(pipelines_dir), dataset_name="klaviyo_raw",
        destination=dlt.destinations.postgres(credentials=roles.dsn(roles.loader)),
    )
    resource = dlt.resource(rows, name="events", write_disposition="merge", primary_key="id",
                            columns={"attributes": {"data_type": "json"}})
    pipeline.run(resource).raise_on_failed_jobs()


def test_loader_role_loads_raw_with_dlt_and_is_refused_the_rest(
    set_up_db: SetUpDatabase, tmp_path: Path
) -> None:
    rows = [{"id": "e1", "metric_id": "m1", "attributes": {"event_properties": {"$value": 9.5}}}]
    _load_as_loader(set_up_db, tmp_path, rows)
    _load_as_loader(set_up_db, tmp_path, [{**rows[0], "metric_id": "m2"}])  # merge via the staging schema
    with closing(set_up_db.connect(set_up_db.loader)) as conn, conn.cursor() as cur:
        cur.execute("select id, metric_id, attributes->'event_properties'->>'$value' from klaviyo_raw.events")
        assert cur.fetchall() == [("e1", "m2", "9.5")]
        assert _denied(conn, "create table klaviyo.not_mine (x int)")
        assert _denied(conn, "create schema elsewhere")
        assert _denied(conn, "select * from public.secret")
        assert _denied(conn, "create table public.not_mine (x int)")


def test_dbt_role_reads_raw_builds_target_and_is_refused_the_rest(
    set_up_db: SetUpDatabase, tmp_path: Path
) -> None:
    _load_as_loader(set_up_db, tmp_path, [{"id": "e1", "metric_id": "m1", "attributes": {"a": 1}}])
    with closing(set_up_db.connect(set_up_db.dbt)) as conn, conn.cursor() as cur:
        # What dbt does in its own schema: tables, views, renames, drops.
        cur.execute("create table klaviyo.t__dbt_tmp as select id, metric_id from klaviyo_raw.events")
        cur.execute("alter table klaviyo.t__dbt_tmp rename to klaviyo_event")
        cur.execute("create view klaviyo.v as select * from klaviyo.klaviyo_event")
        cur.execute("select id from klaviyo.v")
        assert cur.fetchall() == [("e1",)]
        cur.execute("drop view klaviyo.v")
        assert _denied(conn, "insert into klaviyo_raw.events (id) values ('forged')")
        assert _denied(conn, "delete from klaviyo_raw.events")
        assert _denied(conn, "create table klaviyo_raw.not_mine (x int)")
        assert _denied(conn, "drop table klaviyo_raw.events")
        assert _denied(conn, "create schema elsewhere")
        assert _denied(conn, "select * from public.secret")
    # The loader reads what dbt built (for `klaviyo-sync export`), without being able to change it.
    with closing(set_up_db.connect(set_up_db.loader)) as conn, conn.cursor() as cur:
        cur.execute("select id, metric_id from klaviyo.klaviyo_event")
        assert cur.fetchall() == [("e1", "m1")]
        assert _denied(conn, "delete from klaviyo.klaviyo_event")


def test_the_package_builds_as_the_dbt_role_on_what_the_loader_role_loaded(
    set_up_db: SetUpDatabase, tmp_path: Path
) -> None:
    data = KlaviyoRawData.initial(n_metrics=2, n_profiles=3, n_events=6)
    pipeline = dlt.pipeline(
        pipeline_name="klaviyo_sync", pipelines_dir=str(tmp_path / "pipelines"), dataset_name="klaviyo_raw",
        destination=dlt.destinations.postgres(credentials=set_up_db.dsn(set_up_db.loader)),
    )
    load_raw(pipeline, data.everything())
    server = set_up_db.db.server
    env = {"KLAVIYO_PG_HOST": server.host, "KLAVIYO_PG_PORT": str(server.port),
           "KLAVIYO_PG_USER": set_up_db.dbt, "DBT_ENV_SECRET_KLAVIYO_PG_PASSWORD": set_up_db.password,
           "KLAVIYO_PG_DATABASE": set_up_db.db.name}
    for _ in range(2):  # the full build, then an incremental one (temp tables, delete+insert)
        assert build_failures(dbt_build("postgres", env, tmp_path / "dbt")) == []
    with closing(set_up_db.connect(set_up_db.loader)) as conn, conn.cursor() as cur:
        cur.execute("select count(*), count(distinct metric_name) from klaviyo.klaviyo_event")
        assert cur.fetchone() == (6, 2)
        cur.execute("select count(*) from klaviyo.klaviyo_profile")
        assert cur.fetchone() == (3,)
        cur.execute("select account_id from klaviyo.klaviyo_account")
        assert cur.fetchall() == [(data.account_id,)]
