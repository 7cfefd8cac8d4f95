"""`run_sync` wrapped with the operations rules: lock, crash recovery, pause/disable, retries, ledger."""

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
from loader.ops.controls import skipped_objects
from loader.ops.lock import sync_lock
from loader.ops.recovery import recover_interrupted_runs
from loader.ops.retry_policy import RetryPolicy

RetryHook = Callable[[int, BaseException, float], None]
ALWAYS_SYNCED = ("metrics",)  # the loader reads metrics on every run


@dataclass
class OpsResult:
    """What a guarded run did: the loader's result (None if nothing ran) and the ops decisions."""

    result: Any = None
    ran: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # object -> Paused / Disabled
    attempts: int = 0
    run_ids: list[str] = field(default_factory=list)
    recovered: list[RunRecord] = field(default_factory=list)


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
        secrets = [getattr(self.settings, "api_key", None), *_destination_secrets(self.main)]
        planned = [*ALWAYS_SYNCED, *outcome.ran]
        for attempt in range(1, self.policy.attempts + 1):
            if attempt > 1 and self.stop.wait(self.policy.wait_before(attempt)):
                return  # asked to stop while waiting: the attempt stays Errored; a later start retries
            ledger = LedgerObserver(
                self.store, run_id=new_run_id(), attempt=attempt, trigger=self.trigger, secrets=secrets,
                fallback_kinds=kinds, progress_every=self.progress_every,
            )
            outcome.attempts, outcome.run_ids = attempt, [*outcome.run_ids, ledger.run_id]
            try:
                outcome.result = self._run_sync(ledger)
            except Exception as exc:
                retry = self.policy.will_retry(attempt, exc) and not self.stop.is_set()
                ledger.finish_failed(exc, statuses.ERRORED if retry else statuses.FAILED, planned)
                if not retry:
                    raise
                if self.on_retry:
                    self.on_retry(attempt, exc, self.policy.wait_before(attempt + 1))
                continue
            except BaseException as exc:  # Ctrl-C, a second SIGTERM: recorded, then re-raised
                ledger.finish_failed(exc, statuses.ERRORED, planned)
                raise
            ledger.finish_ok()
            return

    def _run_sync(self, ledger: LedgerObserver) -> Any:
        from loader.pipeline import run_sync  # the loader; imported late to keep `status` light
        from loader.sync_observer import MultiObserver

        observers = [ledger, self.extra_observer] if self.extra_observer else [ledger]
        return run_sync(self.settings, pipeline=self.main, observer=MultiObserver(observers))


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
    """Run one sync (with retries) under the lock; paused or disabled objects are skipped.

    `observer` also receives the loader's hooks (e.g. a progress bar). Raises `LockBusy` if another
    sync runs, and the last error once retries are exhausted (the ledger then says Failed).
    """
    main = make_pipeline(settings.destination, pipelines_dir=settings.pipelines_dir)
    store = LedgerStore(main)
    outcome = OpsResult()
    with sync_lock(store.lock_path):
        outcome.recovered = recover_interrupted_runs(store)
        outcome.skipped = skipped_objects(store.controls(), settings.objects)
        outcome.ran = [obj for obj in settings.objects if obj not in outcome.skipped]
        if outcome.ran:
            attempts = _Attempts(
                dataclasses.replace(settings, objects=tuple(outcome.ran)), main, store, trigger,
                policy or RetryPolicy.from_config(), stop or threading.Event(), observer, on_retry,
                progress_every,
            )
            attempts.run(outcome)
    return outcome


def new_run_id() -> str:
    return f"{utc_now():%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def _fallback_kinds(runs: list[RunRecord]) -> dict[str, str]:
    """Historical until an object's first completed sync, then periodic (when the loader cannot say)."""
    done = {run.object for run in runs if run.status == statuses.COMPLETED}
    return {obj: statuses.PERIODIC if obj in done else statuses.HISTORICAL for obj in statuses.LEDGER_OBJECTS}


def _destination_secrets(main: Any) -> list[str]:
    try:
        credentials = main.destination_client().config.credentials
    except Exception:  # noqa: BLE001 - missing credentials surface later, in the loader's own error
        return []
    names = ("password", "private_key", "token")
    return [str(value) for name in names if (value := getattr(credentials, name, None))]
