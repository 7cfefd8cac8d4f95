"""`build_models`: `dbt build` of the klaviyo_warehouse package on the loader's destination.

The dbt connection comes from the same dlt destination config the loader used (credentials are
configured once); dbt writes `target/` and `logs/dbt.log` under `work_dir`. The returned summary
counts models built and tests passed/failed/warned and names every failure, with secrets redacted.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt

from loader.destination import make_pipeline
from loader.errors import SyncError, TransientError
from loader.secrets import redact
from loader.transform.dbt_invoke import DbtPaths, dbt_args, invoke_dbt
from loader.transform.dbt_profile_env import DbtConnection, dbt_connection
from loader.transform.test_scope import TESTS_SINCE_ENV

# the raw tables the package reads only when they exist (var `klaviyo_<table>_enabled`, see dbt_project.yml)
OPTIONAL_TABLES = ("profiles", "events", "campaigns", "campaign_messages", "flows", "flow_actions",
                   "flow_messages", "event_attributions", "deletions", "lists", "segments", "list_members",
                   "segment_members")
OBJECT_VARS = {table: f"klaviyo_{table}_enabled" for table in OPTIONAL_TABLES}


@dataclass(frozen=True)
class DbtBuildSummary:
    """What one `dbt build` did. `success` is False if any model or test errored or failed."""

    success: bool
    models_built: int
    models_failed: int
    models_skipped: int
    tests_passed: int
    tests_failed: int
    tests_warned: int
    tests_errored: int
    failures: tuple[str, ...]
    warnings: tuple[str, ...]
    log_file: Path
    target_path: Path
    elapsed_seconds: float
    statuses: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """A short human summary; the full log is at `log_file`."""
        head = (
            f"dbt build {'succeeded' if self.success else 'FAILED'} in {self.elapsed_seconds:.1f}s: "
            f"{self.models_built} models built, {self.models_failed} failed, {self.models_skipped} skipped; "
            f"tests {self.tests_passed} passed, {self.tests_failed} failed, {self.tests_warned} warned, "
            f"{self.tests_errored} errored"
        )
        return [head, *self.failures, *self.warnings, f"full dbt log: {self.log_file}"]

    def raise_for_failure(self) -> None:
        if not self.success:
            raise SyncError(
                f"dbt build failed ({'; '.join(self.failures) or 'see the log'})",
                str(self.log_file),
                "read the dbt log, fix the failing model or data, then run again",
            )


def _node_kind(node: Any) -> str:
    return str(getattr(node.resource_type, "value", node.resource_type))


def _tally(results: Sequence[Any], secrets: list[str]) -> dict[str, Any]:
    counts: Counter[tuple[str, str]] = Counter()
    failures, warnings, statuses = [], [], {}
    for result in results:
        kind, status = _node_kind(result.node), str(getattr(result.status, "value", result.status))
        counts[(kind, status)] += 1
        statuses[result.node.unique_id] = status
        message = redact(str(result.message or ""), secrets).strip()
        line = f"{kind} {result.node.name}: {status}" + (f" - {message}" if message else "")
        if status in ("error", "fail"):
            failures.append(line)
        elif status == "warn":
            warnings.append(line)
    return {"counts": counts, "failures": failures, "warnings": warnings, "statuses": statuses}


def summarize(result: Any, paths: DbtPaths, secrets: list[str], elapsed: float) -> DbtBuildSummary:
    """Turn a `dbtRunnerResult` of `dbt build` into a DbtBuildSummary."""
    tally = _tally(list(getattr(result.result, "results", None) or []), secrets)
    counts = tally["counts"]
    model_kinds = ("model", "snapshot", "seed")
    built = sum(counts[(kind, "success")] for kind in model_kinds)
    failed = sum(counts[(kind, "error")] for kind in model_kinds)
    skipped = sum(counts[(kind, "skipped")] for kind in model_kinds)
    failures = tuple(tally["failures"])
    return DbtBuildSummary(
        success=bool(result.success) and not failures,
        models_built=built,
        models_failed=failed,
        models_skipped=skipped,
        tests_passed=counts[("test", "pass")],
        tests_failed=counts[("test", "fail")],
        tests_warned=counts[("test", "warn")],
        tests_errored=counts[("test", "error")],
        failures=failures,
        warnings=tuple(tally["warnings"]),
        log_file=paths.log_file,
        target_path=paths.target_path,
        elapsed_seconds=elapsed,
        statuses=tally["statuses"],
    )


def synced_objects(pipeline: dlt.Pipeline, secrets: Sequence[str] = ()) -> list[str] | None:
    """The objects whose raw table exists in the destination (None when that cannot be told)."""
    try:
        with pipeline.destination_client() as client:
            get_storage_tables = getattr(client, "get_storage_tables", None)
            if get_storage_tables is None:
                return None
            return [name for name, columns in get_storage_tables(list(OBJECT_VARS)) if columns]
    except Exception as exc:  # noqa: BLE001 - any connection failure becomes one clear error
        raise TransientError(
            f"cannot reach the warehouse to build the dbt models: {redact(str(exc), secrets)}",
            f"destination {pipeline.destination.destination_name}",
            "check the destination credentials (the same ones the loader uses), then run again",
        ) from None


def _variables(conn: DbtConnection, objects: Sequence[str] | None) -> dict[str, Any]:
    variables: dict[str, Any] = {"klaviyo_raw_schema": conn.raw_schema}
    if objects is not None:
        for obj, var_name in OBJECT_VARS.items():
            variables[var_name] = obj in objects
    return variables


def build_models(
    destination: str | None,
    *,
    work_dir: Path,
    full_refresh: bool = False,
    select: str | None = None,
    objects: Sequence[str] | None = None,
    pipeline: dlt.Pipeline | None = None,
    tests_since: str = "",
) -> DbtBuildSummary:
    """Run `dbt build` for the package against `destination` (the loader's, same credentials).

    `destination` None means the configured one (see `loader.destination.resolve_destination`);
    pass `pipeline` to reuse the loader's pipeline object (e.g. with its own pipelines_dir).
    `objects` (e.g. ["events"]) disables the models of objects that are not synced; by default the
    objects whose raw table exists are built. `tests_since` (a UTC 'YYYY-MM-DD HH:MM:SS') scopes the
    package's tests on its large tables to the rows loaded after it (loader.transform.test_scope);
    empty, every test reads every row. Raises
    SyncError when dbt cannot run at all (bad credentials, unreachable warehouse, parse error);
    model and test failures are reported in the summary (see `raise_for_failure`).
    """
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    pipeline = pipeline or make_pipeline(destination)
    conn = dbt_connection(pipeline, work_dir)
    if objects is None:
        objects = synced_objects(pipeline, conn.secrets)
    paths = DbtPaths.under(work_dir)
    command = ["build", *(["--full-refresh"] if full_refresh else [])]
    command += ["--select", select] if select else []
    args = dbt_args(command, paths, target=conn.target, variables=_variables(conn, objects))
    started = time.monotonic()
    try:
        result = invoke_dbt(args, {**conn.env, TESTS_SINCE_ENV: tests_since})
    finally:
        conn.cleanup()
    summary = summarize(result, paths, conn.secrets, time.monotonic() - started)
    if result.exception is not None or (not result.success and result.result is None):
        detail = redact(str(result.exception or "dbt did not run"), conn.secrets)
        raise TransientError(
            f"dbt could not run: {detail}",
            str(paths.log_file),
            "check the destination credentials and the dbt log, then run again",
        )
    return summary
