"""The ledger as a `SyncObserver`: one row per object and attempt in `klaviyo_sync_runs`.

Writes go through dlt (about a second each), so the observer writes at the start, at most every
`progress_every` seconds while running, when an object is done, and at the end - never per page.
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
from loader.sync_observer import ObjectResult

logger = logging.getLogger(__name__)


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
        fallback_kinds: Mapping[str, str] | None = None,
        progress_every: float = 15.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.run_id, self.attempt, self.trigger = run_id, attempt, trigger
        self.secrets = list(secrets)
        self.fallback_kinds = dict(fallback_kinds or {})
        self.progress_every = progress_every
        self.clock = clock
        self.records: dict[str, RunRecord] = {}
        self.errors: list[ErrorRecord] = []
        self._recorded: set[int] = set()
        self._lock = threading.Lock()
        self._last_write = 0.0
        self._pending: Future[None] | None = None

    # -- SyncObserver hooks -------------------------------------------------------------------
    def on_run_start(self, objects: list[str], kind_by_object: dict[str, str]) -> None:
        with self._lock:
            for obj in objects:
                kind = kind_by_object.get(obj) or self.fallback_kinds.get(obj, statuses.PERIODIC)
                self.records[obj] = self._new(obj, kind)
            self._write(list(self.records.values()))

    def on_progress(self, obj: str, fraction: float, rows: int) -> None:
        with self._lock:
            record = self.records.get(obj) or self._new(obj, self.fallback_kinds.get(obj, statuses.PERIODIC))
            pct = round(max(0.0, min(fraction, 1.0)) * 100, 1)
            self.records[obj] = replace(
                record, progress_pct=pct, rows_extracted=rows, updated_at=self.clock()
            )
            due = time.monotonic() - self._last_write >= self.progress_every
            if due and (self._pending is None or self._pending.done()):
                running = [r for r in self.records.values() if r.status == statuses.IN_PROGRESS]
                self._pending = self.store.write_in_background(running)
                self._last_write = time.monotonic()

    def on_object_done(self, done: ObjectResult) -> None:
        obj, complete_until = done.name, done.complete_until
        with self._lock:
            now = self.clock()
            record = self.records.get(obj) or self._new(obj, self.fallback_kinds.get(obj, statuses.PERIODIC))
            freshness = (now - complete_until).total_seconds() if complete_until else None
            self.records[obj] = replace(
                record, status=statuses.COMPLETED, ended_at=now, progress_pct=100.0,
                rows_extracted=done.rows_extracted, rows_loaded=done.rows_loaded,
                cursor_from=done.cursor_from, cursor_to=done.cursor_to, complete_until=complete_until,
                freshness_seconds=freshness, updated_at=now,
            )
            # written by finish_ok with the others: the loader reports all objects at once, after the load

    def on_error(self, obj: str | None, exc: BaseException) -> None:
        with self._lock:
            self._add_error(obj, exc)

    # -- closing the attempt ------------------------------------------------------------------
    def finish_ok(self) -> None:
        """The sync returned: objects not reported done are closed as Completed."""
        with self._lock:
            now = self.clock()
            for record in list(self.records.values()):
                if record.status == statuses.IN_PROGRESS:
                    self.records[record.object] = replace(
                        record, status=statuses.COMPLETED, ended_at=now, progress_pct=100.0, updated_at=now
                    )
            self._write([*self.records.values(), *self.errors])
            self.errors = []

    def finish_failed(self, exc: BaseException, status: str, planned: Iterable[str]) -> None:
        """The sync raised: unfinished objects become `status` (Errored or Failed), with the error."""
        with self._lock:
            now = self.clock()
            for obj in planned:
                if obj not in self.records:
                    self.records[obj] = self._new(obj, self.fallback_kinds.get(obj, statuses.PERIODIC))
            failed = [r for r in self.records.values() if r.status == statuses.IN_PROGRESS]
            for record in failed:
                self.records[record.object] = replace(record, status=status, ended_at=now, updated_at=now)
            self._add_error(failed[0].object if len(failed) == 1 else None, exc)
            self._write([self.records[r.object] for r in failed] + self.errors)
            self.errors = []

    def _new(self, obj: str, kind: str) -> RunRecord:
        return RunRecord(
            run_id=self.run_id, object=obj, kind=kind, status=statuses.IN_PROGRESS, attempt=self.attempt,
            started_at=self.clock(), trigger=self.trigger, progress_pct=0.0,
        )

    def _add_error(self, obj: str | None, exc: BaseException) -> None:
        causes = {id(e) for e in chain(exc)}
        if causes & self._recorded:
            return  # already recorded through on_error (the loader re-raised it, maybe wrapped)
        self._recorded |= causes
        info = describe(exc, self.secrets)
        self.errors.append(
            ErrorRecord(
                run_id=self.run_id, object=obj, attempt=self.attempt, summary=info.summary,
                code=info.code, external_message=info.external_message, occurred_at=self.clock(),
            )
        )

    def _write(self, records: list[Any]) -> None:
        if self._pending is not None and self._pending.exception() is not None:
            # progress is best effort; the end of the run is written below all the same
            logger.warning("a progress update of the sync ledger failed: %s", self._pending.exception())
        self._pending = None
        self.store.write(records)
        self._last_write = time.monotonic()
