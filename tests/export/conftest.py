"""Export tests run against real DuckDB files (and the PostgreSQL fixture), tables made by the tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from loader.export.exporter import ExportOptions, ExportResult, export
from loader.export.query import Source


class DuckWarehouse:
    """A DuckDB file the export reads through `make_pipeline` (DESTINATION__DUCKDB__CREDENTIALS)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def sql(self, *statements: str) -> None:
        with duckdb.connect(str(self.path)) as con:
            for statement in statements:
                con.execute(statement)


@pytest.fixture
def duck(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DuckWarehouse:
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(path))
    monkeypatch.chdir(tmp_path)
    return DuckWarehouse(path)


@pytest.fixture
def run_export(duck: DuckWarehouse, tmp_path: Path) -> Callable[..., ExportResult]:
    """Export `query` (on the DuckDB file) as `kind` into tmp_path/out (or `out_dir`); other keyword
    args go to the options."""

    def run(query: str, kind: str = "profiles", **options: object) -> ExportResult:
        out_dir = options.pop("out_dir", tmp_path / "out")
        opts = ExportOptions(kind=kind, out_dir=out_dir, **options)  # type: ignore[arg-type]
        return export(Source(query=query), opts)

    return run
