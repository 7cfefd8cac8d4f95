"""Hooks `run_sync` calls while it works: the ledger and the progress display listen here."""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


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


class SyncObserver(Protocol):
    def on_run_start(self, objects: list[str], kind_by_object: dict[str, str]) -> None:
        """Before extraction; kind is "historical" for an object's first sync, else "periodic"."""

    def on_progress(self, obj: str, fraction: float, rows: int) -> None:
        """While extracting `obj`: share of its window done (0..1) and rows read so far."""

    def on_object_done(self, done: ObjectResult) -> None:
        """After the load committed: the object's window `[cursor_from, cursor_to)` is in the
        warehouse, which is now complete up to `complete_until`."""

    def on_error(self, obj: str | None, exc: BaseException) -> None:
        """The run failed (`obj` None when no single object is to blame)."""


class NullObserver:
    def on_run_start(self, objects: list[str], kind_by_object: dict[str, str]) -> None:
        pass

    def on_progress(self, obj: str, fraction: float, rows: int) -> None:
        pass

    def on_object_done(self, done: ObjectResult) -> None:
        pass

    def on_error(self, obj: str | None, exc: BaseException) -> None:
        pass


class MultiObserver(NullObserver):
    """Forwards every hook to each observer in turn."""

    def __init__(self, observers: Sequence[SyncObserver]) -> None:
        self.observers = list(observers)

    def on_run_start(self, objects: list[str], kind_by_object: dict[str, str]) -> None:
        for obs in self.observers:
            obs.on_run_start(objects, kind_by_object)

    def on_progress(self, obj: str, fraction: float, rows: int) -> None:
        for obs in self.observers:
            obs.on_progress(obj, fraction, rows)

    def on_object_done(self, done: ObjectResult) -> None:
        for obs in self.observers:
            obs.on_object_done(done)

    def on_error(self, obj: str | None, exc: BaseException) -> None:
        for obs in self.observers:
            obs.on_error(obj, exc)


class RichProgressObserver(NullObserver):
    """A progress bar per object on a terminal (stderr); silent when stderr is not a terminal."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._lock = threading.Lock()
        self._tasks: dict[str, Any] = {}
        self._progress: Any = None

    def on_run_start(self, objects: list[str], kind_by_object: dict[str, str]) -> None:
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
        for obj in objects:
            label = f"{obj} ({kind_by_object.get(obj, 'periodic')})"
            self._tasks[obj] = self._progress.add_task(label, total=1.0, rows=0)

    def on_progress(self, obj: str, fraction: float, rows: int) -> None:
        if self._progress is None or obj not in self._tasks:
            return
        with self._lock:
            self._progress.update(self._tasks[obj], completed=min(1.0, fraction), rows=rows)

    def on_object_done(self, done: ObjectResult) -> None:
        self.on_progress(done.name, 1.0, done.rows_extracted)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def on_error(self, obj: str | None, exc: BaseException) -> None:
        self.close()
