"""The source's settings, each declared once, here: name, type, default, who may set it.

A field's name is its key in `[sources.klaviyo]` (and in an account's
`[sources.klaviyo.accounts.<name>]` when it is `PER_ACCOUNT`), the keyword of
`SyncSettings.resolve` and of the command-line flag (`--exclude-integrations` for
`exclude_integrations`). `loader.sync_settings` reads config for every field that is not
`NOT_CONFIGURED`, coerced to the type of its default, so adding a setting is one field here.
Durations and windows stay text as written (the error names the key); the source reads them
through the `*_window` properties.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from loader.errors import SyncError
from loader.source import settings

PER_ACCOUNT = {"per_account": True}  # an account may set its own value
NOT_CONFIGURED = {"configured": False}  # chosen by the run, never read from config

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdwy])\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


@dataclass(frozen=True)
class SourceOptions:
    """How one account is read. The first four are its data selection, the rest shared by all."""

    objects: tuple[str, ...] = field(default=settings.DEFAULT_OBJECTS, metadata=PER_ACCOUNT)
    history: str = field(default=settings.DEFAULT_HISTORY, metadata=PER_ACCOUNT)
    metrics: tuple[str, ...] = field(default=(), metadata=PER_ACCOUNT)
    exclude_integrations: tuple[str, ...] = field(default=(), metadata=PER_ACCOUNT)
    lookback: str = "1h"
    # re-read this much of events and profiles on every run (e.g. "7d"; the old `--reconcile 7d`)
    reread: str | None = None
    # how often each object is listed in full to find what Klaviyo deleted without telling: a table
    # `[sources.klaviyo.reconcile]` {campaigns, flows, lists, segments, members, profiles} = duration
    # (missing keys: settings.RECONCILE_CADENCES; "0": only on the first run), or "now" (every
    # object, this run: `run --reconcile-now`). Deprecated: a duration ("7d") is the old re-read
    # window (`reread`) and reconciles every object on every run, as it did.
    reconcile: Any = None
    # events re-read this far back on every periodic run, so credit Klaviyo adds late lands
    attribution_window: str = "7d"
    # deprecated alias of reconcile.campaigns and reconcile.flows (which win when set)
    listing_reconcile: str | None = None
    # a deleted profile's raw data: "redact", "flag" or "delete" (loader.source.profile_reconcile)
    deleted_profiles: str = "redact"
    subscriptions: bool = True
    predictive_analytics: bool = False
    events_workers: int = settings.EVENTS_WORKERS
    profiles_workers: int = settings.PROFILES_WORKERS
    events_page_size: int = settings.EVENTS_PAGE_SIZE
    profiles_page_size: int = settings.PROFILES_PAGE_SIZE
    # rows (dicts) or Arrow tables, whichever the destination takes best (see loader.pipeline)
    item_format: str = field(default="rows", metadata=NOT_CONFIGURED)

    def __post_init__(self) -> None:
        if isinstance(self.reconcile, Mapping):  # a config table: kept hashable, as written
            table = tuple(sorted((str(k), str(v)) for k, v in self.reconcile.items()))
            object.__setattr__(self, "reconcile", table)

    @classmethod
    def configured(cls) -> tuple[str, ...]:
        """The names read from `[sources.klaviyo]`."""
        return tuple(f.name for f in fields(cls) if f.metadata.get("configured", True))

    @classmethod
    def per_account(cls) -> tuple[str, ...]:
        """The names an account may set in `[sources.klaviyo.accounts.<name>]`."""
        return tuple(f.name for f in fields(cls) if f.metadata.get("per_account", False))

    def validate(self, section: str = "[sources.klaviyo]") -> None:
        """Fail fast naming the key (`--flag / <section> key`) of the first invalid value."""
        unknown = [o for o in self.objects if o not in settings.OBJECTS]
        if unknown or not self.objects:
            raise SyncError(f"unknown data objects {', '.join(unknown) or '(none)'}",
                            _where("objects", section), f"choose from: {', '.join(settings.OBJECTS)}")
        for name in ("events_workers", "profiles_workers", "events_page_size", "profiles_page_size"):
            if getattr(self, name) < 1:
                raise SyncError(f"{name} must be at least 1, not {getattr(self, name)}", f"{section} {name}",
                                "use a positive whole number")
        parse_history(self.history, _where("history", section))
        parse_duration(self.lookback, _where("lookback", section))
        parse_duration(self.reread, _where("reread", section))
        parse_duration(self.attribution_window, _where("attribution_window", section))
        parse_duration(self.listing_reconcile, _where("listing_reconcile", section))
        self._cadences(section)
        if self.deleted_profiles not in ("redact", "flag", "delete"):
            raise SyncError(f"invalid deleted_profiles {self.deleted_profiles!r}",
                            f"{section} deleted_profiles",
                            'write "redact", "flag" or "delete"')

    @property
    def history_window(self) -> timedelta | None:
        """How far back the first events sync reads (None: all)."""
        return parse_history(self.history, _where("history", "[sources.klaviyo]"))

    @property
    def lookback_window(self) -> timedelta:
        return parse_duration(self.lookback, _where("lookback", "[sources.klaviyo]")) or timedelta(0)

    @property
    def reread_window(self) -> timedelta | None:
        """How far back every run re-reads events and profiles (`reread`, else the deprecated
        duration form of `reconcile`); None: only the lookback."""
        own = parse_duration(self.reread, _where("reread", "[sources.klaviyo]"))
        return own if own is not None else self._legacy_reread()

    @property
    def reconcile_window(self) -> timedelta | None:
        """Deprecated name of `reread_window` (kept for the readers of the old option)."""
        return self.reread_window

    @property
    def reconcile_now(self) -> bool:
        """Every object is reconciled in this run (`--reconcile-now`, or the deprecated duration)."""
        return self._text_reconcile() == "now" or self._legacy_reread() is not None

    def reconcile_interval(self, obj: str) -> timedelta | None:
        """How often `obj` (one of settings.RECONCILED) is listed in full; None: only on its first
        run. `timedelta(0)`: in this run."""
        if self.reconcile_now:
            return timedelta(0)
        return self._cadences("[sources.klaviyo]")[obj]

    def reconcile_due(self, obj: str, last: datetime | None, now: datetime) -> bool:
        """Whether `obj`'s full listing runs now: never done (`last` None), forced, or its cadence passed."""
        interval = self.reconcile_interval(obj)
        return last is None or (interval is not None and now - last >= interval)

    def _text_reconcile(self) -> str | None:
        value = self.reconcile
        return value.strip().lower() if isinstance(value, str) and value.strip() else None

    def _legacy_reread(self) -> timedelta | None:
        text = self._text_reconcile()
        if text is None or text == "now":
            return None
        return parse_duration(text, _where("reconcile", "[sources.klaviyo]"))

    def _cadences(self, section: str) -> dict[str, timedelta | None]:
        """The cadence of every reconciled object: the table's, else listing_reconcile (campaigns,
        flows), else the default."""
        table = dict(self.reconcile) if isinstance(self.reconcile, tuple) else {}
        if self.reconcile is not None and not isinstance(self.reconcile, (tuple, str)):
            raise SyncError(f"invalid reconcile {self.reconcile!r}", f"{section} reconcile",
                            'write a table, e.g. reconcile = {members = "1d", profiles = "7d"}, or "now"')
        self._legacy_reread()  # a malformed duration fails here, naming the key
        unknown = sorted(set(table) - set(settings.RECONCILED))
        if unknown:
            raise SyncError(f"unknown reconcile object {', '.join(unknown)}", f"{section}.reconcile",
                            f"choose from: {', '.join(settings.RECONCILED)}")
        cadences = dict(settings.RECONCILE_CADENCES)
        if self.listing_reconcile is not None:
            cadences.update(campaigns=self.listing_reconcile, flows=self.listing_reconcile)
        cadences.update(table)
        return {obj: parse_duration(text, f"{section}.reconcile {obj}") for obj, text in cadences.items()}

    @property
    def attribution_lookback(self) -> timedelta:
        """How far before the events cursor a periodic run reads: the lookback or the attribution
        window, whichever is wider (`0` turns the attribution re-read off)."""
        window = parse_duration(self.attribution_window, _where("attribution_window", "[sources.klaviyo]"))
        return max(self.lookback_window, window or timedelta(0))


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


def parse_history(text: str | None, key: str = "--history / [sources.klaviyo] history") -> timedelta | None:
    name = (text or settings.DEFAULT_HISTORY).strip().lower()
    if name not in settings.HISTORY_WINDOWS:
        raise SyncError(f"invalid history window {text!r}", key,
                        f"use one of: {', '.join(settings.HISTORY_WINDOWS)}")
    return settings.HISTORY_WINDOWS[name]


def _where(name: str, section: str) -> str:
    flag = f"--{name.replace('_', '-')} / " if section == "[sources.klaviyo]" else ""
    return f"{flag}{section} {name}"
