"""A raw dataset plus marts on DuckDB or the test PostgreSQL, driven like the product drives them.

`Warehouse` wraps the dlt pipeline the loader would use (same name and dataset), builds the dbt
package with `build_models`, runs other dbt commands with the same derived connection, and opens a
short-lived DB-API connection to read results (DuckDB allows one configuration per file in a
process, so it is closed before dbt runs again).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlt

from loader.transform import DbtBuildSummary, build_models
from loader.transform.dbt_invoke import DbtPaths, dbt_args, invoke_dbt
from loader.transform.dbt_profile_env import dbt_connection
from tests.dbt.raw_seed import load_raw


@dataclass
class Warehouse:
    name: str
    pipeline: dlt.Pipeline
    work_dir: Path
    dsn: str | None = None

    def load(self, batch: dict[str, list[dict[str, Any]]]) -> None:
        load_raw(self.pipeline, batch)

    def build(self, **kwargs: Any) -> DbtBuildSummary:
        return build_models(self.name, work_dir=self.work_dir, pipeline=self.pipeline, **kwargs)

    def dbt(self, command: Sequence[str], variables: dict[str, Any] | None = None) -> Any:
        conn = dbt_connection(self.pipeline, self.work_dir)
        variables = {"klaviyo_raw_schema": conn.raw_schema, **(variables or {})}
        args = dbt_args(command, DbtPaths.under(self.work_dir), target=conn.target, variables=variables)
        return invoke_dbt(args, conn.env)

    @contextmanager
    def connect(self) -> Iterator[Any]:
        if self.name == "duckdb":
            import duckdb

            connection = duckdb.connect(str(self.pipeline.destination_client().config.credentials.database))
        else:
            import psycopg2

            connection = psycopg2.connect(self.dsn)
        try:
            yield connection
        finally:
            connection.close()


def duckdb_warehouse(root: Path) -> Warehouse:
    destination = dlt.destinations.duckdb(str(root / "klaviyo_sync.duckdb"))
    pipeline = dlt.pipeline(
        pipeline_name="klaviyo_sync", destination=destination, dataset_name="klaviyo_raw",
        pipelines_dir=str(root / "pipelines"),
    )
    return Warehouse("duckdb", pipeline, root / "dbt")


def postgres_warehouse(root: Path, dsn: str) -> Warehouse:
    pipeline = dlt.pipeline(
        pipeline_name="klaviyo_sync", destination=dlt.destinations.postgres(credentials=dsn),
        dataset_name="klaviyo_raw", pipelines_dir=str(root / "pipelines"),
    )
    return Warehouse("postgres", pipeline, root / "dbt", dsn=dsn)
