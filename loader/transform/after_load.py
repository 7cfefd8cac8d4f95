"""The dbt step that follows a successful load (`run` and `schedule`), with the loader's credentials."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import dlt

from loader.destination import make_pipeline
from loader.transform.dbt_build import DbtBuildSummary, build_models
from loader.transform.test_scope import full_tests_every, full_tests_requested, plan_tests, record_tests

DBT_DIR_CONFIG_KEY = "klaviyo_sync.dbt_dir"
DEFAULT_DBT_DIR = Path("klaviyo_sync_dbt")


def dbt_work_dir(value: Path | None = None) -> Path:
    """Where dbt's target/ and logs/ go: `--dbt-dir`, else `[klaviyo_sync] dbt_dir`, else
    ./klaviyo_sync_dbt."""
    configured = dlt.config.get(DBT_DIR_CONFIG_KEY, str)
    return Path(value or configured or DEFAULT_DBT_DIR).resolve()


def build_after_load(
    settings: Any, *, work_dir: Path, echo: Callable[[str], None] = print
) -> DbtBuildSummary:
    """`dbt build` of the package on the loader's destination; prints the summary, raises on failure.

    The data tests read the rows loaded since the last green build (an hourly run), or every row on
    the first build, a full refresh, once every `dbt_full_tests_every_hours` (24) and when
    `dbt_full_tests` is set (loader.transform.test_scope)."""
    pipeline = make_pipeline(settings.destination, pipelines_dir=settings.pipelines_dir)
    full_refresh = bool(settings.full_refresh)
    scope = plan_tests(work_dir, f"{pipeline.destination.destination_name}:{pipeline.dataset_name}",
                       full=full_refresh or full_tests_requested(), every=full_tests_every())
    echo(scope.describe())
    summary = build_models(settings.destination, work_dir=work_dir, full_refresh=full_refresh,
                           pipeline=pipeline, tests_since=scope.env_value)
    record_tests(work_dir, scope, summary.success)
    for line in summary.lines():
        echo(line)
    summary.raise_for_failure()
    return summary
