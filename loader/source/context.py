"""What the resources of one source instance share: options, the client, the run report."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from loader.errors import SyncError
from loader.source import settings
from loader.source.client import KlaviyoClient
from loader.source.metric_catalog import MetricCatalog
from loader.source.slices import Window

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdwy])\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


def parse_duration(text: str | None, key: str) -> timedelta | None:
    """`30m`, `1h`, `7d`, `1y` -> timedelta; empty/None/`0` -> None; anything else is an error."""
    if text is None or str(text).strip() in ("", "0"):
        return None
    match = _DURATION.match(str(text))
    if not match:
        raise SyncError(
            f"invalid duration {text!r}", key, "write a number and a unit, e.g. 30m, 1h, 7d, 1y"
        )
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2).lower()])


def parse_history(text: str | None) -> timedelta | None:
    name = (text or settings.DEFAULT_HISTORY).strip().lower()
    if name not in settings.HISTORY_WINDOWS:
        raise SyncError(
            f"invalid history window {text!r}",
            "--history / [sources.klaviyo] history",
            f"use one of: {', '.join(settings.HISTORY_WINDOWS)}",
        )
    return settings.HISTORY_WINDOWS[name]


@dataclass(frozen=True)
class SourceOptions:
    objects: tuple[str, ...]
    history: timedelta | None
    metrics: tuple[str, ...]
    exclude_integrations: tuple[str, ...]
    lookback: timedelta
    reconcile: timedelta | None
    subscriptions: bool
    predictive_analytics: bool
    events_workers: int
    profiles_workers: int
    events_page_size: int
    profiles_page_size: int
    queue_pages: int
    item_format: str = "rows"


@dataclass
class ObjectReport:
    """What one resource read in this run (filled while extracting)."""

    kind: str = "periodic"
    window: Window | None = None
    rows: int = 0
    done: bool = False


ProgressHook = Callable[[str, float, int], None]


@dataclass
class ExtractReport:
    """Shared with the caller (`run_sync`): per-object windows, row counts and progress."""

    run_start: datetime
    objects: dict[str, ObjectReport] = field(default_factory=dict)
    progress: ProgressHook | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def object(self, name: str) -> ObjectReport:
        with self._lock:
            return self.objects.setdefault(name, ObjectReport())

    def on_progress(self, name: str, fraction: float, rows: int) -> None:
        if self.progress:
            self.progress(name, fraction, rows)


@dataclass
class SourceContext:
    client: KlaviyoClient
    catalog: MetricCatalog
    options: SourceOptions
    report: ExtractReport
