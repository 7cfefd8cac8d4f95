"""The marts on DuckDB and PostgreSQL, row by row against the ground truth, across incremental builds."""

from __future__ import annotations

import json
from datetime import timezone
from typing import Any

import pytest

from tests.dbt.conftest import TAMPERED, Scenario
from tests.dbt.expected_marts import account_rows, event_rows, metric_rows, profile_rows
from tests.dbt.raw_seed import ACCOUNT_IDS
from tests.dbt.warehouse_rows import MART_KEYS, column_names

pytestmark = [pytest.mark.dbt]

A, B = ACCOUNT_IDS
CONTRACT = {
    "klaviyo_account": ["account_id", "account_name", "timezone", "preferred_currency", "industry",
                        "is_test_account", "_loaded_at"],
    "klaviyo_metric": ["account_id", "metric_id", "metric_name", "integration_name", "integration_category",
                       "integration", "created_at", "updated_at"],
    "klaviyo_profile": ["account_id", "profile_id", "email", "phone_number", "external_id", "first_name",
                        "last_name", "organization", "locale", "title", "image", "created_at", "updated_at",
                        "last_event_at", "city", "region", "country", "zip", "timezone", "location",
                        "properties", "subscriptions", "predictive_analytics", "_loaded_at",
                        "can_receive_email_marketing", "can_receive_sms_marketing",
                        "email_suppression_reason", "email_suppressed_at", "is_deleted"],
    "klaviyo_event": ["account_id", "event_id", "metric_id", "metric_name", "integration_name",
                      "integration_category", "profile_id", "occurred_at", "event_timestamp", "uuid", "value",
                      "event_properties", "_loaded_at", "attributed_campaign_id",
                      "attributed_campaign_message_id", "attributed_flow_id", "attributed_flow_message_id"],
}
KEYS = MART_KEYS


def _expected(scenario: Scenario) -> dict[str, dict[Any, dict[str, Any]]]:
    data = scenario.data
    metrics = list(data.metrics.values())
    return {
        "klaviyo_account": account_rows([a.account for a in data.accounts]),
        "klaviyo_metric": metric_rows(metrics),
        "klaviyo_profile": profile_rows(list(data.profiles.values())),
        "klaviyo_event": event_rows(list(data.events.values()), metrics),
    }


def _without_loaded_at(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "_loaded_at"}


def _key(row: dict[str, Any], key: tuple[str, ...]) -> Any:
    return row[key[0]] if len(key) == 1 else tuple(row[k] for k in key)


def _assert_rows_match(actual: list[dict[str, Any]], expected: dict[Any, dict[str, Any]],
                       key: tuple[str, ...]) -> None:
    ids = [_key(row, key) for row in actual]
    assert len(ids) == len(set(ids)), f"duplicate {key}s: {sorted(i for i in ids if ids.count(i) > 1)}"
    assert set(ids) == set(expected)
    for row in actual:
        assert _without_loaded_at(row) == expected[_key(row, key)], f"{key}={_key(row, key)}"


def test_first_build_matches_the_ground_truth_row_by_row(scenario: Scenario) -> None:
    first = scenario.snapshots["first"]
    initial = scenario.initial
    expected = {
        "klaviyo_account": account_rows(initial["accounts"]),
        "klaviyo_metric": metric_rows(initial["metrics"]),
        "klaviyo_profile": profile_rows(initial["profiles"]),
        "klaviyo_event": event_rows(initial["events"], initial["metrics"]),
    }
    for mart, key in KEYS.items():
        _assert_rows_match(first[mart], expected[mart], key)


def test_colliding_ids_stay_apart_per_account(scenario: Scenario) -> None:
    first = scenario.snapshots["first"]
    by_account: dict[str, dict[str, set[str]]] = {}
    for mart, (_, id_column) in [(m, k) for m, k in KEYS.items() if len(k) == 2]:
        for row in first[mart]:
            by_account.setdefault(mart, {}).setdefault(row["account_id"], set()).add(row[id_column])
    for mart, ids in by_account.items():  # every id of the second account is also an id of the first
        assert set(ids) == {A, B} and ids[B] <= ids[A], mart
    events = {(r["account_id"], r["event_id"]): r for r in first["klaviyo_event"]}
    metrics = {(r["account_id"], r["metric_id"]): r for r in first["klaviyo_metric"]}
    assert events[(A, "E000000")]["metric_id"] != events[(B, "E000000")]["metric_id"]
    assert metrics[(A, "M00000")]["metric_name"] != metrics[(B, "M00000")]["metric_name"]
    for (account_id, _), event in events.items():  # each event has its own account's metric
        assert event["metric_name"] == metrics[(account_id, event["metric_id"])]["metric_name"]
    accounts = {r["account_id"]: r for r in first["klaviyo_account"]}
    assert accounts[A]["is_test_account"] is False and accounts[B]["is_test_account"] is True
    assert accounts[B]["account_name"] == "Zoë & Figli S.r.l." and accounts[B]["industry"] is None


