"""`run_sync`: one Klaviyo -> warehouse sync with the `klaviyo` source and the shared pipeline.

Order of a run: finish any load package a killed or failed run left behind (its data and its
cursor state go in together), open every account (`GET /api/accounts`), upgrade a warehouse
written before accounts existed (loader.upgrade), report each unit's kind (historical/periodic),
extract + normalize + load all accounts together, then report what each unit loaded. Cursor state
is part of the load package, so a run that dies before its load commits leaves every cursor where
it was. An account that fails (a revoked key) fails alone: the others load, and the run raises only
when no account could be read at all.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import dlt
from dlt.common.destination.exceptions import DestinationTerminalException
from dlt.common.pipeline import LoadInfo
from dlt.pipeline.exceptions import PipelineStepFailed

from loader.destination import make_pipeline
from loader.errors import SyncError, TransientError, chain, is_transient
from loader.secrets import redact
from loader.source import ExtractReport, klaviyo
from loader.source.accounts import AccountSpec, close_all, open_accounts
from loader.source.context import AccountContext
from loader.source.options import SourceOptions
from loader.source.settings import CURSOR_KEYS
from loader.source.slices import run_upper_bound
from loader.sync_observer import NullObserver, ObjectResult, SyncObserver, Unit
from loader.sync_settings import AccountSettings, SyncSettings
from loader.upgrade import legacy_account, plan_upgrade, upgrade_tables

logger = logging.getLogger(__name__)
SOURCE_NAME = "klaviyo"
ARROW_DESTINATIONS = ("duckdb", "postgres")
DUCKDB_CONFIG_KEY = "destination.duckdb.credentials.global_config"
DUCKDB_DEFAULTS = {"memory_limit": "128MB", "preserve_insertion_order": False}
LOAD_WORKERS_KEY = "load.workers"
# dlt settings the loader gives DuckDB runs while the user configured none of its own
DUCKDB_RUN_DEFAULTS: dict[str, Any] = {DUCKDB_CONFIG_KEY: DUCKDB_DEFAULTS, LOAD_WORKERS_KEY: 1}


class ObjectResults(dict[Unit, ObjectResult]):
    """Results by unit; `results["events"]` also works while one account has that object."""

    def __missing__(self, key: object) -> ObjectResult:
        if isinstance(key, str):
            found = [done for unit, done in self.items() if unit.object == key]
            if len(found) == 1:
                return found[0]
        raise KeyError(key)


@dataclass
class SyncResult:
    run_start: datetime
    objects: ObjectResults = field(default_factory=ObjectResults)
    failed: dict[Unit, BaseException] = field(default_factory=dict)
    load_info: LoadInfo | None = None
    resumed_pending: bool = False
    upgraded_account: str | None = None  # the account an old warehouse was upgraded to (loader.upgrade)
    account_ids: dict[str, str] = field(default_factory=dict)  # configured name -> Klaviyo id


def run_sync(
    settings: SyncSettings, *, pipeline: dlt.Pipeline | None = None, observer: SyncObserver | None = None
) -> SyncResult:
    """Run one sync of every configured account.

    An account that fails gets `observer.on_object_failed` for each of its units and is listed in
    `SyncResult.failed`; the others load. Raises `SyncError` when no account could be read (after
    those calls), or after `observer.on_error` when the run as a whole fails (e.g. the warehouse).
    """
    observer = observer or NullObserver()
    report = ExtractReport(run_upper_bound(), progress=observer.on_progress)
    units = settings.units
    accounts: list[AccountContext] = []
    upgraded: str | None = None
    try:
        pipeline = pipeline or make_pipeline(settings.destination, pipelines_dir=settings.pipelines_dir)
        _bound_duckdb_memory(pipeline)
        _use_system_arrow_allocator()
        resumed = _finish_pending(pipeline)
        item_format = item_format_for(pipeline)
        specs = [AccountSpec(a.name, a.api_key, _options(a, item_format))
                 for a in settings.accounts]
        accounts, failed_accounts = open_accounts(specs, settings.base_url, report)
        for name, error in failed_accounts.items():
            for unit in units:
                if unit.account == name:
                    report.fail(unit, error)
        if not settings.full_refresh:
            pipeline.sync_destination()
        legacy_id, upgraded = _upgrade(pipeline, settings, accounts, failed_accounts)
        observer.on_run_start(units, _kinds(pipeline, settings, units, accounts, legacy_id))
        info = None
        if accounts:
            source = klaviyo(accounts=accounts, legacy_account_id=legacy_id)
            if settings.full_refresh:  # drop the raw tables and cursors of the synced objects first
                info = pipeline.run(source, refresh="drop_resources")
            else:
                info = pipeline.run(source)
    except Exception as exc:  # noqa: BLE001 - every failure becomes one clear SyncError
        error = _as_sync_error(exc, settings)
        observer.on_error(_failed_unit(report), error)
        raise error from exc
    finally:
        close_all(accounts)
    result = SyncResult(run_start=report.run_start, load_info=info, resumed_pending=resumed,
                        upgraded_account=upgraded, account_ids={a.name: a.account_id for a in accounts})
    loaded = _loaded_rows(pipeline, report, units)
    for unit in units:
        obj = report.object(unit)
        if unit in report.failed or not obj.done:
            error = report.failed.get(unit) or SyncError(
                f"{unit.object} of account {unit.account} did not finish", f"account {unit.account}",
                "run again with --debug and report the traceback if it persists")
            result.failed[unit] = error
            observer.on_object_failed(unit, error)
            continue
        window = obj.window
        done = ObjectResult(
            unit.object, obj.kind, obj.rows, loaded.get(unit, 0),
            window.start if window else None, window.end if window else None,
            report.run_start, account=unit.account, account_id=result.account_ids.get(unit.account),
        )
        result.objects[unit] = done
        observer.on_object_done(done)
    if not result.objects and result.failed:
        raise next(iter(result.failed.values()))
    return result


def _options(account: AccountSettings, item_format: str) -> SourceOptions:
    """One account's source options, with the item format the destination takes best."""
    return replace(account.options, item_format=item_format)


