"""Engagement events name their campaign or flow message (`$message`, `$flow`), `Placed Order` events
carry Klaviyo's attributions (`include=attributions`), and growth adds late credit."""

from __future__ import annotations

from datetime import datetime, timezone

import requests

from loader.emulator import Emulator, EmulatorConfig, catalog
from tests.emulator.helpers import get
from tests.fixtures.emulator import RunningEmulator

ANCHOR_US = 1_780_000_000 * 1_000_000
DAY_US = 86_400 * 1_000_000
STANDARD = ("Received Email", "Opened Email", "Clicked Email", "Bounced Email", "Unsubscribed",
            "Marked Email as Spam", "Received SMS", "Clicked SMS", "Unsubscribed from SMS", "Placed Order")


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _messages(truth) -> dict[str, dict]:
    """Message id -> {channel, campaign or flow, start} of every campaign and flow message."""
    out: dict[str, dict] = {}
    campaigns = {c["id"]: c for c in truth.campaigns()}
    for cid, messages in truth.campaign_messages().items():
        for m in messages:
            out[m["id"]] = {"channel": m["attributes"]["definition"]["channel"], "campaign": cid,
                            "flow": None, "start": campaigns[cid]["attributes"]["send_time"]}
    for flow_id, actions in truth.flow_actions().items():
        for action in actions:
            for m in truth.flow_messages()[action["id"]]:
                out[m["id"]] = {"channel": m["attributes"]["channel"], "campaign": None, "flow": flow_id,
                                "start": m["attributes"]["created"]}
    return out


def test_the_metric_catalog_has_klaviyos_standard_names(emulator):
    served = {m["attributes"]["name"] for m in emulator.emulator.truth.metrics()}
    assert set(STANDARD) <= served
    assert set(STANDARD) <= {name for name, _, _ in catalog.METRICS}


def test_engagement_events_name_real_messages_of_their_channel():
    emu = Emulator(EmulatorConfig(events=6000), anchor_us=ANCHOR_US)
    truth = emu.truth
    messages = _messages(truth)
    names = {m["id"]: m["attributes"]["name"] for m in truth.metrics()}
    named = {"email": set(), "sms": set()}
    kinds = set()
    for event in truth.events():
        name = names[event["relationships"]["metric"]["data"]["id"]]
        props = event["attributes"]["event_properties"]
        channel = catalog.ENGAGEMENT_CHANNEL.get(name)
        if channel is None:
            assert "$message" not in props and "$flow" not in props, name
            continue
        message = messages[props["$message"]]
        assert message["channel"] == channel, name
        assert props.get("$flow") == message["flow"]
        assert message["start"] and _dt(message["start"]) <= _dt(event["attributes"]["datetime"])
        assert props["Campaign Name"]
        named[channel].add(props["$message"])
        kinds.add("flow" if message["flow"] else "campaign")
    assert kinds == {"flow", "campaign"}
    assert len(named["email"]) > 5 and named["sms"]


