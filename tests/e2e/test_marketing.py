"""Campaigns, flows and Klaviyo's attribution end to end: emulator -> loader -> warehouse -> dbt, on
DuckDB and PostgreSQL, after a historical and two periodic runs (new, edited, archived and deleted
campaigns, a new flow version, a deleted flow, late credit, new engagement). Every mart row of the
marketing objects and every performance figure is recomputed here from the emulator's truth."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from loader.sync_settings import SyncSettings
from loader.transform.after_load import build_after_load
from tests.fixtures.emulator import RunningEmulator
from tests.fixtures.expected_raw import assert_same
from tests.fixtures.warehouse import Warehouse

pytestmark = [pytest.mark.integration, pytest.mark.dbt]

MEASURES = {
    "recipients": ("Received Email", "Received SMS"),
    "opens": ("Opened Email",),
    "clicks": ("Clicked Email", "Clicked SMS"),
    "bounces": ("Bounced Email",),
    "unsubscribes": ("Unsubscribed", "Unsubscribed from SMS"),
    "spam_complaints": ("Marked Email as Spam",),
}
CONVERSION = "Placed Order"
FIGURES = ("recipients", "opens", "unique_opens", "clicks", "unique_clicks", "bounces", "unsubscribes",
           "spam_complaints", "conversions", "unique_converters", "attributed_revenue")


def _rel(resource: dict[str, Any], name: str) -> str | None:
    data = (resource.get("relationships", {}).get(name) or {}).get("data")
    return data["id"] if data else None


@dataclass
class Seen:
    """Everything the warehouse has been sent so far: the loader upserts, never forgets a row."""

    campaigns: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)  # campaign message id -> campaign id
    flows: dict[str, dict[str, Any]] = field(default_factory=dict)
    actions: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (flow id, action type)
    flow_messages: dict[str, str] = field(default_factory=dict)  # flow message id -> flow action id

    def add(self, emulator: RunningEmulator) -> None:
        truth = emulator.emulator.truth
        self.campaigns.update({c["id"]: c for c in truth.campaigns()})
        for campaign_id, messages in truth.campaign_messages().items():
            self.messages.update({m["id"]: campaign_id for m in messages})
        self.flows.update({f["id"]: f for f in truth.flows()})
        for flow_id, actions in truth.flow_actions().items():
            self.actions.update({a["id"]: (flow_id, a["attributes"]["definition"]["type"]) for a in actions})
        for action_id, messages in truth.flow_messages().items():
            self.flow_messages.update({m["id"]: action_id for m in messages})


def _sync_and_build(warehouse: Warehouse, root: Path, **flags: Any) -> datetime:
    """One run and the dbt build after it; returns the run's start (what the warehouse is complete to)."""
    settings = SyncSettings.resolve(pipelines_dir=warehouse.pipelines_dir, destination=warehouse.name,
                                    **flags)
    result = warehouse.sync(**flags)
    assert not result.failed, result.failed
    build_after_load(settings, work_dir=root / "dbt", echo=lambda line: None)
    return result.run_start


def _mart(warehouse: Warehouse, table: str, columns: str) -> list[tuple[Any, ...]]:
    with warehouse.pipeline().sql_client() as client:
        return [tuple(row) for row in client.execute_sql(f"SELECT {columns} FROM klaviyo.{table}")]


def _by_key(rows: list[tuple[Any, ...]], what: str) -> dict[str, tuple[Any, ...]]:
    keyed = {row[0]: row[1:] for row in rows}
    assert len(keyed) == len(rows), f"{what}: duplicate keys"
    return keyed


