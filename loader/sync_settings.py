"""The settings of one sync: command-line flags over dlt config `[sources.klaviyo]` over defaults.

Accounts: one `[sources.klaviyo] api_key` is the account named "default"; several accounts are
`[sources.klaviyo.accounts.<name>] api_key = "pk_..."` (or `SOURCES__KLAVIYO__ACCOUNTS__<NAME>__API_KEY`),
each of which may set its own `SourceOptions.per_account()` (objects, history, metrics,
exclude_integrations).

This is the one place that reads the environment conveniences `KLAVIYO_API_KEY` and
`KLAVIYO_BASE_URL`; everything else (e.g. `SOURCES__KLAVIYO__API_KEY`, `.dlt/secrets.toml`,
`DESTINATION__...`) is dlt's own configuration.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import dlt

from loader.destination import resolve_pipelines_dir
from loader.errors import SyncError
from loader.source import settings as api
from loader.source.options import SourceOptions
from loader.sync_observer import DEFAULT_ACCOUNT, Unit

CONFIG_SECTION = "sources.klaviyo"
ENV_API_KEY = "KLAVIYO_API_KEY"
ENV_BASE_URL = "KLAVIYO_BASE_URL"
ACCOUNTS_SECTION = f"{CONFIG_SECTION}.accounts"
ENV_ACCOUNT_KEY = re.compile(r"^SOURCES__KLAVIYO__ACCOUNTS__(\w+?)__API_KEY$")
ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class AccountSettings:
    """One Klaviyo account: its configured name, its key, and how it is read (the shared source
    options with its own data selection over them)."""

    name: str
    api_key: str = field(repr=False)
    options: SourceOptions = SourceOptions()


@dataclass
class SyncSettings:
    """The source's options (declared in `loader.source.options`) and what only a run decides.

    `full_refresh`, `destination`, `pipelines_dir` and `accounts` are flags only: a stored
    full_refresh would drop the tables on every run, and the destination and pipelines_dir have
    their own keys in [klaviyo_sync] (see loader.destination).
    """

    options: SourceOptions = SourceOptions()
    full_refresh: bool = False
    destination: str | None = None
    base_url: str = api.DEFAULT_BASE_URL
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
        return [Unit(a.name, obj) for a in self.accounts for obj in (*api.ALWAYS_SYNCED, *a.options.objects)]

    @property
    def account_names(self) -> tuple[str, ...]:
        return tuple(account.name for account in self.accounts)

    def only_accounts(self, names: Sequence[str]) -> SyncSettings:
        """The same settings for a subset of the accounts (in their configured order)."""
        wanted = set(names)
        return replace(self, accounts=tuple(a for a in self.accounts if a.name in wanted))

    @classmethod
    def resolve(cls, **overrides: Any) -> SyncSettings:
        """Flags given (not None) win; then `[sources.klaviyo]` config; then the defaults.

        `overrides` take every `SourceOptions` name and `full_refresh`, `destination`,
        `pipelines_dir`, `accounts` (names), `api_key`, `base_url` and `upgrade_account`."""
        known = {*SourceOptions.configured(), *FLAGS}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise TypeError(f"SyncSettings.resolve() got unknown settings: {', '.join(unknown)}")
        flags = {name: value for name, value in overrides.items() if value is not None}
        shared = _options(CONFIG_SECTION, SourceOptions(), flags, SourceOptions.configured())
        shared.validate()
        flagged = {name: getattr(shared, name) for name in SourceOptions.per_account() if name in flags}
        settings = cls(
            options=shared,
            full_refresh=bool(flags.get("full_refresh", False)),
            destination=flags.get("destination"),
            base_url=_base_url(flags.get("base_url")),
            pipelines_dir=resolve_pipelines_dir(flags.get("pipelines_dir")),
            upgrade_account=flags.get("upgrade_account") or _opt_str(
                dlt.config.get(f"{CONFIG_SECTION}.upgrade_account")),
        )
        # an account's own section over the shared options; a command-line flag over both
        settings.accounts = tuple(
            replace(account, options=replace(account.options, **flagged))
            for account in _accounts(shared, flags.get("api_key"), flags.get("accounts"))
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Fail fast, naming the flag/config key, before anything is read or written."""
        for account in self.accounts:
            if account.name != DEFAULT_ACCOUNT:
                account.options.validate(f"[{ACCOUNTS_SECTION}.{account.name}]")
        if self.upgrade_account is not None and self.upgrade_account not in self.account_names:
            raise SyncError(f"unknown account {self.upgrade_account!r}", "[sources.klaviyo] upgrade_account",
                            f"name one of the configured accounts: {', '.join(self.account_names)}")
        if not self.base_url.startswith(("http://", "https://")):
            raise SyncError(
                f"invalid base URL {self.base_url!r}",
                f"{ENV_BASE_URL} / [sources.klaviyo] base_url",
                "use e.g. https://a.klaviyo.com",
            )


FLAGS = ("full_refresh", "destination", "pipelines_dir", "accounts", "api_key", "base_url", "upgrade_account")


def _options(section: str, base: SourceOptions, flags: dict[str, Any], names: Sequence[str]) -> SourceOptions:
    """`base` with each of `names` taken from `flags`, else from config `section`, coerced to the
    type of its default."""
    values: dict[str, Any] = {}
    for name in names:
        value = flags.get(name)
        if value is None:
            value = dlt.config.get(f"{section}.{name}")
        if name == "reconcile" and (value is None or isinstance(value, Mapping)):
            value = _reconcile_table(section, value)
        if value is not None:
            values[name] = _coerce(name, value, getattr(base, name), section)
    if "objects" in values:
        values["objects"] = tuple(o.lower() for o in values["objects"])
    return replace(base, **values)


def _reconcile_table(section: str, table: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """`[<section>.reconcile]` with each object also looked up on its own, so that an environment
    variable such as SOURCES__KLAVIYO__RECONCILE__MEMBERS=12h sets (or overrides) one cadence:
    dlt's providers resolve `reconcile.members` in their order (environment first), but hand back
    a table only as the TOML wrote it."""
    merged = dict(table or {})
    for obj in api.RECONCILED:
        value: Any = dlt.config.get(f"{section}.reconcile.{obj}")
        if value is not None:
            merged[obj] = value
    return merged or None


def _accounts(
    shared: SourceOptions, flag_key: str | None, only: Sequence[str] | None
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


def _account(shared: SourceOptions, name: str, key: str, section: str | None) -> AccountSettings:
    """An account's settings: its own data selection in `section` (None: none), else the shared."""
    options = _options(section, shared, {}, SourceOptions.per_account()) if section else shared
    return AccountSettings(name=name, api_key=key, options=options)


def _opt_str(value: Any) -> str | None:
    return None if value is None or str(value).strip() == "" else str(value).strip()


def _coerce(name: str, value: Any, default: Any, section: str = CONFIG_SECTION) -> Any:
    if isinstance(value, Mapping):  # a config table (`[sources.klaviyo.reconcile]`): SourceOptions reads it
        return dict(value)
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
                            f"[{section}] {name}", "fix the value") from None
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
            "set one of them to a private API key with read scopes accounts:read, metrics:read, "
            "profiles:read, events:read, campaigns:read, flows:read",
        )
    return str(key)


def configured_account_names() -> tuple[str, ...]:
    """The names of the configured accounts without resolving the rest (for `pause`, `status`, ...)."""
    try:
        named = _named_account_keys()
    except SyncError:
        named = {}
    return tuple(named) or (DEFAULT_ACCOUNT,)
