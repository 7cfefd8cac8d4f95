"""The reconcile settings: one cadence per object from `[sources.klaviyo.reconcile]`, "now", and the
deprecated forms (`reconcile = "7d"`, `listing_reconcile`) meaning what they meant."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from loader.errors import SyncError
from loader.source import settings
from loader.source.options import SourceOptions

NOW = datetime(2026, 12, 7, 12, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def test_defaults_one_cadence_per_object() -> None:
    options = SourceOptions()
    assert {o: options.reconcile_interval(o) for o in settings.RECONCILED} == {
        "campaigns": DAY, "flows": DAY, "lists": DAY, "segments": DAY, "members": DAY, "profiles": 7 * DAY}
    assert options.reread_window is None and not options.reconcile_now
    assert options.reconcile_due("members", None, NOW), "never reconciled: due"
    assert not options.reconcile_due("members", NOW - timedelta(hours=23), NOW)
    assert options.reconcile_due("members", NOW - DAY, NOW)


def test_a_table_sets_some_cadences_and_now_forces_all() -> None:
    options = SourceOptions(reconcile={"members": "2h", "profiles": "0"})
    assert options.reconcile_interval("members") == timedelta(hours=2)
    assert options.reconcile_interval("profiles") is None  # "0": only the first run
    assert not options.reconcile_due("profiles", NOW - 300 * DAY, NOW)
    assert options.reconcile_interval("lists") == DAY
    forced = SourceOptions(reconcile="now")
    assert forced.reconcile_now and forced.reread_window is None
    assert all(forced.reconcile_due(o, NOW, NOW) for o in settings.RECONCILED)


def test_deprecated_forms_keep_their_meaning() -> None:
    old = SourceOptions(reconcile="7d")
    assert old.reread_window == old.reconcile_window == 7 * DAY and old.reconcile_now
    listing = SourceOptions(listing_reconcile="12h", reconcile={"flows": "3h"})
    assert listing.reconcile_interval("campaigns") == timedelta(hours=12)
    assert listing.reconcile_interval("flows") == timedelta(hours=3), "the table wins over the alias"
    last = NOW - timedelta(hours=4)
    assert listing.reconcile_due("flows", last, NOW) and not listing.reconcile_due("campaigns", last, NOW)
    assert not SourceOptions(reread="7d").reconcile_due("campaigns", last, NOW), "a re-read lists nothing"


@pytest.mark.parametrize("value, key", [({"member": "1d"}, "reconcile"), ({"members": "soon"}, "members"),
                                        ("weekly", "reconcile")])
def test_invalid_reconcile_names_the_key(value: object, key: str) -> None:
    with pytest.raises(SyncError) as error:
        SourceOptions(reconcile=value).validate()
    assert key in error.value.where


def test_the_table_is_read_from_config(tmp_path: Path) -> None:
    """`[sources.klaviyo.reconcile]` in .dlt/config.toml (a fresh process reads it)."""
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text(
        '[sources.klaviyo.reconcile]\nmembers = "6h"\nprofiles = "3d"\n', encoding="utf-8")
    code = ("from loader.sync_settings import SyncSettings; o = SyncSettings.resolve().options; "
            "print(o.reconcile_interval('members'), o.reconcile_interval('profiles'), "
            "o.reconcile_interval('lists'), SyncSettings.resolve(reconcile='now').options.reconcile_now)")
    env = {**os.environ, "KLAVIYO_API_KEY": "pk_test_0000000000000000000000"}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["6:00:00", "3", "days,", "0:00:00", "1", "day,", "0:00:00", "True"]
