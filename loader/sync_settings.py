"""The settings of one sync: command-line flags over dlt config `[sources.klaviyo]` over defaults.

Accounts: one `[sources.klaviyo] api_key` is the account named "default"; several accounts are
`[sources.klaviyo.accounts.<name>] api_key = "pk_..."` (or `SOURCES__KLAVIYO__ACCOUNTS__<NAME>__API_KEY`),
each of which may override `objects`, `history`, `metrics` and `exclude_integrations`.

This is the one place that reads the environment conveniences `KLAVIYO_API_KEY` and
`KLAVIYO_BASE_URL`; everything else (e.g. `SOURCES__KLAVIYO__API_KEY`, `.dlt/secrets.toml`,
`DESTINATION__...`) is dlt's own configuration.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import dlt

from loader.destination import resolve_pipelines_dir
from loader.errors import SyncError
from loader.source import settings as api
from loader.source.context import parse_duration, parse_history
from loader.sync_observer import DEFAULT_ACCOUNT, Unit

CONFIG_SECTION = "sources.klaviyo"
ENV_API_KEY = "KLAVIYO_API_KEY"
ENV_BASE_URL = "KLAVIYO_BASE_URL"
# never read from [sources.klaviyo]: a stored full_refresh would drop the tables on every run;
# the destination and pipelines_dir have their own keys in [klaviyo_sync] (see loader.destination)
FLAG_ONLY = ("full_refresh", "destination", "pipelines_dir", "accounts")
ACCOUNTS_SECTION = f"{CONFIG_SECTION}.accounts"
ENV_ACCOUNT_KEY = re.compile(r"^SOURCES__KLAVIYO__ACCOUNTS__(\w+?)__API_KEY$")
ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
# what an account may set for itself; everything else (lookback, workers, ...) is shared
ACCOUNT_OVERRIDES = ("objects", "history", "metrics", "exclude_integrations")


@dataclass(frozen=True)
class AccountSettings:
    """One Klaviyo account: its configured name, its key, and its own data selection."""

    name: str
    api_key: str = field(repr=False)
    objects: tuple[str, ...] = api.OBJECTS
    history: str = api.DEFAULT_HISTORY
    metrics: tuple[str, ...] = ()
    exclude_integrations: tuple[str, ...] = ()


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
    events_workers: int = api.EVENTS_WORKERS
    profiles_workers: int = api.PROFILES_WORKERS
    events_page_size: int = api.EVENTS_PAGE_SIZE
    profiles_page_size: int = api.PROFILES_PAGE_SIZE
    pipelines_dir: str | None = None
    accounts: tuple[AccountSettings, ...] = ()
    # the account whose data a warehouse written before accounts existed holds (see loader.upgrade)
    upgrade_account: str | None = None

    @property
    def secrets(self) -> list[str]:
        """Every API key of this sync, for redaction."""
        return [account.api_key for account in self.accounts if account.api_key]

    @property
    def units(self) -> list[Unit]:
        """What a run syncs: per account, metrics (always) and its chosen objects."""
        return [Unit(a.name, obj) for a in self.accounts for obj in (*api.ALWAYS_SYNCED, *a.objects)]

    @property
    def account_names(self) -> tuple[str, ...]:
        return tuple(account.name for account in self.accounts)

    def only_accounts(self, names: Sequence[str]) -> SyncSettings:
        """The same settings for a subset of the accounts (in their configured order)."""
        wanted = set(names)
        return replace(self, accounts=tuple(a for a in self.accounts if a.name in wanted))

    @classmethod
    def resolve(cls, **overrides: Any) -> SyncSettings:
        """Flags given (not None) win; then `[sources.klaviyo]` config; then the defaults."""
        values: dict[str, Any] = {}
        for item in fields(cls):
            if item.name in ("api_key", "base_url", "accounts", "upgrade_account"):
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
        shared = cls(**values)
        shared.accounts = _accounts(shared, overrides.get("api_key"), overrides.get("accounts"))
        for flag in ACCOUNT_OVERRIDES:  # a command-line flag applies to every account
            if overrides.get(flag) is not None:
                value = getattr(shared, flag)
                shared.accounts = tuple(replace(a, **{flag: value}) for a in shared.accounts)
        shared.upgrade_account = overrides.get("upgrade_account") or _opt_str(
            dlt.config.get(f"{CONFIG_SECTION}.upgrade_account"))
        shared.validate()
        return shared

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
        for account in self.accounts:
            where = f"[sources.klaviyo.accounts.{account.name}]"
            parse_history(account.history)
            bad = [o for o in account.objects if o not in api.OBJECTS]
            if bad or not account.objects:
                raise SyncError(f"unknown data objects {', '.join(bad) or '(none)'}", f"{where} objects",
                                f"choose from: {', '.join(api.OBJECTS)}")
        if self.upgrade_account is not None and self.upgrade_account not in self.account_names:
            raise SyncError(f"unknown account {self.upgrade_account!r}", "[sources.klaviyo] upgrade_account",
                            f"name one of the configured accounts: {', '.join(self.account_names)}")
        if not self.base_url.startswith(("http://", "https://")):
            raise SyncError(
                f"invalid base URL {self.base_url!r}",
                f"{ENV_BASE_URL} / [sources.klaviyo] base_url",
                "use e.g. https://a.klaviyo.com",
            )

    def source_kwargs(self) -> dict[str, Any]:
        """Arguments for `loader.source.klaviyo` (the accounts are passed separately)."""
        names = (
            "base_url", "objects", "history", "metrics", "exclude_integrations", "lookback",
            "reconcile", "subscriptions", "predictive_analytics", "events_workers", "profiles_workers",
            "events_page_size", "profiles_page_size",
        )
        return {name: getattr(self, name) for name in names}


def _accounts(
    shared: SyncSettings, flag_key: str | None, only: Sequence[str] | None
) -> tuple[AccountSettings, ...]:
    """The configured accounts (one "default" for a lone key), narrowed to `only` (`--accounts`)."""
    named = _named_account_keys()
    if flag_key or not named:
        key = flag_key or _api_key()
        accounts = [_account(shared, DEFAULT_ACCOUNT, key, section=None)]
    else:
        accounts = [_account(shared, name, key, f"{ACCOUNTS_SECTION}.{name}") for name, key in named.items()]
    if only is None:
        return tuple(accounts)
    names = {a.name for a in accounts}
    unknown = [name for name in only if name not in names]
    if unknown or not only:
        raise SyncError(f"unknown account {', '.join(unknown) or '(none)'}", "--accounts",
                        f"name configured accounts: {', '.join(sorted(names))}", code="config")
    return tuple(a for a in accounts if a.name in set(only))


def _named_account_keys() -> dict[str, str]:
    """`[sources.klaviyo.accounts.<name>] api_key` from secrets, config and the environment."""
    names: dict[str, None] = {}
    for provider in (dlt.secrets, dlt.config):
        section: Any = provider.get(ACCOUNTS_SECTION)
        if isinstance(section, dict):
            names.update(dict.fromkeys(str(name) for name in section))
    for variable in os.environ:
        match = ENV_ACCOUNT_KEY.match(variable)
        if match:
            names[match.group(1).lower()] = None
    keys = {}
    for name in names:
        if not ACCOUNT_NAME.match(name):
            raise SyncError(f"invalid account name {name!r}", f"[sources.klaviyo.accounts.{name}]",
                            "use letters, digits, '_' and '-' only", code="config")
        key: Any = dlt.secrets.get(f"{ACCOUNTS_SECTION}.{name}.api_key")
        if not key:
            env = f"SOURCES__KLAVIYO__ACCOUNTS__{name.upper()}__API_KEY"
            raise SyncError(f"account {name!r} has no API key", f"[sources.klaviyo.accounts.{name}] api_key",
                            f"set it in .dlt/secrets.toml or {env}", code="config")
        keys[name] = str(key)
    return keys


def _account(shared: SyncSettings, name: str, key: str, section: str | None) -> AccountSettings:
    """An account's settings: its own overrides in `section` (None: none), else the shared ones."""
    values: dict[str, Any] = {}
    for setting in ACCOUNT_OVERRIDES:
        value = dlt.config.get(f"{section}.{setting}") if section else None
        default = getattr(shared, setting)
        values[setting] = default if value is None else _coerce(setting, value, default)
    values["objects"] = tuple(o.lower() for o in values["objects"])
    return AccountSettings(name=name, api_key=key, **values)


def _opt_str(value: Any) -> str | None:
    return None if value is None or str(value).strip() == "" else str(value).strip()


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


def configured_account_names() -> tuple[str, ...]:
    """The names of the configured accounts without resolving the rest (for `pause`, `status`, ...)."""
    try:
        named = _named_account_keys()
    except SyncError:
        named = {}
    return tuple(named) or (DEFAULT_ACCOUNT,)
