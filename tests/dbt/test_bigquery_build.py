"""The dbt package on BigQuery (crucible-emulator over HTTP): raw tables seeded as dlt writes them,
`dbt build`, the marts row by row against the ground truth, then a second load and an incremental
(MERGE) build; the same for campaigns, flows, Klaviyo's attribution and the performance marts."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import pytest

from tests.dbt.cross_warehouse.scenario import (
    KEYS,
    MARKETING_MART_KEYS,
    Batch,
    MarketingRun,
    MarketingRunChecks,
    Snapshot,
    TwoLoadRun,
    TwoLoadRunChecks,
    dbt_build,
    marketing_variables,
    normalise,
    run_marketing_loads,
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


class _Project:
    """A fresh crucible project with the raw dataset, a seeder and a mart reader."""

    def __init__(self, server: CrucibleServer, *, marketing: bool = False) -> None:
        self.name = f"kws-{uuid.uuid4().hex[:8]}"
        self.client = _client(server, self.name)
        self.client.create_dataset(f"{self.name}.klaviyo_raw")
        self.seeder = RawSeeder("bigquery", f"{self.name}.klaviyo_raw")
        for statement in self.seeder.create_tables(marketing=marketing):
            self.client.query(statement).result()
        self.env = {
            "KLAVIYO_BIGQUERY_METHOD": "oauth-secrets", "KLAVIYO_BIGQUERY_PROJECT": self.name,
            "DBT_ENV_SECRET_KLAVIYO_BIGQUERY_TOKEN": "dummy",
            "KLAVIYO_BIGQUERY_API_ENDPOINT": server.base_url,
        }

    def seed(self, batch: Batch, load_id: str, finished_at: datetime) -> None:
        for statement in self.seeder.load(batch, load_id, finished_at):
            self.client.query(statement).result()

    def read(self, keys: dict[str, tuple[str, ...]]) -> Snapshot:
        table = f"`{self.name}.klaviyo.{{}}`"
        queries = {mart: f"select * from {table.format(mart)} order by {', '.join(key)}"
                   for mart, key in keys.items()}
        return {mart: [normalise(dict(row.items())) for row in self.client.query(sql).result()]
                for mart, sql in queries.items()}


@pytest.fixture(scope="module")
def two_load_run(crucible_server: CrucibleServer, tmp_path_factory: pytest.TempPathFactory) -> TwoLoadRun:
    project = _Project(crucible_server)
    work: Path = tmp_path_factory.mktemp("dbt-bigquery")
    try:
        return run_two_loads(project.seed, lambda: dbt_build("bigquery", project.env, work),
                             lambda: project.read(KEYS))
    finally:
        project.client.close()


@pytest.fixture(scope="module")
def marketing_run(crucible_server: CrucibleServer, tmp_path_factory: pytest.TempPathFactory) -> MarketingRun:
    project = _Project(crucible_server, marketing=True)
    work: Path = tmp_path_factory.mktemp("dbt-bigquery-marketing")

    def build(full_refresh: bool) -> object:
        return dbt_build("bigquery", project.env, work, marketing_variables(), full_refresh=full_refresh)

    try:
        return run_marketing_loads(project.seed, build, lambda: project.read(MARKETING_MART_KEYS))
    finally:
        project.client.close()


class TestBigquery(TwoLoadRunChecks):
    """The shared two-load checks on BigQuery (crucible)."""


class TestBigqueryMarketing(MarketingRunChecks):
    """Campaigns, flows, attribution and performance on BigQuery (crucible), incremental by MERGE."""
