"""The cross-warehouse macros through a small dbt project (seed -> model -> equality test).

The project in tests/dbt/macro_project installs this repository as a local dbt package, so every
macro is called exactly as a user's project would call it, on DuckDB and on the real PostgreSQL.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from loader.transform.dbt_invoke import DbtPaths, dbt_args, invoke_dbt
from loader.transform.dbt_project import find_dbt_project, profiles_dir

pytestmark = [pytest.mark.dbt]

MACRO_PROJECT = Path(__file__).parent / "macro_project"


@pytest.fixture
def macro_project(tmp_path: Path) -> DbtPaths:
    project = tmp_path / "macro_project"
    shutil.copytree(MACRO_PROJECT, project)
    package = find_dbt_project()
    (project / "packages.yml").write_text(f"packages:\n  - local: {package}\n", encoding="utf-8")
    work = tmp_path / "work"
    return DbtPaths(project, profiles_dir(package), work / "target", work / "logs")


def _deps(paths: DbtPaths, env: dict[str, str]) -> None:
    """Install the repository as a local package (a symlink under the temporary project)."""
    args = ["deps", "--project-dir", str(paths.project_dir), "--profiles-dir", str(paths.profiles_dir),
            "--log-path", str(paths.log_path), "--log-level", "none"]
    deps = invoke_dbt(args, env)
    assert deps.success, deps.exception


def _build(paths: DbtPaths, target: str, env: dict[str, str]) -> dict[str, str]:
    _deps(paths, env)
    result = invoke_dbt(dbt_args(["build"], paths, target=target), env)
    statuses = {r.node.name: str(r.status) for r in result.result.results}
    assert result.success, statuses
    return statuses


def _expected_statuses() -> dict[str, str]:
    return {
        "json_cases": "success",
        "json_expected": "success",
        "macro_results": "success",
        "assert_macro_results_equal_expected": "pass",
    }


def test_macros_on_duckdb(macro_project: DbtPaths, tmp_path: Path) -> None:
    env = {
        "KLAVIYO_DBT_TARGET": "duckdb",
        "KLAVIYO_DUCKDB_PATH": str(tmp_path / "macros.duckdb"),
        "KLAVIYO_DBT_SCHEMA": "macro_tests",
    }
    assert _build(macro_project, "duckdb", env) == _expected_statuses()


@pytest.mark.postgres
def test_macros_on_postgres(macro_project: DbtPaths, postgres_db: object) -> None:
    env = {"KLAVIYO_DBT_TARGET": "postgres", "KLAVIYO_DBT_SCHEMA": "macro_tests"}
    assert _build(macro_project, "postgres", env) == _expected_statuses()


def test_the_equality_test_catches_a_wrong_macro_result(macro_project: DbtPaths, tmp_path: Path) -> None:
    expected = macro_project.project_dir / "seeds" / "json_expected.csv"
    expected.write_text(expected.read_text().replace("2022-11-07 23:23:45", "2022-11-08 01:23:45", 1))
    env = {
        "KLAVIYO_DBT_TARGET": "duckdb",
        "KLAVIYO_DUCKDB_PATH": str(tmp_path / "macros.duckdb"),
        "KLAVIYO_DBT_SCHEMA": "macro_tests",
    }
    _deps(macro_project, env)
    result = invoke_dbt(dbt_args(["build"], macro_project, target="duckdb"), env)
    statuses = {r.node.name: str(r.status) for r in result.result.results}
    assert not result.success
    assert statuses["assert_macro_results_equal_expected"] == "fail"
