"""`run_sync`: one Klaviyo -> warehouse sync with the `klaviyo` source and the shared pipeline.

Order of a run: finish any load package a killed or failed run left behind (its data and its
cursor state go in together), report each object's kind (historical/periodic), extract + normalize
+ load, then report what each object loaded. Cursor state is part of the load package, so a run
that dies before its load commits leaves the warehouse's cursor where it was.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import dlt
from dlt.common.pipeline import LoadInfo
from dlt.pipeline.exceptions import PipelineStepFailed

from loader.destination import make_pipeline
from loader.errors import SyncError
from loader.secrets import redact
from loader.source import ExtractReport, klaviyo
from loader.source.slices import run_upper_bound
from loader.sync_observer import NullObserver, ObjectResult, SyncObserver
from loader.sync_settings import SyncSettings

logger = logging.getLogger(__name__)
SOURCE_NAME = "klaviyo"
ARROW_DESTINATIONS = ("duckdb", "postgres")
DUCKDB_CONFIG_KEY = "destination.duckdb.credentials.global_config"
DUCKDB_DEFAULTS = {"memory_limit": "128MB", "preserve_insertion_order": False}


@dataclass
class SyncResult:
    run_start: datetime
    objects: dict[str, ObjectResult] = field(default_factory=dict)
    load_info: LoadInfo | None = None
    resumed_pending: bool = False


def run_sync(
    settings: SyncSettings, *, pipeline: dlt.Pipeline | None = None, observer: SyncObserver | None = None
) -> SyncResult:
    """Run one sync; raise `SyncError` (after `observer.on_error`) on any failure."""
    observer = observer or NullObserver()
    report = ExtractReport(run_upper_bound(), progress=observer.on_progress)
    try:
        pipeline = pipeline or make_pipeline(settings.destination, pipelines_dir=settings.pipelines_dir)
        _bound_duckdb_memory(pipeline)
        _use_system_arrow_allocator()
        resumed = _finish_pending(pipeline)
        objects = ["metrics", *settings.objects]
        observer.on_run_start(objects, _kinds(pipeline, settings, objects))
        source = klaviyo(**settings.source_kwargs(), item_format=_item_format(pipeline), report=report)
        if settings.full_refresh:  # drop the raw tables and cursors of the synced objects first
            info = pipeline.run(source, refresh="drop_resources")
        else:
            info = pipeline.run(source)
    except Exception as exc:  # noqa: BLE001 - every failure becomes one clear SyncError
        error = _as_sync_error(exc, settings)
        observer.on_error(_failed_object(report), error)
        raise error from exc
    result = SyncResult(run_start=report.run_start, load_info=info, resumed_pending=resumed)
    loaded = _loaded_rows(pipeline)
    for name in objects:
        obj = report.object(name)
        window = obj.window
        done = ObjectResult(
            name, obj.kind, obj.rows, loaded.get(name, 0),
            window.start if window else None, window.end if window else None,
            report.run_start if obj.done else None,
        )
        result.objects[name] = done
        observer.on_object_done(done)
    return result


def _use_system_arrow_allocator() -> None:
    """Arrow pages are short-lived: the system allocator hands their memory back at once, where
    pyarrow's default jemalloc pool keeps it cached (about 60 MB more peak RSS per run)."""
    import pyarrow

    pyarrow.set_memory_pool(pyarrow.system_memory_pool())


def _bound_duckdb_memory(pipeline: dlt.Pipeline) -> None:
    """DuckDB may grow its buffer pool to 80% of RAM while merging; cap it (it spills to disk)
    unless the user configured `[destination.duckdb.credentials] global_config` themselves."""
    name = pipeline.destination.destination_name if pipeline.destination else ""
    if name == "duckdb" and dlt.config.get(DUCKDB_CONFIG_KEY) is None:
        dlt.config[DUCKDB_CONFIG_KEY] = dict(DUCKDB_DEFAULTS)


