"""`run_sync` wrapped with the operations rules: lock, crash recovery, pause/disable, retries, ledger.

With several accounts, paused or disabled units are left out per account (an account with nothing
left is not synced), and after an attempt in which some accounts failed only those are retried, per
the retry policy (errors retrying cannot fix, e.g. a revoked key, fail at once), then Failed.
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from loader.destination import make_pipeline
from loader.ledger import statuses
from loader.ledger.observer import LedgerObserver
from loader.ledger.records import RunRecord, utc_now
from loader.ledger.store import LedgerStore
from loader.ops.controls import skipped_units
from loader.ops.lock import sync_lock
from loader.ops.recovery import recover_interrupted_runs
from loader.ops.retry_policy import RetryPolicy
from loader.sync_observer import ObjectResult, Unit

RetryHook = Callable[[int, BaseException, float], None]


@dataclass
class OpsResult:
    """What a guarded run did: the loader's results and the ops decisions, per (account, object).

    `objects` are the units loaded (over all attempts), `failed` those that did not load, with the
    last error of each (Failed, or Errored when a stop cut the retries short). `result` is the
    loader's `SyncResult` of the last attempt that returned (None if none did), `results` all of them.
    """

    result: Any = None
    results: list[Any] = field(default_factory=list)
    objects: dict[Unit, ObjectResult] = field(default_factory=dict)
    failed: dict[Unit, BaseException] = field(default_factory=dict)
    ran: list[Unit] = field(default_factory=list)  # the units synced (metrics included)
    skipped: dict[Unit, str] = field(default_factory=dict)  # unit -> Paused / Disabled
    attempts: int = 0
    run_ids: list[str] = field(default_factory=list)
    recovered: list[RunRecord] = field(default_factory=list)

    @property
    def failed_accounts(self) -> list[str]:
        return list(dict.fromkeys(unit.account for unit in self.failed))


@dataclass
class _Attempts:
    """The retry loop of one guarded run."""

    settings: Any
    main: Any
    store: LedgerStore
    trigger: str
    policy: RetryPolicy
    stop: threading.Event
    extra_observer: Any
    on_retry: RetryHook | None
    progress_every: float

    def run(self, outcome: OpsResult) -> None:
        kinds = _fallback_kinds(self.store.runs())
        secrets = [*self.settings.secrets, *_destination_secrets(self.main)]
        settings = self.settings
        last_error: BaseException | None = None
        for attempt in range(1, self.policy.attempts + 1):
            if attempt > 1 and self.stop.wait(self.policy.wait_before(attempt)):
                return  # asked to stop while waiting: the attempt stays Errored; a later start retries

            def status_for(exc: BaseException, attempt: int = attempt) -> str:
                retry = self.policy.will_retry(attempt, exc) and not self.stop.is_set()
                return statuses.ERRORED if retry else statuses.FAILED

            ledger = LedgerObserver(
                self.store, run_id=new_run_id(), attempt=attempt, trigger=self.trigger, secrets=secrets,
                fallback_kinds=kinds, progress_every=self.progress_every, status_for=status_for,
            )
            outcome.attempts, outcome.run_ids = attempt, [*outcome.run_ids, ledger.run_id]
            planned = settings.units
            try:
                result = self._run_sync(settings, ledger)
            except Exception as exc:
                last_error = exc
                ledger.finish_failed(exc, status_for(exc), planned)
                failures = {unit: ledger.failures.get(unit, exc) for unit in planned
                            if ledger.records[unit].status != statuses.COMPLETED}
            except BaseException as exc:  # Ctrl-C, a second SIGTERM: recorded, then re-raised
                ledger.finish_failed(exc, statuses.ERRORED, planned)
                raise
            else:
                failures = dict(ledger.failures)
                for key, error in getattr(result, "failed", {}).items():
                    unit = Unit(*key)
                    if unit not in ledger.failures:  # not reported through the hook: record it now
                        ledger.on_object_failed(unit, error)
                    failures[unit] = ledger.failures.get(unit, error)
                ledger.finish_ok()
                outcome.result = result
                outcome.results.append(result)
                for unit, done in result.objects.items():
                    outcome.objects[Unit(*unit)] = done
                    outcome.failed.pop(Unit(*unit), None)
            outcome.failed.update(failures)
            retry = sorted({unit.account for unit in failures
                            if ledger.records[unit].status == statuses.ERRORED})
            if not retry:
                break
            settings = settings.only_accounts(retry)
            if self.on_retry:
                first = next(exc for unit, exc in failures.items() if unit.account in retry)
                self.on_retry(attempt, first, self.policy.wait_before(attempt + 1))
        if outcome.failed and not outcome.objects:  # nothing loaded at all: the run failed
            raise next(iter(outcome.failed.values()), last_error) or RuntimeError("the sync failed")

    def _run_sync(self, settings: Any, ledger: LedgerObserver) -> Any:
        from loader.pipeline import run_sync  # the loader; imported late to keep `status` light
        from loader.sync_observer import MultiObserver

        observers = [ledger, self.extra_observer] if self.extra_observer else [ledger]
        return run_sync(settings, pipeline=self.main, observer=MultiObserver(observers))


def run_guarded(
    settings: Any,
    *,
    trigger: str = "manual",
    policy: RetryPolicy | None = None,
    stop: threading.Event | None = None,
    observer: Any = None,
    on_retry: RetryHook | None = None,
    progress_every: float = 15.0,
) -> OpsResult:
    """Run one sync (with retries) under the lock; paused or disabled units are skipped.

    `observer` also receives the loader's hooks (e.g. a progress bar). Raises `LockBusy` if another
    sync runs. When some accounts loaded and others did not, returns with `failed` set; when
    nothing loaded at all, raises the (first failed account's) last error (the ledger says Failed).
    """
    main = make_pipeline(settings.destination, pipelines_dir=settings.pipelines_dir)
    store = LedgerStore(main)
    outcome = OpsResult()
    with sync_lock(store.lock_path):
        outcome.recovered = recover_interrupted_runs(store)
        narrowed = narrow_settings(settings, store.controls(), outcome)
        if narrowed.accounts:
            attempts = _Attempts(
                narrowed, main, store, trigger, policy or RetryPolicy.from_config(),
                stop or threading.Event(), observer, on_retry, progress_every,
            )
            attempts.run(outcome)
    return outcome


def narrow_settings(settings: Any, controls: dict[Unit, Any], outcome: OpsResult) -> Any:
    """The settings without the paused/disabled units (`outcome.skipped`, `.ran` filled in); an
    account left with no object is dropped."""
    accounts = []
    for account in settings.accounts:
        units = [Unit(account.name, obj) for obj in account.options.objects]
        skipped = skipped_units(controls, units)
        outcome.skipped.update(skipped)
        kept = tuple(unit.object for unit in units if unit not in skipped)
        if kept:
            options = dataclasses.replace(account.options, objects=kept)
            accounts.append(dataclasses.replace(account, options=options))
    narrowed = dataclasses.replace(settings, accounts=tuple(accounts))
    outcome.ran.extend(narrowed.units)
    return narrowed


def new_run_id() -> str:
    return f"{utc_now():%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def _fallback_kinds(runs: list[RunRecord]) -> dict[Unit, str]:
    """Periodic once a unit completed a sync (when the loader cannot say); else historical."""
    return {run.unit: statuses.PERIODIC for run in runs if run.status == statuses.COMPLETED}


def _destination_secrets(main: Any) -> list[str]:
    try:
        credentials = main.destination_client().config.credentials
    except Exception:  # noqa: BLE001 - missing credentials surface later, in the loader's own error
        return []
    names = ("password", "private_key", "token")
    return [str(value) for name in names if (value := getattr(credentials, name, None))]
