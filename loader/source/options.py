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
from dataclasses import dataclass, field, fields
from datetime import timedelta

from loader.errors import SyncError
from loader.source import settings

PER_ACCOUNT = {"per_account": True}  # an account may set its own value
NOT_CONFIGURED = {"configured": False}  # chosen by the run, never read from config

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdwy])\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


@dataclass(frozen=True)
class SourceOptions:
    """How one account is read. The first four are its data selection, the rest shared by all."""

    objects: tuple[str, ...] = field(default=settings.OBJECTS, metadata=PER_ACCOUNT)
    history: str = field(default=settings.DEFAULT_HISTORY, metadata=PER_ACCOUNT)
    metrics: tuple[str, ...] = field(default=(), metadata=PER_ACCOUNT)
    exclude_integrations: tuple[str, ...] = field(default=(), metadata=PER_ACCOUNT)
    lookback: str = "1h"
    reconcile: str | None = None
    # events re-read this far back on every periodic run, so credit Klaviyo adds late lands
    attribution_window: str = "7d"
    # how often campaigns and flows are listed in full to find deleted ones (also the first run)
    listing_reconcile: str = "1d"
    subscriptions: bool = True
    predictive_analytics: bool = False
    events_workers: int = settings.EVENTS_WORKERS
    profiles_workers: int = settings.PROFILES_WORKERS
    events_page_size: int = settings.EVENTS_PAGE_SIZE
    profiles_page_size: int = settings.PROFILES_PAGE_SIZE
    # rows (dicts) or Arrow tables, whichever the destination takes best (see loader.pipeline)
    item_format: str = field(default="rows", metadata=NOT_CONFIGURED)

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
        parse_duration(self.reconcile, _where("reconcile", section))
        parse_duration(self.attribution_window, _where("attribution_window", section))
        parse_duration(self.listing_reconcile, _where("listing_reconcile", section))

    @property
    def history_window(self) -> timedelta | None:
        """How far back the first events sync reads (None: all)."""
        return parse_history(self.history, _where("history", "[sources.klaviyo]"))

    @property
    def lookback_window(self) -> timedelta:
        return parse_duration(self.lookback, _where("lookback", "[sources.klaviyo]")) or timedelta(0)

    @property
    def reconcile_window(self) -> timedelta | None:
        return parse_duration(self.reconcile, _where("reconcile", "[sources.klaviyo]"))

    @property
    def attribution_lookback(self) -> timedelta:
        """How far before the events cursor a periodic run reads: the lookback or the attribution
        window, whichever is wider (`0` turns the attribution re-read off)."""
        window = parse_duration(self.attribution_window, _where("attribution_window", "[sources.klaviyo]"))
        return max(self.lookback_window, window or timedelta(0))

    @property
    def listing_interval(self) -> timedelta | None:
        """How often campaigns and flows are listed in full (None: only on the first run)."""
        return parse_duration(self.listing_reconcile, _where("listing_reconcile", "[sources.klaviyo]"))


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