def _performance(emulator: RunningEmulator, until: datetime) -> dict[str, dict[str, Any]]:
    """Per message id (campaign or flow message): the figures, from the truth's events (those the run
    could read: before its start) and Klaviyo's credit."""
    truth = emulator.emulator.truth
    metric_names = {m["id"]: m["attributes"]["name"] for m in truth.metrics()}
    events = truth.events(until=until)
    by_id = {e["id"]: e for e in events}
    counts: dict[str, dict[str, Any]] = defaultdict(lambda: {name: 0 for name in FIGURES})
    openers: dict[str, set[str]] = defaultdict(set)
    clickers: dict[str, set[str]] = defaultdict(set)
    for event in events:
        message = event["attributes"]["event_properties"].get("$message")
        metric = metric_names[_rel(event, "metric") or ""]
        if message is None:
            continue
        for measure, metrics in MEASURES.items():
            if metric in metrics:
                counts[message][measure] += 1
        if metric in MEASURES["opens"]:
            openers[message].add(_rel(event, "profile") or "")
        if metric in MEASURES["clicks"]:
            clickers[message].add(_rel(event, "profile") or "")
    converted: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for event_id, attributions in truth.attributions().items():
        order = by_id.get(event_id)
        if order is None or metric_names[_rel(order, "metric") or ""] != CONVERSION:
            continue
        for attribution in attributions:
            for relation in ("campaign-message", "flow-message"):
                message = _rel(attribution, relation)
                if message is not None:
                    converted[message][event_id] = order
    for message, orders in converted.items():
        counts[message]["conversions"] = len(orders)
        counts[message]["unique_converters"] = len({_rel(o, "profile") for o in orders.values()})
        values = (o["attributes"]["event_properties"].get("$value") or 0 for o in orders.values())
        revenue = sum(Decimal(str(value)) for value in values)
        counts[message]["attributed_revenue"] = round(revenue, 2)
    for message in counts:
        counts[message]["unique_opens"] = len(openers[message])
        counts[message]["unique_clicks"] = len(clickers[message])
    return counts


def _check_objects(warehouse: Warehouse, emulator: RunningEmulator, seen: Seen) -> None:
    truth = emulator.emulator.truth
    deleted_campaigns, deleted_flows = truth.deleted_campaign_ids(), truth.deleted_flow_ids()
    expected_campaigns = {
        cid: (c["attributes"]["name"], c["attributes"]["status"], bool(c["attributes"]["archived"]),
              cid in deleted_campaigns)
        for cid, c in seen.campaigns.items()
    }
    loaded = _mart(warehouse, "klaviyo_campaign",
                   "campaign_id, campaign_name, status, is_archived, is_deleted")
    assert_same(_by_key([(r[0], r[1], r[2], bool(r[3]), bool(r[4])) for r in loaded], "campaigns"),
                expected_campaigns, "klaviyo_campaign")
    assert_same(_by_key(_mart(warehouse, "klaviyo_campaign_message", "campaign_message_id, campaign_id"),
                        "campaign messages"),
                {mid: (cid,) for mid, cid in seen.messages.items()}, "klaviyo_campaign_message")
    expected_flows = {
        fid: (f["attributes"]["name"], f["attributes"]["status"], bool(f["attributes"]["archived"]),
              f["attributes"]["trigger_type"], fid in deleted_flows)
        for fid, f in seen.flows.items()
    }
    loaded = _mart(warehouse, "klaviyo_flow",
                   "flow_id, flow_name, status, is_archived, trigger_type, is_deleted")
    assert_same(_by_key([(*r[:3], bool(r[3]), r[4], bool(r[5])) for r in loaded], "flows"),
                expected_flows, "klaviyo_flow")
    assert_same(_by_key(_mart(warehouse, "klaviyo_flow_action", "flow_action_id, flow_id, action_type"),
                        "flow actions"), seen.actions, "klaviyo_flow_action")
    assert_same(_by_key(_mart(warehouse, "klaviyo_flow_message", "flow_message_id, flow_action_id"),
                        "flow messages"),
                {mid: (aid,) for mid, aid in seen.flow_messages.items()}, "klaviyo_flow_message")