def test_edge_cases_are_converted(scenario: Scenario) -> None:
    first = scenario.snapshots["first"]["klaviyo_event"]
    events = {row["event_id"]: row for row in first if row["account_id"] == A}
    # E000001 is dated with a +02:00 offset, E000002 with -05:30: occurred_at is the UTC instant
    for event_id in ("E000001", "E000002"):
        raw = scenario.data.events[(A, event_id)]["attributes"]
        assert not raw["datetime"].endswith("+00:00")
        assert events[event_id]["occurred_at"].replace(tzinfo=timezone.utc).timestamp() == raw["timestamp"]
    values = {events[i]["event_properties"].get("$value"): events[i]["value"] for i in ("E000000", "E000001",
                                                                                        "E000002", "E000005")}
    assert values == {19.99: 19.99, "12.50": 12.5, "n/a": None, -5.25: -5.25}
    assert events["E000003"]["value"] is None and "$value" not in events["E000003"]["event_properties"]
    assert events["E000004"]["profile_id"] is None


def test_marts_have_exactly_the_contract_columns(scenario: Scenario) -> None:
    with scenario.warehouse.connect() as connection:
        for mart, columns in CONTRACT.items():
            assert column_names(connection, "klaviyo", mart) == columns


def test_a_build_without_new_raw_rows_changes_nothing(scenario: Scenario) -> None:
    assert scenario.snapshots["noop"] == scenario.snapshots["first"]


def test_second_load_merges_new_late_future_and_updated_rows_without_duplicates(scenario: Scenario) -> None:
    second = scenario.snapshots["second"]
    expected = _expected(scenario)
    for mart, (_key, value, column, text) in TAMPERED.items():  # not re-read: left as it was
        expected[mart][value] = {**expected[mart][value], column: text}
    for mart, key in KEYS.items():
        _assert_rows_match(second[mart], expected[mart], key)
    growth_events = {(e["account_id"], e["id"]) for e in scenario.growth["events"]}
    growth_profiles = {(p["account_id"], p["id"]) for p in scenario.growth["profiles"]}
    first_loaded = {(r["account_id"], r["event_id"]): r["_loaded_at"]
                    for r in scenario.snapshots["first"]["klaviyo_event"]}
    for row in second["klaviyo_event"]:
        key = (row["account_id"], row["event_id"])
        if key in growth_events:  # new, late, future and re-read events: rewritten
            assert row["_loaded_at"] > max(first_loaded.values())
        else:  # untouched by the incremental build
            assert row["_loaded_at"] == first_loaded[key]
    profiles = {(r["account_id"], r["profile_id"]): r for r in second["klaviyo_profile"]}
    assert profiles[(A, "P00000")]["email"] == "person0.v1@example.com"
    assert profiles[(B, "P00000")]["email"] == "person0.v1@example.org"
    assert profiles[(A, "P00001")]["email"] == "person1.v1@example.com"
    assert profiles[(B, "P00001")]["email"] == "person1.v0@example.org"  # not updated in account B
    assert {p for p in profiles if profiles[p]["_loaded_at"] > max(first_loaded.values())} == growth_profiles


def test_full_refresh_rebuilds_every_row_from_raw(scenario: Scenario) -> None:
    full, expected = scenario.snapshots["full_refresh"], _expected(scenario)
    for mart, key in KEYS.items():
        _assert_rows_match(full[mart], expected[mart], key)
    second_loaded = {(r["account_id"], r["event_id"]): r["_loaded_at"]
                     for r in scenario.snapshots["second"]["klaviyo_event"]}
    assert {(r["account_id"], r["event_id"]): r["_loaded_at"] for r in full["klaviyo_event"]} == second_loaded


def test_every_build_passes_all_models_and_tests(scenario: Scenario) -> None:
    for step, summary in scenario.builds.items():
        assert summary.success, (step, summary.failures)
        assert (summary.models_built, summary.models_failed, summary.tests_failed) == (9, 0, 0), step
        assert summary.tests_passed >= 40 and summary.tests_errored == 0, step
        assert summary.log_file.is_file()


def test_source_freshness_reports_loads_fresh_and_stale_events(scenario: Scenario) -> None:
    # the load just finished; the newest past event of the first load is 9 hours old (warn after 2)
    assert scenario.freshness == {"_dlt_loads": "pass", "events": "warn"}


def test_docs_generate_catalogs_every_mart_column(scenario: Scenario) -> None:
    assert scenario.docs.success
    catalog = json.loads((scenario.warehouse.work_dir / "target" / "catalog.json").read_text())
    nodes = {node["metadata"]["name"]: node for node in catalog["nodes"].values()}
    for mart, columns in CONTRACT.items():
        assert sorted(c.lower() for c in nodes[mart]["columns"]) == sorted(columns)
    manifest = json.loads((scenario.warehouse.work_dir / "target" / "manifest.json").read_text())
    documented = {
        node["name"]: {name for name, column in node["columns"].items() if column["description"].strip()}
        for node in manifest["nodes"].values() if node["resource_type"] == "model"
    }
    assert len(documented) == 9
    for name, node in nodes.items():  # every column of every model is described in YAML
        if name in documented:
            assert {c.lower() for c in node["columns"]} <= documented[name], name
