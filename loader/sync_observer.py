"""Hooks `run_sync` calls while it works: the ledger and the progress display listen here."""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, Protocol

DEFAULT_ACCOUNT = "default"  # the name of the account of a lone `[sources.klaviyo] api_key`


class Unit(NamedTuple):
    """What the ledger tracks: one object (metrics, profiles, events, accounts) of one account,
    named as configured (`[sources.klaviyo.accounts.<name>]`, or "default")."""

    account: str
    object: str


@dataclass(frozen=True)
class ObjectResult:
    """What one object's sync loaded: its window `[cursor_from, cursor_to)` and the point up to
    which the warehouse is complete (None when the object did not finish)."""

    name: str
    kind: str
    rows_extracted: int
    rows_loaded: int
    cursor_from: datetime | None
    cursor_to: datetime | None
    complete_until: datetime | None = None
    account: str = DEFAULT_ACCOUNT
    account_id: str | None = None  # Klaviyo's id of the account, once `GET /api/accounts` answered

    @property
    def unit(self) -> Unit:
        return Unit(self.account, self.name)


class SyncObserver(Protocol):
    def on_run_start(self, units: list[Unit], kind_by_unit: dict[Unit, str]) -> None:
        """Before extraction; kind is "historical" for an object's first sync, else "periodic"."""

    def on_progress(self, unit: Unit, fraction: float, rows: int) -> None:
        """While extracting `unit`: share of its window done (0..1) and rows read so far."""

    def on_object_done(self, done: ObjectResult) -> None:
        """After the load committed: the object's window `[cursor_from, cursor_to)` is in the
        warehouse, which is now complete up to `complete_until`."""

    def on_object_failed(self, unit: Unit, exc: BaseException) -> None:
        """One account's object failed (e.g. a revoked key); the run goes on for the others and
        loads what they read. Nothing of `unit` is loaded and its cursor does not move."""

    def on_error(self, unit: Unit | None, exc: BaseException) -> None:
        """The whole run failed (`unit` None when no single object is to blame)."""


class NullObserver:
    def on_run_start(self, units: list[Unit], kind_by_unit: dict[Unit, str]) -> None:
        pass

    def on_progress(self, unit: Unit, fraction: float, rows: int) -> None:
        pass

    def on_object_done(self, done: ObjectResult) -> None:
        pass

    def on_object_failed(self, unit: Unit, exc: BaseException) -> None:
        pass

    def on_error(self, unit: Unit | None, exc: BaseException) -> None:
        pass


class MultiObserver(NullObserver):
    """Forwards every hook to each observer in turn."""

    def __init__(self, observers: Sequence[SyncObserver]) -> None:
        self.observers = list(observers)

    def on_run_start(self, units: list[Unit], kind_by_unit: dict[Unit, str]) -> None:
        for obs in self.observers:
            obs.on_run_start(units, kind_by_unit)

    def on_progress(self, unit: Unit, fraction: float, rows: int) -> None:
        for obs in self.observers:
            obs.on_progress(unit, fraction, rows)

    def on_object_done(self, done: ObjectResult) -> None:
        for obs in self.observers:
            obs.on_object_done(done)

    def on_object_failed(self, unit: Unit, exc: BaseException) -> None:
        for obs in self.observers:
            obs.on_object_failed(unit, exc)

    def on_error(self, unit: Unit | None, exc: BaseException) -> None:
        for obs in self.observers:
            obs.on_error(unit, exc)


class RichProgressObserver(NullObserver):
    """A progress bar per account and object on a terminal (stderr); silent when stderr is not one."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._lock = threading.Lock()
        self._tasks: dict[Unit, Any] = {}
        self._progress: Any = None

    def on_run_start(self, units: list[Unit], kind_by_unit: dict[Unit, str]) -> None:
        if not self.enabled:
            return
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            TextColumn("{task.percentage:>5.1f}%"),
            TextColumn("{task.fields[rows]:>10,} rows"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._progress.start()
        several = len({unit.account for unit in units}) > 1
        for unit in units:
            name = f"{unit.account}/{unit.object}" if several else unit.object
            label = f"{name} ({kind_by_unit.get(unit, 'periodic')})"
            self._tasks[unit] = self._progress.add_task(label, total=1.0, rows=0)

    def on_progress(self, unit: Unit, fraction: float, rows: int) -> None:
        if self._progress is None or unit not in self._tasks:
            return
        with self._lock:
            self._progress.update(self._tasks[unit], completed=min(1.0, fraction), rows=rows)

    def on_object_done(self, done: ObjectResult) -> None:
        self.on_progress(done.unit, 1.0, done.rows_extracted)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def on_error(self, unit: Unit | None, exc: BaseException) -> None:
        self.close()