def _check_attribution(warehouse: Warehouse, emulator: RunningEmulator) -> None:
    expected = {}
    for event_id, attributions in emulator.emulator.truth.attributions().items():
        for a in attributions:
            expected[(event_id, a["id"])] = tuple(_rel(a, name) for name in (
                "attributed-event", "campaign", "campaign-message", "flow", "flow-message"))
    rows = _mart(warehouse, "klaviyo_event_attribution",
                 "event_id, attribution_id, attributed_event_id, campaign_id, campaign_message_id, flow_id, "
                 "flow_message_id")
    assert_same({(r[0], r[1]): r[2:] for r in rows}, expected, "klaviyo_event_attribution")
    credited = {event_id: (a[0]["relationships"]) for event_id, a in
                emulator.emulator.truth.attributions().items() if len(a) == 1}
    events = {r[0]: r[1:] for r in _mart(
        warehouse, "klaviyo_event",
        "event_id, attributed_campaign_message_id, attributed_flow_message_id")}
    for event_id, relationships in credited.items():
        campaign_message = (relationships["campaign-message"]["data"] or {}).get("id")
        flow_message = (relationships["flow-message"]["data"] or {}).get("id")
        assert events[event_id] == (campaign_message, flow_message), event_id


def _check_performance(warehouse: Warehouse, emulator: RunningEmulator, seen: Seen, until: datetime) -> None:
    figures = _performance(emulator, until)
    columns = ", ".join(FIGURES)

    def expected_for(ids: dict[str, str]) -> dict[str, tuple[Any, ...]]:
        zero = {name: 0 for name in FIGURES}
        return {mid: tuple(figures.get(mid, zero)[name] for name in FIGURES) for mid in ids}

    def loaded(table: str, key: str) -> dict[str, tuple[Any, ...]]:
        rows = _mart(warehouse, table, f"{key}, {columns}")
        return _by_key([(*r[:-1], round(Decimal(str(r[-1] or 0)), 2)) for r in rows], table)

    campaign_rows = loaded("klaviyo_campaign_performance", "campaign_message_id")
    assert_same(campaign_rows, expected_for(seen.messages), "klaviyo_campaign_performance")
    flow_rows = loaded("klaviyo_flow_performance", "flow_message_id")
    assert_same(flow_rows, expected_for(seen.flow_messages), "klaviyo_flow_performance")
    # the proof must not be vacuous: engagement, conversions and revenue are there to be counted
    totals = [sum(row[FIGURES.index(name)] for row in (*campaign_rows.values(), *flow_rows.values()))
              for name in ("recipients", "conversions", "attributed_revenue")]
    assert all(total > 0 for total in totals), totals


def _check(warehouse: Warehouse, emulator: RunningEmulator, seen: Seen, until: datetime) -> None:
    seen.add(emulator)
    _check_objects(warehouse, emulator, seen)
    _check_attribution(warehouse, emulator)
    _check_performance(warehouse, emulator, seen, until)


def _grow_with_late_credit(emulator: RunningEmulator, late: int, **growth: int) -> None:
    """Grow the data, checking that `late` events already synced gained credit (so the late-credit
    part of the proof is not vacuous)."""
    truth = emulator.emulator.truth
    synced = {event["id"] for event in truth.events()}
    credited = set(truth.attributions())
    emulator.emulator.grow(late_attributions=late, **growth)
    assert len((set(truth.attributions()) & synced) - credited) == late, "late credit on synced orders"


def test_marketing_marts_equal_the_truth_after_growth(
    warehouse: Warehouse, make_emulator: Any, tmp_path: Path
) -> None:
    emulator = make_emulator(history_days=30)  # events dense enough that orders 1-6 days old exist
    seen = Seen()
    _check(warehouse, emulator, seen, _sync_and_build(warehouse, tmp_path, history="all"))

    _grow_with_late_credit(emulator, 4, new_events=400, new_campaigns=2, edited_campaigns=2,
                           archived_campaigns=1, edited_flows=1, deleted_flows=1)
    assert emulator.emulator.truth.deleted_flow_ids()
    # --reconcile also lists every campaign and flow id, so the deleted flow is found in this run
    _check(warehouse, emulator, seen, _sync_and_build(warehouse, tmp_path, reconcile="7d"))

    _grow_with_late_credit(emulator, 3, new_events=300, new_campaigns=1, deleted_campaigns=1)
    _check(warehouse, emulator, seen, _sync_and_build(warehouse, tmp_path, reconcile="7d"))
    assert any(row[-1] for row in _mart(warehouse, "klaviyo_campaign", "campaign_id, is_deleted"))
