"""Each source setting is declared once (`SourceOptions`) and reaches the run from a flag, the
shared `[sources.klaviyo]` config or an account's own section, in that order."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from loader.errors import SyncError
from loader.source.options import SourceOptions
from loader.sync_settings import SyncSettings

pytestmark = pytest.mark.usefixtures("no_dlt_config")

# a valid value other than the default, for the settings whose type alone cannot give one
SAMPLES: dict[str, tuple[str, Any]] = {
    "objects": ("profiles", ("profiles",)),
    "history": ("30d", "30d"),
    "lookback": ("2h", "2h"),
    "reconcile": ("7d", "7d"),
    "reread": ("2d", "2d"),
    "attribution_window": ("3d", "3d"),
    "listing_reconcile": ("12h", "12h"),
    "deleted_profiles": ("flag", "flag"),
}


def _sample(name: str, default: Any) -> tuple[str, Any]:
    if name in SAMPLES:
        return SAMPLES[name]
    if isinstance(default, bool):
        return str(not default).lower(), not default
    if isinstance(default, int):
        return str(default + 3), default + 3
    if isinstance(default, tuple):
        return "a, b", ("a", "b")
    raise AssertionError(f"add a sample value for the new setting {name!r}")


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLAVIYO_API_KEY", "pk_test_0000000000000000000000")


def test_every_configured_setting_is_read_from_config(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = {}
    for item in fields(SourceOptions):
        if item.name not in SourceOptions.configured():
            continue
        text, value = _sample(item.name, item.default)
        monkeypatch.setenv(f"SOURCES__KLAVIYO__{item.name.upper()}", text)
        expected[item.name] = value
    assert set(expected) == set(SourceOptions.configured()) and "item_format" not in expected
    settings = SyncSettings.resolve()
    assert {name: getattr(settings.options, name) for name in expected} == expected
    (account,) = settings.accounts
    assert account.options == settings.options


def test_a_flag_beats_config_and_applies_to_every_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCES__KLAVIYO__ACCOUNTS__ACME__API_KEY", "pk_acme_000000000000000000000")
    monkeypatch.setenv("SOURCES__KLAVIYO__ACCOUNTS__BETA__API_KEY", "pk_beta_000000000000000000000")
    monkeypatch.setenv("SOURCES__KLAVIYO__ACCOUNTS__ACME__HISTORY", "90d")
    monkeypatch.setenv("SOURCES__KLAVIYO__LOOKBACK", "3h")
    settings = SyncSettings.resolve()
    by_name = {a.name: a.options for a in settings.accounts}
    assert (by_name["acme"].history, by_name["beta"].history) == ("90d", "all")
    assert by_name["acme"].lookback == by_name["beta"].lookback == "3h"
    flagged = SyncSettings.resolve(history="1y", lookback="30m")
    assert {a.options.history for a in flagged.accounts} == {"1y"}
    assert {a.options.lookback for a in flagged.accounts} == {"30m"}


def test_only_the_selection_may_be_set_per_account(monkeypatch: pytest.MonkeyPatch) -> None:
    assert SourceOptions.per_account() == ("objects", "history", "metrics", "exclude_integrations")
    monkeypatch.setenv("SOURCES__KLAVIYO__ACCOUNTS__ACME__API_KEY", "pk_acme_000000000000000000000")
    monkeypatch.setenv("SOURCES__KLAVIYO__ACCOUNTS__ACME__LOOKBACK", "5h")  # shared only: not read
    (acme,) = SyncSettings.resolve().accounts
    assert acme.options.lookback == SourceOptions().lookback


@pytest.mark.parametrize(("env", "value", "where"), [
    ("SOURCES__KLAVIYO__EVENTS_WORKERS", "0", "[sources.klaviyo] events_workers"),
    ("SOURCES__KLAVIYO__PROFILES_PAGE_SIZE", "many", "[sources.klaviyo] profiles_page_size"),
    ("SOURCES__KLAVIYO__LOOKBACK", "an hour", "--lookback / [sources.klaviyo] lookback"),
    ("SOURCES__KLAVIYO__ACCOUNTS__ACME__HISTORY", "2y", "[sources.klaviyo.accounts.acme] history"),
    ("SOURCES__KLAVIYO__ACCOUNTS__ACME__OBJECTS", "orders", "[sources.klaviyo.accounts.acme] objects"),
])
def test_a_bad_value_names_its_key(monkeypatch: pytest.MonkeyPatch, env: str, value: str, where: str) -> None:
    monkeypatch.setenv("SOURCES__KLAVIYO__ACCOUNTS__ACME__API_KEY", "pk_acme_000000000000000000000")
    monkeypatch.setenv(env, value)
    with pytest.raises(SyncError) as raised:
        SyncSettings.resolve()
    assert raised.value.where == where and not raised.value.retryable


def test_an_unknown_setting_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="lookbak"):
        SyncSettings.resolve(lookbak="1h")


def test_a_reconcile_cadence_can_be_set_by_its_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    monkeypatch.setenv("SOURCES__KLAVIYO__RECONCILE__MEMBERS", "12h")
    monkeypatch.setenv("SOURCES__KLAVIYO__RECONCILE__PROFILES", "3d")
    options = SyncSettings.resolve().options
    assert options.reconcile_interval("members") == timedelta(hours=12)
    assert options.reconcile_interval("profiles") == timedelta(days=3)
    assert options.reconcile_interval("lists") == timedelta(days=1)  # the default, untouched
    monkeypatch.setenv("SOURCES__KLAVIYO__RECONCILE__MEMBERS", "soon")
    with pytest.raises(SyncError, match="reconcile members"):
        SyncSettings.resolve().options.reconcile_interval("members")
