"""The settings of one sync: command-line flags over dlt config `[sources.klaviyo]` over defaults.

This is the one place that reads the environment conveniences `KLAVIYO_API_KEY` and
`KLAVIYO_BASE_URL`; everything else (e.g. `SOURCES__KLAVIYO__API_KEY`, `.dlt/secrets.toml`,
`DESTINATION__...`) is dlt's own configuration.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import dlt

from loader.destination import resolve_pipelines_dir
from loader.errors import SyncError
from loader.source import settings as api
from loader.source.context import parse_duration, parse_history

CONFIG_SECTION = "sources.klaviyo"
ENV_API_KEY = "KLAVIYO_API_KEY"
ENV_BASE_URL = "KLAVIYO_BASE_URL"
# never read from [sources.klaviyo]: a stored full_refresh would drop the tables on every run;
# the destination and pipelines_dir have their own keys in [klaviyo_sync] (see loader.destination)
FLAG_ONLY = ("full_refresh", "destination", "pipelines_dir")


@dataclass
class SyncSettings:
    objects: tuple[str, ...] = api.OBJECTS
    history: str = api.DEFAULT_HISTORY
    metrics: tuple[str, ...] = ()
    exclude_integrations: tuple[str, ...] = ()
    lookback: str = "1h"
    reconcile: str | None = None
    full_refresh: bool = False
    destination: str | None = None
    predictive_analytics: bool = False
    subscriptions: bool = True
    base_url: str = api.DEFAULT_BASE_URL
    api_key: str = field(default="", repr=False)
    events_workers: int = api.EVENTS_WORKERS
    profiles_workers: int = api.PROFILES_WORKERS
    events_page_size: int = api.EVENTS_PAGE_SIZE
    profiles_page_size: int = api.PROFILES_PAGE_SIZE
    pipelines_dir: str | None = None

    @classmethod
    def resolve(cls, **overrides: Any) -> SyncSettings:
        """Flags given (not None) win; then `[sources.klaviyo]` config; then the defaults."""
        values: dict[str, Any] = {}
        for item in fields(cls):
            if item.name in ("api_key", "base_url"):
                continue
            value = overrides.get(item.name)
            if value is None and item.name not in FLAG_ONLY:
                value = dlt.config.get(f"{CONFIG_SECTION}.{item.name}")
            if value is not None:
                values[item.name] = _coerce(item.name, value, item.default)
        if "objects" in values:
            values["objects"] = tuple(o.lower() for o in values["objects"])
        values["pipelines_dir"] = resolve_pipelines_dir(overrides.get("pipelines_dir"))
        values["base_url"] = _base_url(overrides.get("base_url"))
        values["api_key"] = overrides.get("api_key") or _api_key()
        resolved = cls(**values)
        resolved.validate()
        return resolved

    def validate(self) -> None:
        """Fail fast, naming the flag/config key, before anything is read or written."""
        parse_history(self.history)
        parse_duration(self.lookback, "--lookback / [sources.klaviyo] lookback")
        parse_duration(self.reconcile, "--reconcile / [sources.klaviyo] reconcile")
        unknown = [o for o in self.objects if o not in api.OBJECTS]
        if unknown or not self.objects:
            raise SyncError(
                f"unknown data objects {', '.join(unknown) or '(none)'}",
                "--objects / [sources.klaviyo] objects",
                f"choose from: {', '.join(api.OBJECTS)}",
            )
        if not self.base_url.startswith(("http://", "https://")):
            raise SyncError(
                f"invalid base URL {self.base_url!r}",
                f"{ENV_BASE_URL} / [sources.klaviyo] base_url",
                "use e.g. https://a.klaviyo.com",
            )

    def source_kwargs(self) -> dict[str, Any]:
        """Arguments for `loader.source.klaviyo`."""
        names = (
            "api_key", "base_url", "objects", "history", "metrics", "exclude_integrations", "lookback",
            "reconcile", "subscriptions", "predictive_analytics", "events_workers", "profiles_workers",
            "events_page_size", "profiles_page_size",
        )
        return {name: getattr(self, name) for name in names}


def _coerce(name: str, value: Any, default: Any) -> Any:
    if isinstance(default, tuple):
        return _names(value)
    if isinstance(default, bool):
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)
    if isinstance(default, int):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise SyncError(f"{name} must be a whole number, not {value!r}",
                            f"[sources.klaviyo] {name}", "fix the value") from None
    return str(value)


def _names(value: Any) -> tuple[str, ...]:
    """`a,b` or `["a", "b"]` -> ("a", "b"); blanks dropped, order kept."""
    items: Sequence[Any] = value.split(",") if isinstance(value, str) else list(value)
    cleaned = (str(item).strip() for item in items)
    return tuple(dict.fromkeys(item for item in cleaned if item))


def _base_url(flag: str | None) -> str:
    value = flag or os.environ.get(ENV_BASE_URL) or dlt.config.get(f"{CONFIG_SECTION}.base_url")
    return str(value or api.DEFAULT_BASE_URL).rstrip("/")


def _api_key() -> str:
    key = os.environ.get(ENV_API_KEY) or dlt.secrets.get(f"{CONFIG_SECTION}.api_key")
    if not key:
        raise SyncError(
            "no Klaviyo API key configured",
            f"{ENV_API_KEY} / SOURCES__KLAVIYO__API_KEY / .dlt/secrets.toml [sources.klaviyo] api_key",
            "set one of them to a private API key with read scopes metrics:read, profiles:read, events:read",
        )
    return str(key)
