"""The ledger as a `SyncObserver`: one row per account, object and attempt in `klaviyo_sync_runs`.

Writes go through dlt (about a second each), so the observer writes at the start, at most every
`progress_every` seconds while running, when an object is done, and at the end - never per page.
An account that fails while the others load (`on_object_failed`) has its units closed as Errored
(it will be retried) or Failed (given up), as `status_for` decides; the others complete.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from loader.ledger import statuses
from loader.ledger.error_info import chain, describe
from loader.ledger.records import ErrorRecord, RunRecord, utc_now
from loader.ledger.store import LedgerStore, replace
from loader.sync_observer import ObjectResult, Unit

logger = logging.getLogger(__name__)
StatusFor = Callable[[BaseException], str]


class LedgerObserver:
    """Records one attempt of a sync; `finish_ok`/`finish_failed` close it (and write the end)."""

    def __init__(
        self,
        store: LedgerStore,
        *,
        run_id: str,
        attempt: int,
        trigger: str,
        secrets: Iterable[str | None] = (),
        fallback_kinds: Mapping[Unit, str] | None = None,
        progress_every: float = 15.0,
        clock: Callable[[], datetime] = utc_now,
        status_for: StatusFor | None = None,
    ) -> None:
        self.store = store
        self.run_id, self.attempt, self.trigger = run_id, attempt, trigger
        self.secrets = list(secrets)
        self.fallback_kinds = dict(fallback_kinds or {})
        self.progress_every = progress_every
        self.clock = clock
        # what an account's failure makes its units: Errored (to be retried) or Failed (given up)
        self.status_for: StatusFor = status_for or (lambda exc: statuses.FAILED)
        self.records: dict[Unit, RunRecord] = {}
        self.errors: list[ErrorRecord] = []
        self.failures: dict[Unit, BaseException] = {}  # units failed through on_object_failed
        self._recorded: set[int] = set()
        self._lock = threading.Lock()
        self._last_write = 0.0
        self._pending: Future[None] | None = None

    # -- SyncObserver hooks -------------------------------------------------------------------
    def on_run_start(self, units: list[Unit], kind_by_unit: dict[Unit, str]) -> None:
        with self._lock:
            for unit in units:
                unit = Unit(*unit)
                self.records[unit] = self._new(unit, kind_by_unit.get(unit))
            self._write(list(self.records.values()))

    def on_progress(self, unit: Unit, fraction: float, rows: int) -> None:
        with self._lock:
            unit = Unit(*unit)
            record = self.records.get(unit) or self._new(unit)
            pct = round(max(0.0, min(fraction, 1.0)) * 100, 1)
            self.records[unit] = replace(
                record, progress_pct=pct, rows_extracted=rows, updated_at=self.clock()
            )
            due = time.monotonic() - self._last_write >= self.progress_every
            if due and (self._pending is None or self._pending.done()):
                running = [r for r in self.records.values() if r.status == statuses.IN_PROGRESS]
                self._pending = self.store.write_in_background(running)
                self._last_write = time.monotonic()

    def on_object_done(self, done: ObjectResult) -> None:
        unit, complete_until = done.unit, done.complete_until
        with self._lock:
            now = self.clock()
            record = self.records.get(unit) or self._new(unit, done.kind)
            freshness = (now - complete_until).total_seconds() if complete_until else None
            self.records[unit] = replace(
                record, status=statuses.COMPLETED, ended_at=now, progress_pct=100.0,
                rows_extracted=done.rows_extracted, rows_loaded=done.rows_loaded,
                cursor_from=done.cursor_from, cursor_to=done.cursor_to, complete_until=complete_until,
                freshness_seconds=freshness, updated_at=now,
                account_id=done.account_id or record.account_id,
            )
            self._account_id(unit.account, done.account_id)
            # written by finish_ok with the others: the loader reports all objects at once, after the load

    def on_object_failed(self, unit: Unit, exc: BaseException) -> None:
        with self._lock:
            unit = Unit(*unit)
            now = self.clock()
            record = self.records.get(unit) or self._new(unit)
            self.records[unit] = replace(record, status=self.status_for(exc), ended_at=now, updated_at=now)
            self.failures[unit] = exc
            self._add_error(unit, exc, per_account=True)

    def on_error(self, unit: Unit | None, exc: BaseException) -> None:
        with self._lock:
            self._add_error(Unit(*unit) if unit else None, exc)

    # -- closing the attempt ------------------------------------------------------------------
    def finish_ok(self) -> None:
        """The sync returned: objects not reported done (nor failed) are closed as Completed."""
        with self._lock:
            now = self.clock()
            for unit, record in list(self.records.items()):
                if record.status == statuses.IN_PROGRESS:
                    self.records[unit] = replace(
                        record, status=statuses.COMPLETED, ended_at=now, progress_pct=100.0, updated_at=now
                    )
            self._write([*self.records.values(), *self.errors])
            self.errors = []

    def finish_failed(self, exc: BaseException, status: str, planned: Iterable[Unit]) -> None:
        """The sync raised: unfinished units become `status` (Errored or Failed), with the error.

        Units already closed by `on_object_failed` keep their status; when every account failed
        that way (the loader then raises the first one's error) no error is added twice.
        """
        with self._lock:
            now = self.clock()
            for unit in planned:
                unit = Unit(*unit)
                if unit not in self.records:
                    self.records[unit] = self._new(unit)
            failed = [unit for unit, r in self.records.items() if r.status == statuses.IN_PROGRESS]
            for unit in failed:
                self.records[unit] = replace(self.records[unit], status=status, ended_at=now, updated_at=now)
            if failed or not self.failures:
                self._add_error(failed[0] if len(failed) == 1 else None, exc)
            self._write([*self.records.values(), *self.errors])
            self.errors = []

    def _new(self, unit: Unit, kind: str | None = None) -> RunRecord:
        return RunRecord(
            run_id=self.run_id, object=unit.object, account=unit.account,
            kind=kind or self.fallback_kinds.get(unit, statuses.HISTORICAL), status=statuses.IN_PROGRESS,
            attempt=self.attempt, started_at=self.clock(), trigger=self.trigger, progress_pct=0.0,
        )

    def _account_id(self, account: str, account_id: str | None) -> None:
        """Klaviyo's id of an account, once known, on all its rows of this attempt."""
        if not account_id:
            return
        for unit, record in self.records.items():
            if unit.account == account and not record.account_id:
                self.records[unit] = replace(record, account_id=account_id)

    def _add_error(self, unit: Unit | None, exc: BaseException, per_account: bool = False) -> None:
        causes = {id(e) for e in chain(exc)}
        if causes & self._recorded:
            return  # already recorded (the loader re-raised it, maybe wrapped, or for another unit)
        self._recorded |= causes
        info = describe(exc, self.secrets)
        # a per-account failure is the account's, whichever of its objects it was reported on
        obj = None if per_account or unit is None else unit.object
        self.errors.append(
            ErrorRecord(
                run_id=self.run_id, object=obj, attempt=self.attempt, summary=info.summary,
                code=info.code, external_message=info.external_message, occurred_at=self.clock(),
                account=unit.account if unit else None,
                account_id=self.records[unit].account_id if unit and unit in self.records else None,
            )
        )

    def _write(self, records: list[Any]) -> None:
        if self._pending is not None and self._pending.exception() is not None:
            # progress is best effort; the end of the run is written below all the same
            logger.warning("a progress update of the sync ledger failed: %s", self._pending.exception())
        self._pending = None
        self.store.write(records)
        self._last_write = time.monotonic()