def _upgrade(
    pipeline: dlt.Pipeline, settings: SyncSettings, accounts: list[AccountContext],
    failed: dict[str, BaseException],
) -> tuple[str | None, str | None]:
    """Upgrade a warehouse written before accounts; returns (its account id, its account name)."""
    if settings.full_refresh:
        return None, None
    plan = plan_upgrade(pipeline)
    if not plan.needed:
        return None, None
    name = legacy_account(settings.account_names, settings.upgrade_account)
    account = next((a for a in accounts if a.name == name), None)
    if account is None:
        error = failed.get(name)
        if error is not None:
            raise error  # the old data's account cannot be identified: change nothing
        raise SyncError(f"account {name!r} is not part of this run", "--accounts",
                        f"include {name}: the warehouse is upgraded to it first", code="config")
    upgrade_tables(pipeline, plan, account.account_id)
    return account.account_id, name


def _use_system_arrow_allocator() -> None:
    """Arrow pages are short-lived: the system allocator hands their memory back at once, where
    pyarrow's default jemalloc pool keeps it cached (about 60 MB more peak RSS per run)."""
    import pyarrow

    pyarrow.set_memory_pool(pyarrow.system_memory_pool())


def _bound_duckdb_memory(pipeline: dlt.Pipeline) -> None:
    """DuckDB may grow its buffer pool to 80% of RAM while merging; cap it (it spills to disk)
    unless the user configured `[destination.duckdb.credentials] global_config` themselves.
    Under that cap, dlt's parallel load jobs (up to 20 INSERTs from parquet at once into the one
    database) ran out of memory and were retried (4 retries in 3 runs of 100k events and 20k
    profiles); one job at a time loads as fast, so that is the default unless `[load] workers` is set."""
    name = pipeline.destination.destination_name if pipeline.destination else ""
    if name != "duckdb":
        return
    for key, default in DUCKDB_RUN_DEFAULTS.items():
        if dlt.config.get(key) is None:
            dlt.config[key] = copy.copy(default)


def item_format_for(pipeline: dlt.Pipeline) -> str:
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


def _kinds(
    pipeline: dlt.Pipeline, settings: SyncSettings, units: list[Unit], accounts: list[AccountContext],
    legacy_id: str | None,
) -> dict[Unit, str]:
    """historical for a unit's first sync (no stored cursor, or --full-refresh), else periodic;
    units of accounts that could not be opened are left out."""
    if settings.full_refresh:
        return {unit: "historical" for unit in units}
    resources = pipeline.state.get("sources", {}).get(SOURCE_NAME, {}).get("resources", {})
    ids = {a.name: a.account_id for a in accounts}
    kinds = {}
    for unit in units:
        state = resources.get(unit.object, {})
        account_id = ids.get(unit.account)
        if account_id is None:
            continue  # the account could not be opened: the ledger's own history says which kind
        own = state.get("accounts", {}).get(account_id, {}) if account_id else {}
        legacy = state if account_id is not None and account_id == legacy_id else {}
        key = CURSOR_KEYS[unit.object]
        kinds[unit] = "periodic" if own.get(key) or legacy.get(key) else "historical"
    return kinds


def _loaded_rows(pipeline: dlt.Pipeline, report: ExtractReport, units: list[Unit]) -> dict[Unit, int]:
    """Rows loaded per unit: dlt's count per table where one account has the object; with several,
    what each account extracted (the load committed all of it)."""
    trace = pipeline.last_trace
    info = trace.last_normalize_info if trace else None
    per_table = dict(info.row_counts) if info else {}
    loaded = {}
    for unit in units:
        sharing = [u for u in units if u.object == unit.object]
        rows = per_table.get(unit.object, 0)
        loaded[unit] = rows if len(sharing) == 1 else min(rows, report.object(unit).rows)
    return loaded


def _failed_unit(report: ExtractReport) -> Unit | None:
    started = [unit for unit, obj in report.objects.items() if not obj.done]
    return started[0] if started else None


def _as_sync_error(exc: BaseException, settings: SyncSettings) -> SyncError:
    found = _find(exc, SyncError)
    if found is not None:
        return found
    secrets = settings.secrets
    inner = chain(exc)[-1]
    step = exc.step if isinstance(exc, PipelineStepFailed) else "sync"
    text = redact(f"{type(inner).__name__}: {inner}", secrets)
    what = f"the {step} step failed: {text}"[:2000]
    if step in ("load", "normalize") or "destination" in type(inner).__module__.lower():
        where = f"destination {settings.destination or 'from config (default duckdb)'}"
        fix = ("check the destination credentials and that it is reachable, then run again "
               "(the cursor only moves when the load commits)")
        terminal = _find(exc, DestinationTerminalException) is not None
        kind = SyncError if terminal else TransientError  # unclassified destination errors: an outage
        return kind(what, where, fix, code=step)
    where = f"{step} step"
    fix = "run again with --debug and report the traceback if it persists"
    kind = TransientError if any(is_transient(e) for e in chain(exc)) else SyncError
    return kind(what, where, fix, code=step)


def _find(exc: BaseException, kind: type[Any]) -> Any:
    return next((error for error in chain(exc) if isinstance(error, kind)), None)