def test_attributions_in_included_are_the_truth_and_credit_an_earlier_engagement():
    emu = Emulator(EmulatorConfig(events=6000), anchor_us=ANCHOR_US)
    with emu.serve() as server:
        running = RunningEmulator(emu, server)
        served: dict[str, list[dict]] = {}
        events: dict[str, dict] = {}
        url, params = f"{server.base_url}/api/events", {"include": "attributions,metric", "page[size]": 1000}
        metrics_seen = set()
        while url:
            doc = requests.get(url, params=params, headers=running.headers(), timeout=30).json()
            params = None
            attributions = {i["id"]: i for i in doc["included"] if i["type"] == "attribution"}
            metrics_seen |= {i["id"] for i in doc["included"] if i["type"] == "metric"}
            for event in doc["data"]:
                events[event["id"]] = event
                rel = event["relationships"].get("attributions")
                if rel:
                    served[event["id"]] = [attributions[a["id"]] for a in rel["data"]]
            url = doc["links"]["next"]
        plain = get(running, "events", **{"page[size]": 1000}).json()
    assert metrics_seen and not any("attributions" in e["relationships"] for e in plain["data"])
    strip = {eid: [{k: v for k, v in a.items() if k != "links"} for a in atts]
             for eid, atts in served.items()}
    for atts in strip.values():
        for a in atts:
            a["relationships"] = {n: {"data": r["data"]} for n, r in a["relationships"].items()}
    truth = emu.truth
    assert strip == truth.attributions() and len(strip) > 20
    names = {m["id"]: m["attributes"]["name"] for m in truth.metrics()}
    messages = _messages(truth)
    for event_id, atts in served.items():
        order = events[event_id]
        assert names[order["relationships"]["metric"]["data"]["id"]] == "Placed Order"
        for a in atts:
            rel = a["relationships"]
            assert rel["event"]["data"] == {"type": "event", "id": event_id}
            engaged = events[rel["attributed-event"]["data"]["id"]]
            assert names[engaged["relationships"]["metric"]["data"]["id"]] in catalog.ATTRIBUTING
            gap = _dt(order["attributes"]["datetime"]) - _dt(engaged["attributes"]["datetime"])
            assert 0 < gap.total_seconds() <= 5 * 86_400
            assert engaged["relationships"]["profile"]["data"] == order["relationships"]["profile"]["data"]
            message_id = engaged["attributes"]["event_properties"]["$message"]
            message = messages[message_id]
            if message["flow"]:
                assert rel["flow"]["data"] == {"type": "flow", "id": message["flow"]}
                assert rel["flow-message"]["data"] == {"type": "flow-message", "id": message_id}
                assert rel["campaign"]["data"] is None and rel["campaign-message"]["data"] is None
            else:
                assert rel["campaign"]["data"] == {"type": "campaign", "id": message["campaign"]}
                assert rel["campaign-message"]["data"] == {"type": "campaign-message", "id": message_id}
                assert rel["flow"]["data"] is None and rel["flow-message"]["data"] is None


def test_late_attribution_credits_an_old_order():
    emu = Emulator(EmulatorConfig(events=8000, history_days=20), anchor_us=ANCHOR_US)
    before = emu.truth.attributions()
    now = ANCHOR_US + 3600 * 1_000_000
    week = datetime.fromtimestamp((now - 7 * DAY_US) / 1e6, timezone.utc)
    old_events = emu.truth.events(since=week)
    emu.grow(late_attributions=4, now_us=now)
    after = emu.truth.attributions()
    added = set(after) - set(before)
    assert len(added) == 4 and all(after[k] == v for k, v in before.items())
    by_id = {e["id"]: e for e in emu.truth.events(since=week)}
    for event_id in added:
        stamp = _dt(by_id[event_id]["attributes"]["datetime"]).timestamp() * 1e6
        assert now - 6 * DAY_US <= stamp <= now - DAY_US
    assert emu.truth.events(since=week) == old_events  # the events themselves do not change
    with emu.serve() as server:
        headers = {"Authorization": f"Klaviyo-API-Key {emu.config.api_key}", "revision": "2026-07-15"}
        since = week.isoformat()
        url = f"{server.base_url}/api/events"
        params = {"include": "attributions", "page[size]": 1000,
                  "filter": f"greater-or-equal(datetime,{since})"}
        credited = set()
        while url:
            doc = requests.get(url, params=params, headers=headers, timeout=30).json()
            params = None
            credited |= {e["id"] for e in doc["data"] if "attributions" in e["relationships"]}
            url = doc["links"]["next"]
    assert added <= credited


def test_new_events_name_new_campaigns_and_old_events_keep_their_properties():
    emu = Emulator(EmulatorConfig(events=3000, history_days=60), anchor_us=ANCHOR_US)
    old = emu.truth.events()
    t1 = ANCHOR_US + 3600 * 1_000_000
    emu.grow(new_campaigns=2, now_us=t1)
    new_ids = {c["id"] for c in emu.truth.campaigns()} - {c["id"] for c in Emulator(
        EmulatorConfig(events=3000, history_days=60), anchor_us=ANCHOR_US).truth.campaigns()}
    new_messages = {m["id"] for cid in new_ids for m in emu.truth.campaign_messages()[cid]}
    emu.grow(new_events=4000, new_profiles=5, now_us=t1 + 3 * DAY_US)
    events = emu.truth.events()
    named = {e["attributes"]["event_properties"].get("$message") for e in events}
    assert new_messages & named
    by_id = {e["id"]: e for e in events}
    assert all(by_id[e["id"]] == e for e in old)
    new_attributions = set(emu.truth.attributions()) - {e["id"] for e in old}
    assert new_attributions  # new orders are credited at creation too