def _item_format(pipeline: dlt.Pipeline) -> str:
    """Arrow pages where JSON text is known to land in JSON columns; dict rows (JSONL) elsewhere
    (Snowflake and Redshift keep JSON from parquet as plain strings)."""
    name = pipeline.destination.destination_name if pipeline.destination else ""
    if name in ARROW_DESTINATIONS:
        # dlt adds the contract's `_dlt_load_id` to arrow pages only when asked (the dbt models need it)
        dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    return "arrow" if name in ARROW_DESTINATIONS else "rows"


def _finish_pending(pipeline: dlt.Pipeline) -> bool:
    """Load what an interrupted run extracted (data and cursor state together) before going on."""
    _complete_interrupted_normalize(pipeline)
    if not pipeline.has_pending_data:
        return False
    logger.warning("loading the pending package of an interrupted run first")
    pipeline.run()
    return True


def _complete_interrupted_normalize(pipeline: dlt.Pipeline) -> None:
    """Finish dlt's two-step normalize commit when a kill -9 landed between its steps.

    dlt renames the normalized package into the load storage and then deletes the extracted
    package; killed in between, the next normalize would redo the package and fail on the existing
    folder. The renamed package is complete, so the leftover extracted copy is what dlt would have
    deleted next.
    """
    extracted = set(pipeline.list_extracted_load_packages())
    if not extracted:
        return
    committed = set(pipeline.list_normalized_load_packages()) | set(pipeline.list_completed_load_packages())
    for load_id in sorted(extracted & committed):
        logger.warning("completing the interrupted normalize commit of package %s", load_id)
        pipeline._get_normalize_storage().extracted_packages.delete_package(load_id)


def _kinds(pipeline: dlt.Pipeline, settings: SyncSettings, objects: list[str]) -> dict[str, str]:
    """historical for an object's first sync (no stored cursor, or --full-refresh), else periodic."""
    if settings.full_refresh:
        return {name: "historical" for name in objects}
    pipeline.sync_destination()
    resources = pipeline.state.get("sources", {}).get(SOURCE_NAME, {}).get("resources", {})
    kinds = {"metrics": "periodic" if resources.get("metrics", {}).get("last_run") else "historical"}
    kinds["profiles"] = "periodic" if resources.get("profiles", {}).get("cursor") else "historical"
    kinds["events"] = "periodic" if resources.get("events", {}).get("cursors") else "historical"
    return {name: kinds[name] for name in objects}


def _loaded_rows(pipeline: dlt.Pipeline) -> dict[str, int]:
    trace = pipeline.last_trace
    info = trace.last_normalize_info if trace else None
    return dict(info.row_counts) if info else {}


def _failed_object(report: ExtractReport) -> str | None:
    started = [name for name, obj in report.objects.items() if not obj.done]
    return started[0] if started else None


def _as_sync_error(exc: BaseException, settings: SyncSettings) -> SyncError:
    found = _find(exc, SyncError)
    if found is not None:
        return found
    secrets = [settings.api_key]
    inner = _innermost(exc)
    step = exc.step if isinstance(exc, PipelineStepFailed) else "sync"
    text = redact(f"{type(inner).__name__}: {inner}", secrets)
    if step in ("load", "normalize") or "destination" in type(inner).__module__.lower():
        where = f"destination {settings.destination or 'from config (default duckdb)'}"
        fix = ("check the destination credentials and that it is reachable, then run again "
               "(the cursor only moves when the load commits)")
    else:
        where = f"{step} step"
        fix = "run again with --debug and report the traceback if it persists"
    return SyncError(f"the {step} step failed: {text}"[:2000], where, fix, code=step)


def _find(exc: BaseException | None, kind: type[Any]) -> Any:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, kind):
            return exc
        exc = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__
    return None


def _innermost(exc: BaseException) -> BaseException:
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        nxt = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__
        if not isinstance(nxt, BaseException):
            break
        exc = nxt
    return exc
