"""What the resources of one source instance share: per-account options and clients, the run report."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loader.source.client import KlaviyoClient
from loader.source.metric_catalog import MetricCatalog
from loader.source.options import SourceOptions
from loader.source.slices import Window
from loader.sync_observer import Unit


@dataclass
class ObjectReport:
    """What one resource read in this run (filled while extracting)."""

    kind: str = "periodic"
    window: Window | None = None
    rows: int = 0
    done: bool = False


ProgressHook = Callable[[Unit, float, int], None]


@dataclass
class ExtractReport:
    """Shared with the caller (`run_sync`): per account and object windows, rows, progress, failures."""

    run_start: datetime
    objects: dict[Unit, ObjectReport] = field(default_factory=dict)
    failed: dict[Unit, BaseException] = field(default_factory=dict)
    progress: ProgressHook | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def object(self, unit: Unit) -> ObjectReport:
        with self._lock:
            return self.objects.setdefault(unit, ObjectReport())

    def fail(self, unit: Unit, error: BaseException) -> None:
        with self._lock:
            self.failed.setdefault(unit, error)

    def on_progress(self, unit: Unit, fraction: float, rows: int) -> None:
        if self.progress:
            self.progress(unit, fraction, rows)


@dataclass
class AccountContext:
    """One Klaviyo account of this run: its own client (hence its own pacers: Klaviyo's limits are
    per account), metric catalog and options. `account_id` comes from `GET /api/accounts`."""

    name: str
    account_id: str
    attributes: dict[str, Any]
    client: KlaviyoClient
    catalog: MetricCatalog
    options: SourceOptions
    report: ExtractReport

    def unit(self, obj: str) -> Unit:
        return Unit(self.name, obj)


