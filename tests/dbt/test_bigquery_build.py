"""The dbt package on BigQuery (crucible-emulator over HTTP): raw tables seeded as dlt writes them,
`dbt build`, the marts row by row against the ground truth, then a second load and an incremental
(MERGE) build."""

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
from tests.fixtures.crucible import CrucibleServer

pytestmark = [pytest.mark.dbt]


def _client(server: CrucibleServer, project: str):  # noqa: ANN202 - google types are optional imports
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    return bigquery.Client(project=project, credentials=AnonymousCredentials(),
                           client_options=ClientOptions(api_endpoint=server.base_url))


@pytest.fixture(scope="module")
def two_load_run(crucible_server: CrucibleServer, tmp_path_factory: pytest.TempPathFactory) -> TwoLoadRun:
    project = f"kws-{uuid.uuid4().hex[:8]}"
    client = _client(crucible_server, project)
    client.create_dataset(f"{project}.klaviyo_raw")
    seeder = RawSeeder("bigquery", f"{project}.klaviyo_raw")
    for statement in seeder.create_tables():
        client.query(statement).result()

    def seed(batch: Batch, load_id: str, finished_at: datetime) -> None:
        for statement in seeder.load(batch, load_id, finished_at):
            client.query(statement).result()

    def read_marts() -> Snapshot:
        table = f"`{project}.klaviyo.{{}}`"
        queries = {mart: f"select * from {table.format(mart)} order by {order_by(mart)}" for mart in KEYS}
        return {mart: [normalise(dict(row.items())) for row in client.query(sql).result()]
                for mart, sql in queries.items()}

    env = {
        "KLAVIYO_BIGQUERY_METHOD": "oauth-secrets", "KLAVIYO_BIGQUERY_PROJECT": project,
        "DBT_ENV_SECRET_KLAVIYO_BIGQUERY_TOKEN": "dummy",
        "KLAVIYO_BIGQUERY_API_ENDPOINT": crucible_server.base_url,
    }
    work: Path = tmp_path_factory.mktemp("dbt-bigquery")
    try:
        return run_two_loads(seed, lambda: dbt_build("bigquery", env, work), read_marts)
    finally:
        client.close()


class TestBigquery(TwoLoadRunChecks):
    """The shared two-load checks on BigQuery (crucible)."""
