"""Growth between runs: new, late and future events; updated and new profiles; determinism by seed."""

from __future__ import annotations

import time
import tracemalloc
from datetime import datetime, timedelta, timezone

import requests

from loader.emulator import Emulator, EmulatorConfig
from tests.emulator.helpers import fetch_all

ANCHOR_US = 1_780_000_000 * 1_000_000
SMALL = EmulatorConfig(profiles=80, events=900, history_days=30)


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_initial_data_spans_history_and_future():
    emu = Emulator(SMALL, anchor_us=ANCHOR_US)
    anchor = datetime.fromtimestamp(ANCHOR_US / 1e6, timezone.utc)
    stamps = [_dt(e["attributes"]["datetime"]) for e in emu.truth.events()]
    assert len(stamps) == 905
    assert sum(s > anchor for s in stamps) == 5
    assert min(stamps) >= anchor - timedelta(days=30)
    names = {m["attributes"]["integration"]["name"] for m in emu.truth.metrics()}
    assert {"Shopify", "Klaviyo", "API"} <= names
    orders = [e for e in emu.truth.events(metric_ids=[emu.truth.metrics()[0]["id"]])]
    assert orders and all(e["attributes"]["event_properties"]["$value"] > 0 for e in orders)
    profile = emu.truth.profiles()[0]["attributes"]
    assert profile["location"]["city"] and profile["properties"] and profile["subscriptions"]["email"]
    event = emu.truth.events()[0]
    assert event["attributes"]["timestamp"] == int(_dt(event["attributes"]["datetime"]).timestamp())
    assert len(event["id"]) == 27 and len(emu.truth.profiles()[0]["id"]) == 26
    assert all(len(m["id"]) == 6 for m in emu.truth.metrics())


def test_same_seed_same_data_other_seed_other_data():
    a, b = Emulator(SMALL, anchor_us=ANCHOR_US), Emulator(SMALL, anchor_us=ANCHOR_US)
    assert a.truth.events() == b.truth.events()
    assert a.truth.profiles(("subscriptions", "predictive_analytics")) == b.truth.profiles(
        ("subscriptions", "predictive_analytics"))
    assert a.truth.metrics() == b.truth.metrics()
    c = Emulator(EmulatorConfig(seed=2, profiles=80, events=900, history_days=30), anchor_us=ANCHOR_US)
    assert {e["id"] for e in c.truth.events()}.isdisjoint({e["id"] for e in a.truth.events()})
    now = ANCHOR_US + 3_600_000_000
    a.grow(new_events=50, updated_profiles=5, now_us=now)
    b.grow(new_events=50, updated_profiles=5, now_us=now)
    assert a.truth.events() == b.truth.events() and a.truth.profiles() == b.truth.profiles()


def test_growth_dates_new_late_and_future_events_and_updates_profiles():
    emu = Emulator(SMALL, anchor_us=ANCHOR_US)
    anchor = datetime.fromtimestamp(ANCHOR_US / 1e6, timezone.utc)
    now = anchor + timedelta(hours=2)
    before_events = {e["id"] for e in emu.truth.events()}
    before_profiles = {p["id"]: p for p in emu.truth.profiles()}
    emu.grow(new_events=40, late_events=7, late_by=timedelta(minutes=30), future_events=3,
             updated_profiles=6, new_profiles=4, now_us=int(now.timestamp() * 1e6))
    added = [e for e in emu.truth.events() if e["id"] not in before_events]
    stamps = [_dt(e["attributes"]["datetime"]) for e in added]
    assert len(added) == 50
    assert sum(s == now - timedelta(minutes=30) for s in stamps) >= 7
    assert sum(s > now for s in stamps) == 3
    assert all(anchor <= s <= now or s > now + timedelta(minutes=59) for s in stamps)
    profiles = emu.truth.profiles()
    assert len(profiles) == 84
    changed = [p for p in profiles if p["id"] in before_profiles and p != before_profiles[p["id"]]]
    assert len(changed) == 6
    for p in changed:
        assert _dt(p["attributes"]["updated"]) == now
        assert p["attributes"]["properties"]["update_count"] == 1
    new = [p for p in profiles if p["id"] not in before_profiles]
    assert len(new) == 4 and all(_dt(p["attributes"]["created"]) == now for p in new)


def test_grow_over_http_then_incremental_filter_finds_exactly_the_changes(emulator):
    before = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=1)
    stamp = before.isoformat()
    assert fetch_all(emulator, "profiles", filter=f"greater-than(updated,{stamp})") == []
    resp = requests.post(f"{emulator.base_url}/_emulator/grow",
                         json={"new_events": 25, "updated_profiles": 4, "new_profiles": 2,
                               "late_events": 3, "late_by_seconds": 600}, timeout=10)
    assert resp.status_code == 200 and resp.json()["profiles"] == 122
    changed = fetch_all(emulator, "profiles", filter=f"greater-than(updated,{stamp})")
    assert len(changed) == 6
    recent = fetch_all(emulator, "events", filter=f"greater-than(datetime,{stamp})")
    truth = emulator.emulator.truth.events(since=before + timedelta(seconds=1))
    assert [e["id"] for e in recent] == [e["id"] for e in truth]
    assert len(recent) >= 25 + 5  # new events (anchor..now) and the initial future-dated ones; not late ones
    bogus = requests.post(f"{emulator.base_url}/_emulator/grow", json={"bogus": 1}, timeout=10)
    assert bogus.status_code == 400


def test_large_dataset_builds_fast_without_json_in_memory():
    tracemalloc.start()
    try:
        started = time.perf_counter()
        emu = Emulator(EmulatorConfig(profiles=20_000, events=300_000))
        elapsed = time.perf_counter() - started
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 3.0
    assert emu.counts()["events"] == 300_005
    # columns, not documents: a rendered event is ~900 bytes of JSON; the store keeps < 100 per event
    assert held / 300_005 < 100 and peak / 300_005 < 200
