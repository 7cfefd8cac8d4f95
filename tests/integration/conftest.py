"""Loader integration tests: the emulator over real HTTP into real DuckDB / PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import dlt
import pytest

from loader.destination import make_pipeline
from loader.pipeline import SyncResult, run_sync
from loader.sync_settings import SyncSettings


class Warehouse:
    """One destination for a test: makes the (same) pipeline and reads the raw tables back."""

    def __init__(self, name: str, root: Path) -> None:
        self.name = name
        self.pipelines_dir = str(root / "pipelines")

    def pipeline(self) -> dlt.Pipeline:
        return make_pipeline(self.name, pipelines_dir=self.pipelines_dir)

    def sync(self, **flags: Any) -> SyncResult:
        settings = SyncSettings.resolve(pipelines_dir=self.pipelines_dir, destination=self.name, **flags)
        return run_sync(settings, pipeline=self.pipeline())

    def tables(self) -> set[str]:
        pipeline = self.pipeline()
        with pipeline.sql_client() as client:
            if not client.has_dataset():
                return set()
            rows = client.execute_sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                client.dataset_name,
            )
        return {row[0] for row in rows}

    def rows(self, table: str, columns: str) -> list[tuple[Any, ...]]:
        pipeline = self.pipeline()
        with pipeline.sql_client() as client:
            name = client.make_qualified_table_name(table)
            return [tuple(r) for r in client.execute_sql(f"SELECT {columns} FROM {name} ORDER BY id")]


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    """DuckDB (a file in tmp_path) or a fresh database on the real PostgreSQL test server."""
    if request.param == "postgres":
        request.getfixturevalue("postgres_db")
    else:
        monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(tmp_path / "warehouse.duckdb"))
    return Warehouse(request.param, tmp_path)


@pytest.fixture
def duckdb_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(tmp_path / "warehouse.duckdb"))
    return Warehouse("duckdb", tmp_path)


@pytest.fixture
def no_dlt_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[], None]:
    """Run in an empty directory so no stray .dlt/ config changes the settings under test."""
    monkeypatch.chdir(tmp_path)
    return lambda: None
