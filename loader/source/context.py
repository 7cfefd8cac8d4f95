"""What the resources of one source instance share: per-account options and clients, the run report."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from loader.errors import SyncError
from loader.source import settings
from loader.source.client import KlaviyoClient
from loader.source.metric_catalog import MetricCatalog
from loader.source.slices import Window
from loader.sync_observer import Unit

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


def build_options(
    *,
    objects: tuple[str, ...],
    history: str | None,
    metrics: tuple[str, ...],
    exclude_integrations: tuple[str, ...],
    lookback: str | None,
    reconcile: str | None,
    subscriptions: bool,
    predictive_analytics: bool,
    events_workers: int,
    profiles_workers: int,
    events_page_size: int,
    profiles_page_size: int,
    item_format: str = "rows",
) -> SourceOptions:
    """Validated options of one account (names as in `[sources.klaviyo]`)."""
    return SourceOptions(
        objects=objects,
        history=parse_history(history),
        metrics=tuple(metrics),
        exclude_integrations=tuple(exclude_integrations),
        lookback=parse_duration(lookback, "--lookback / [sources.klaviyo] lookback") or timedelta(0),
        reconcile=parse_duration(reconcile, "--reconcile / [sources.klaviyo] reconcile"),
        subscriptions=subscriptions,
        predictive_analytics=predictive_analytics,
        events_workers=max(1, events_workers),
        profiles_workers=max(1, profiles_workers),
        events_page_size=events_page_size,
        profiles_page_size=profiles_page_size,
        queue_pages=settings.QUEUE_PAGES,
        item_format="arrow" if item_format == "arrow" else "rows",
    )
