"""Campaigns, flows, Klaviyo's attribution and the performance marts on DuckDB and PostgreSQL.

Two accounts (colliding ids) with campaigns, messages, flows, actions, flow messages, engagement
events naming their message (`$message`, `$flow`), orders and attributions are loaded and built; a
build without new rows changes nothing; the second load brings new engagement and orders, late credit
for an order of the first load, a re-read order with a new value, an edited campaign, a new message, a
new flow version and deleted objects; the incremental build must then equal the ground truth exactly,
and a full refresh must equal the incremental result. The builds pass the per-table vars the way the
loader's after-load build does (OBJECT_VARS: table -> var, true when the raw table exists).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import pytest

from loader.transform import DbtBuildSummary, dbt_build
from tests.dbt.expected_marketing import MARKETING_KEYS, expected_marketing_marts
from tests.dbt.marketing_seed import MARKETING_VARS, MarketingData
from tests.dbt.raw_seed import ACCOUNT_IDS
from tests.dbt.warehouse_rows import column_names, fetch_rows
from tests.dbt.warehouses import Warehouse, duckdb_warehouse, postgres_warehouse

pytestmark = [pytest.mark.dbt]
A, B = ACCOUNT_IDS
KEYS = {**MARKETING_KEYS, "klaviyo_event": ("account_id", "event_id")}
CONTRACT = {
    "klaviyo_campaign": [
        "account_id",
        "campaign_id",
        "campaign_name",
        "status",
        "channel",
        "is_archived",
        "send_time",
        "scheduled_at",
        "created_at",
        "updated_at",
        "audiences",
        "is_deleted",
    ],
    "klaviyo_campaign_message": [
        "account_id",
        "campaign_message_id",
        "campaign_id",
        "channel",
        "label",
        "subject",
        "preview_text",
        "from_email",
        "from_label",
        "send_time",
        "created_at",
        "updated_at",
        "definition",
    ],
    "klaviyo_flow": [
        "account_id",
        "flow_id",
        "flow_name",
        "status",
        "is_archived",
        "trigger_type",
        "created_at",
        "updated_at",
        "is_deleted",
    ],
    "klaviyo_flow_action": [
        "account_id",
        "flow_action_id",
        "flow_id",
        "action_type",
        "action_status",
        "created_at",
        "updated_at",
        "definition",
    ],
    "klaviyo_flow_message": [
        "account_id",
        "flow_message_id",
        "flow_action_id",
        "flow_id",
        "channel",
        "message_name",
        "subject",
        "created_at",
        "updated_at",
        "definition",
    ],
    "klaviyo_event_attribution": [
        "account_id",
        "event_id",
        "attribution_id",
        "attributed_event_id",
        "campaign_id",
        "campaign_message_id",
        "flow_id",
        "flow_message_id",
        "flow_message_variation_id",
        "_loaded_at",
    ],
}
MEASURES = [
    "recipients",
    "opens",
    "unique_opens",
    "clicks",
    "unique_clicks",
    "bounces",
    "unsubscribes",
    "spam_complaints",
    "conversions",
    "unique_converters",
    "attributed_revenue",
    "first_send_at",
    "last_event_at",
    "_loaded_at",
]
CONTRACT["klaviyo_campaign_performance"] = [
    "account_id",
    "campaign_id",
    "campaign_message_id",
    "channel",
    *MEASURES,
]
CONTRACT["klaviyo_flow_performance"] = ["account_id", "flow_id", "flow_message_id", "channel", *MEASURES]
# the core package's 9, 7 staging views, 8 marts and int_klaviyo__message_engagement; the first load has
# no `deletions` table yet (no reconcile found anything gone), so its staging view is left out until the
# second
MODELS = {"first": 9 + 6 + 9, "noop": 9 + 6 + 9, "second": 9 + 7 + 9, "full_refresh": 9 + 7 + 9}


@dataclass
class MarketingRun:
    warehouse: Warehouse
    data: MarketingData
    expected: dict[str, dict[str, dict[Any, dict[str, Any]]]] = field(default_factory=dict)
    builds: dict[str, DbtBuildSummary] = field(default_factory=dict)
    snapshots: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)


def _expected(data: MarketingData) -> dict[str, dict[Any, dict[str, Any]]]:
    return copy.deepcopy(expected_marketing_marts(data))


def _snapshot(warehouse: Warehouse) -> dict[str, list[dict[str, Any]]]:
    with warehouse.connect() as connection:
        return {
            mart: fetch_rows(connection, f"select * from klaviyo.{mart} order by {', '.join(key)}")
            for mart, key in KEYS.items()
        }


def run_marketing(warehouse: Warehouse) -> MarketingRun:
    run = MarketingRun(warehouse, MarketingData.initial())
    # what the loader's after-load build passes once lead wires these tables into OBJECT_VARS
    with mock.patch.dict(dbt_build.OBJECT_VARS, MARKETING_VARS):
        warehouse.load(run.data.everything())
        run.expected["first"] = _expected(run.data)
        run.builds["first"] = warehouse.build()
        run.snapshots["first"] = _snapshot(warehouse)
        run.builds["noop"] = warehouse.build()
        run.snapshots["noop"] = _snapshot(warehouse)
        warehouse.load(run.data.grow())
        run.expected["second"] = _expected(run.data)
        run.builds["second"] = warehouse.build()
        run.snapshots["second"] = _snapshot(warehouse)
        run.builds["full_refresh"] = warehouse.build(full_refresh=True)
        run.snapshots["full_refresh"] = _snapshot(warehouse)
    return run


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def marketing(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MarketingRun]:
    root = tmp_path_factory.mktemp(f"dbt-marketing-{request.param}")
    if request.param == "duckdb":
        warehouse = duckdb_warehouse(root)
    else:
        server = request.getfixturevalue("postgres_server")
        warehouse = postgres_warehouse(root, server.dsn(server.create_database()))
    yield run_marketing(warehouse)


def _key(row: dict[str, Any], key: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(row[k] for k in key)


def _assert_matches(
    snapshot: dict[str, list[dict[str, Any]]], expected: dict[str, dict[Any, dict[str, Any]]]
) -> None:
    for mart, key in KEYS.items():
        ids = [_key(row, key) for row in snapshot[mart]]
        assert len(ids) == len(set(ids)), f"{mart}: duplicate {key}s"
        assert set(ids) == set(expected[mart]), mart
        for row in snapshot[mart]:
            actual = {k: v for k, v in row.items() if k != "_loaded_at"}
            assert actual == expected[mart][_key(row, key)], f"{mart} {_key(row, key)}"


def test_every_build_runs_every_model_and_test(marketing: MarketingRun) -> None:
    for step, summary in marketing.builds.items():
        assert summary.success, (step, summary.failures)
        assert (summary.models_built, summary.models_failed, summary.tests_failed) == (MODELS[step], 0, 0), (
            step
        )
        assert summary.tests_passed >= 100 and summary.tests_errored == 0, step


def test_marts_have_exactly_the_contract_columns(marketing: MarketingRun) -> None:
    with marketing.warehouse.connect() as connection:
        for mart, columns in CONTRACT.items():
            assert column_names(connection, "klaviyo", mart) == columns, mart


def test_first_build_matches_the_ground_truth(marketing: MarketingRun) -> None:
    _assert_matches(marketing.snapshots["first"], marketing.expected["first"])


def test_a_build_without_new_rows_changes_nothing(marketing: MarketingRun) -> None:
    assert marketing.snapshots["noop"] == marketing.snapshots["first"]


def test_incremental_build_after_late_credit_and_new_events_is_exact(marketing: MarketingRun) -> None:
    _assert_matches(marketing.snapshots["second"], marketing.expected["second"])


def test_full_refresh_equals_the_incremental_build(marketing: MarketingRun) -> None:
    def without_loaded_at(snapshot: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        return {
            mart: [{k: v for k, v in row.items() if k != "_loaded_at"} for row in rows]
            for mart, rows in snapshot.items()
        }

    assert without_loaded_at(marketing.snapshots["full_refresh"]) == without_loaded_at(
        marketing.snapshots["second"]
    )
    # the cursors too, except the performance rows' (the newest load among their inputs, the same)
    assert marketing.snapshots["full_refresh"] == marketing.snapshots["second"]


def test_late_credit_rewrites_the_old_order_and_the_message_counts(marketing: MarketingRun) -> None:
    first, second = marketing.snapshots["first"], marketing.snapshots["second"]
    late = marketing.data.accounts[0].late_order["id"]  # type: ignore[attr-defined]
    events = {
        s: {(r["account_id"], r["event_id"]): r for r in snap["klaviyo_event"]}
        for s, snap in (("first", first), ("second", second))
    }
    assert events["first"][(A, late)]["attributed_campaign_message_id"] is None
    assert events["second"][(A, late)]["attributed_campaign_message_id"] == "CM2"
    assert events["second"][(A, late)]["attributed_campaign_id"] == "C1"
    # the order was not re-read: it keeps its own load time
    assert events["second"][(A, late)]["_loaded_at"] == events["first"][(A, late)]["_loaded_at"]
    perf = {
        s: {(r["account_id"], r["campaign_message_id"]): r for r in snap["klaviyo_campaign_performance"]}
        for s, snap in (("first", first), ("second", second))
    }
    assert perf["second"][(A, "CM2")]["conversions"] == perf["first"][(A, "CM2")]["conversions"] + 1
    assert (
        perf["second"][(A, "CM2")]["attributed_revenue"]
        == perf["first"][(A, "CM2")]["attributed_revenue"] + 99
    )
    # CM1's order was read again with a new value (120 -> 150): its revenue follows
    assert (
        perf["second"][(A, "CM1")]["attributed_revenue"]
        == perf["first"][(A, "CM1")]["attributed_revenue"] + 30
    )
    # an order credited to a flow message and a campaign message counts for both
    flows = {(r["account_id"], r["flow_message_id"]): r for r in second["klaviyo_flow_performance"]}
    assert flows[(A, "FM1")]["conversions"] == 2 and flows[(B, "FM1")]["conversions"] == 2


def test_only_touched_messages_are_rewritten(marketing: MarketingRun) -> None:
    first, second = marketing.snapshots["first"], marketing.snapshots["second"]
    loaded = {
        (r["account_id"], r["campaign_message_id"]): r["_loaded_at"]
        for r in first["klaviyo_campaign_performance"]
    }
    after = {
        (r["account_id"], r["campaign_message_id"]): r["_loaded_at"]
        for r in second["klaviyo_campaign_performance"]
    }
    load_1 = max(loaded.values())
    # CM4 (archived campaign, deleted later) got nothing new: its row is the first build's
    assert after[(A, "CM4")] == loaded[(A, "CM4")] <= load_1
    for key in [(A, "CM1"), (A, "CM2"), (A, "CM3"), (A, "CM5")]:
        assert after[key] > load_1, key


def test_deletions_and_accounts(marketing: MarketingRun) -> None:
    second = marketing.snapshots["second"]
    campaigns = {(r["account_id"], r["campaign_id"]): r for r in second["klaviyo_campaign"]}
    flows = {(r["account_id"], r["flow_id"]): r for r in second["klaviyo_flow"]}
    assert campaigns[(A, "C3")]["is_deleted"] is True and campaigns[(A, "C1")]["is_deleted"] is False
    assert flows[(A, "F3")]["is_deleted"] is True and flows[(B, "F1")]["is_deleted"] is False
    assert campaigns[(A, "C1")]["campaign_name"] == "Spring sale (edited)"
    assert campaigns[(B, "C1")]["campaign_name"] == "Spring sale (B, edited)"
    assert campaigns[(A, "C2")]["channel"] == "sms" and campaigns[(A, "C1")]["channel"] == "email"
    first_flows = {(r["account_id"], r["flow_id"]): r for r in marketing.snapshots["first"]["klaviyo_flow"]}
    assert first_flows[(A, "F3")]["is_deleted"] is False
