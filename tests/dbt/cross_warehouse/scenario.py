"""Two loads and two `dbt build`s on an emulated warehouse, and the checks against the ground truth.

The same flow and checks as the DuckDB/PostgreSQL mart tests (tests/dbt/test_marts.py): seed load 1
-> build -> snapshot; seed load 2 (new, late, future, updated and re-read rows) -> incremental build
-> snapshot. The ground truth is computed in Python from the API resources (tests/dbt/expected_marts).
The raw data is two Klaviyo accounts whose ids collide (tests/dbt/raw_seed.TwoAccounts).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from loader.transform.dbt_invoke import DbtPaths, dbt_args, invoke_dbt
from loader.transform.dbt_project import find_dbt_project, profiles_dir
from tests.dbt.expected_marketing import MARKETING_KEYS, expected_marketing_marts
from tests.dbt.expected_marts import account_rows, event_rows, metric_rows, profile_rows
from tests.dbt.expected_membership import MEMBERSHIP_KEYS, expected_membership_marts
from tests.dbt.marketing_seed import MARKETING_VARS, MarketingData
from tests.dbt.membership_seed import MEMBERSHIP_VARS, MembershipData
from tests.dbt.raw_seed import ACCOUNT_IDS, TwoAccounts
from tests.dbt.warehouse_rows import MART_KEYS

Batch = dict[str, list[dict[str, Any]]]
Snapshot = dict[str, list[dict[str, Any]]]
KEYS = MART_KEYS  # mart -> its key columns


def order_by(mart: str) -> str:
    return ", ".join(KEYS[mart])
JSON_COLUMNS = {"integration", "location", "properties", "subscriptions", "predictive_analytics",
                "event_properties", "audiences", "definition"}


@dataclass
class TwoLoadRun:
    data: TwoAccounts
    initial: Batch = field(default_factory=dict)
    growth: Batch = field(default_factory=dict)
    builds: dict[str, Any] = field(default_factory=dict)
    snapshots: dict[str, Snapshot] = field(default_factory=dict)


def dbt_build(target: str, env: Mapping[str, str], work_dir: Path, variables: dict[str, Any] | None = None,
              full_refresh: bool = False) -> Any:
    """`dbt build` of the package in this process, with the committed env-var-only profiles.yml."""
    project = find_dbt_project()
    paths = DbtPaths(project, profiles_dir(project), work_dir / "target", work_dir / "logs")
    command = ["build", *(["--full-refresh"] if full_refresh else [])]
    return invoke_dbt(dbt_args(command, paths, target=target, variables=variables),
                      {"KLAVIYO_DBT_THREADS": "2", **env})


def run_two_loads(
    seed: Callable[[Batch, str, datetime], None],
    build: Callable[[], Any],
    read_marts: Callable[[], Snapshot],
) -> TwoLoadRun:
    data = TwoAccounts.initial()
    run = TwoLoadRun(data)
    run.initial = data.everything()
    seed(run.initial, "1000000001.000001", datetime.now(timezone.utc))
    run.builds["first"] = build()
    run.snapshots["first"] = read_marts()
    run.growth = data.grow()
    seed(run.growth, "1000000002.000002", datetime.now(timezone.utc))
    run.builds["second"] = build()
    run.snapshots["second"] = read_marts()
    return run


def normalise(row: Mapping[str, Any]) -> dict[str, Any]:
    """A mart row as the ground truth spells it: lower-case names, JSON parsed, naive UTC, floats."""
    out = {}
    for name, value in row.items():
        name = name.lower()
        if name in JSON_COLUMNS and isinstance(value, str):
            value = json.loads(value)
        elif isinstance(value, Decimal):
            value = float(value)
        elif isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        out[name] = value
    return out


def build_failures(result: Any) -> list[str]:
    """Every node of a dbtRunnerResult that did not succeed/pass, with its message."""
    if result.exception is not None:
        return [repr(result.exception)]
    bad = [f"{r.node.name}: {r.status}: {r.message}" for r in result.result
           if str(r.status) not in ("success", "pass")]
    return bad or ([] if result.success else ["dbt reported failure"])


def expected_marts(batch_or_data: Batch | TwoAccounts) -> dict[str, dict[Any, dict[str, Any]]]:
    batch = batch_or_data.everything() if isinstance(batch_or_data, TwoAccounts) else batch_or_data
    return {
        "klaviyo_account": account_rows(batch["accounts"]),
        "klaviyo_metric": metric_rows(batch["metrics"]),
        "klaviyo_profile": profile_rows(batch["profiles"]),
        "klaviyo_event": event_rows(batch["events"], batch["metrics"]),
    }


def _key(row: Mapping[str, Any], key: tuple[str, ...]) -> Any:
    return row[key[0]] if len(key) == 1 else tuple(row[k] for k in key)


def assert_marts_match(snapshot: Snapshot, expected: dict[str, dict[Any, dict[str, Any]]]) -> None:
    for mart, key in KEYS.items():
        ids = [_key(row, key) for row in snapshot[mart]]
        assert len(ids) == len(set(ids)), f"{mart}: duplicate {key}s"
        assert set(ids) == set(expected[mart]), mart
        for row, row_key in zip(snapshot[mart], ids, strict=True):
            actual = {k: v for k, v in row.items() if k != "_loaded_at"}
            if isinstance(actual.get("is_test_account"), int):  # bit/number where there is no boolean
                actual["is_test_account"] = bool(actual["is_test_account"])
            assert actual == expected[mart][row_key], f"{mart} {key}={row_key}"


def assert_incremental(run: TwoLoadRun) -> None:
    """Only rows of the second load were rewritten by the second build; the rest kept load 1's time."""
    first = {(r["account_id"], r["event_id"]): r["_loaded_at"]
             for r in run.snapshots["first"]["klaviyo_event"]}
    load_1 = max(first.values())
    grown = {(e["account_id"], e["id"]) for e in run.growth["events"]}
    for row in run.snapshots["second"]["klaviyo_event"]:
        key = (row["account_id"], row["event_id"])
        if key in grown:
            assert row["_loaded_at"] > load_1, key
        else:
            assert row["_loaded_at"] == first[key], key
    profiles = run.snapshots["second"]["klaviyo_profile"]
    assert {(p["account_id"], p["profile_id"]) for p in profiles if p["_loaded_at"] > load_1} == {
        (p["account_id"], p["id"]) for p in run.growth["profiles"]
    }


def assert_edge_cases(run: TwoLoadRun) -> None:
    """Offsets other than UTC, `$value` as number / numeric text / junk / missing, no profile (account 1);
    the same ids in account 2 with that account's own contents and metrics."""
    first_account, second_account = ACCOUNT_IDS
    events = {r["event_id"]: r for r in run.snapshots["first"]["klaviyo_event"]
              if r["account_id"] == first_account}
    raw = run.data.accounts[0].events
    for event_id in ("E000001", "E000002"):  # +02:00 and -05:30 in the raw data
        assert not raw[event_id]["attributes"]["datetime"].endswith("+00:00")
        occurred_at = events[event_id]["occurred_at"].replace(tzinfo=timezone.utc)
        assert occurred_at.timestamp() == raw[event_id]["attributes"]["timestamp"]
    values = [events[i]["value"] for i in ("E000000", "E000001", "E000002", "E000003")]
    assert values == [19.99, 12.5, None, None]
    assert events["E000004"]["profile_id"] is None
    others = {r["event_id"]: r for r in run.snapshots["first"]["klaviyo_event"]
              if r["account_id"] == second_account}
    assert set(others) < set(events)
    assert [others[i]["value"] for i in ("E000000", "E000001", "E000002")] == [12.5, None, None]
    assert others["E000000"]["metric_id"] != events["E000000"]["metric_id"]


class TwoLoadRunChecks:
    """The checks every warehouse's two-load run must pass; a test module subclasses this as
    `TestXxx` and provides a `two_load_run` fixture."""

    def test_both_builds_run_every_model_and_test(self, two_load_run: TwoLoadRun) -> None:
        for step, result in two_load_run.builds.items():
            assert build_failures(result) == [], step
            assert len([r for r in result.result if r.node.resource_type == "model"]) == 9, step

    def test_first_build_matches_the_ground_truth_row_by_row(self, two_load_run: TwoLoadRun) -> None:
        assert_marts_match(two_load_run.snapshots["first"], expected_marts(two_load_run.initial))

    def test_utc_value_and_profile_edge_cases(self, two_load_run: TwoLoadRun) -> None:
        assert_edge_cases(two_load_run)

    def test_second_load_is_merged_incrementally_without_duplicates(self, two_load_run: TwoLoadRun) -> None:
        assert_marts_match(two_load_run.snapshots["second"], expected_marts(two_load_run.data))
        assert_incremental(two_load_run)


# --- campaigns, flows, attribution and performance (tests/dbt/marketing_seed.py) -------------------------

MARKETING_MART_KEYS = {**MARKETING_KEYS, "klaviyo_event": ("account_id", "event_id")}
BOOLEAN_COLUMNS = {"is_archived", "is_deleted", "is_test_account"}


@dataclass
class MarketingRun:
    data: MarketingData
    expected: dict[str, dict[str, dict[Any, dict[str, Any]]]] = field(default_factory=dict)
    builds: dict[str, Any] = field(default_factory=dict)
    snapshots: dict[str, Snapshot] = field(default_factory=dict)


def marketing_variables() -> dict[str, Any]:
    """Every marketing table on, as the loader passes them when the raw tables exist."""
    return {name: True for name in MARKETING_VARS.values()}


def _marketing_expected(data: MarketingData) -> dict[str, dict[Any, dict[str, Any]]]:
    return copy.deepcopy(expected_marketing_marts(data))


def run_marketing_loads(
    seed: Callable[[Batch, str, datetime], None],
    build: Callable[[bool], Any],
    read_marts: Callable[[], Snapshot],
) -> MarketingRun:
    """Load 1 -> build; load 2 (late credit, new events, edits, deletions) -> incremental build ->
    full-refresh build; `build(full_refresh)`."""
    run = MarketingRun(MarketingData.initial())
    seed(run.data.everything(), "1000000001.000001", datetime.now(timezone.utc))
    run.expected["first"] = _marketing_expected(run.data)
    run.builds["first"] = build(False)
    run.snapshots["first"] = read_marts()
    seed(run.data.grow(), "1000000002.000002", datetime.now(timezone.utc))
    run.expected["second"] = _marketing_expected(run.data)
    run.builds["second"] = build(False)
    run.snapshots["second"] = read_marts()
    run.builds["full_refresh"] = build(True)
    run.snapshots["full_refresh"] = read_marts()
    return run


def _comparable(row: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k != "_loaded_at"}
    for name in BOOLEAN_COLUMNS & set(out):
        if isinstance(out[name], int):  # bit/number where there is no boolean
            out[name] = bool(out[name])
    return out


def assert_marketing_marts_match(snapshot: Snapshot, expected: dict[str, dict[Any, dict[str, Any]]]) -> None:
    for mart, key in MARKETING_MART_KEYS.items():
        ids = [tuple(row[k] for k in key) for row in snapshot[mart]]
        assert len(ids) == len(set(ids)), f"{mart}: duplicate {key}s"
        assert set(ids) == set(expected[mart]), mart
        for row, row_key in zip(snapshot[mart], ids, strict=True):
            actual = _comparable(row)
            wanted = expected[mart][row_key]
            differ = {k: (actual.get(k), wanted.get(k)) for k in set(actual) | set(wanted)
                      if k not in actual or k not in wanted or actual[k] != wanted[k]}
            assert not differ, f"{mart} {row_key}: (actual, expected) {differ}"


class MarketingRunChecks:
    """The campaign/flow/attribution checks every warehouse must pass (fixture `marketing_run`)."""

    def test_marketing_builds_run_every_model_and_test(self, marketing_run: MarketingRun) -> None:
        for step, result in marketing_run.builds.items():
            assert build_failures(result) == [], step
            models = [r for r in result.result if r.node.resource_type == "model"]
            assert len(models) == 9 + 7 + 8 + 1, step  # + int_klaviyo__message_engagement

    def test_marketing_first_build_matches_the_ground_truth(self, marketing_run: MarketingRun) -> None:
        assert_marketing_marts_match(marketing_run.snapshots["first"], marketing_run.expected["first"])

    def test_marketing_incremental_build_after_late_credit_is_exact(
        self, marketing_run: MarketingRun
    ) -> None:
        assert_marketing_marts_match(marketing_run.snapshots["second"], marketing_run.expected["second"])

    def test_marketing_full_refresh_equals_the_incremental_build(self, marketing_run: MarketingRun) -> None:
        run = marketing_run
        assert_marketing_marts_match(run.snapshots["full_refresh"], run.expected["second"])


# --- lists, segments, memberships, consent and deleted profiles (tests/dbt/membership_seed.py) ----------


@dataclass
class MembershipRun:
    data: MembershipData
    expected: dict[str, dict[str, dict[Any, dict[str, Any]]]] = field(default_factory=dict)
    builds: dict[str, Any] = field(default_factory=dict)
    snapshots: dict[str, Snapshot] = field(default_factory=dict)


def membership_variables() -> dict[str, Any]:
    """Every membership table and deletions on, the core package without events."""
    return {**{name: True for name in MEMBERSHIP_VARS.values()}, "klaviyo_events_enabled": False}


def run_membership_loads(
    seed: Callable[[Batch, str, datetime], None],
    build: Callable[[bool], Any],
    read_marts: Callable[[], Snapshot],
) -> MembershipRun:
    """Load 1 -> build; load 2 (a leave, joins, a suppression, deleted list, profiles and segment) ->
    incremental build (the deletions table is there from the start, empty until load 2)."""
    run = MembershipRun(MembershipData.initial())
    seed(run.data.everything(), "1000000001.000001", datetime.now(timezone.utc))
    run.expected["first"] = copy.deepcopy(expected_membership_marts(run.data))
    run.builds["first"] = build(False)
    run.snapshots["first"] = read_marts()
    seed(run.data.grow(), "1000000002.000002", datetime.now(timezone.utc))
    run.expected["second"] = copy.deepcopy(expected_membership_marts(run.data))
    run.builds["second"] = build(False)
    run.snapshots["second"] = read_marts()
    return run


def assert_membership_marts_match(snapshot: Snapshot, expected: dict[str, dict[Any, dict[str, Any]]]) -> None:
    for mart, key in MEMBERSHIP_KEYS.items():
        ids = [tuple(row[k] for k in key) for row in snapshot[mart]]
        assert len(ids) == len(set(ids)), f"{mart}: duplicate {key}s"
        assert set(ids) == set(expected[mart]), mart
        for row, row_key in zip(snapshot[mart], ids, strict=True):
            actual = _comparable(row)
            for name in ("can_receive_email_marketing", "can_receive_sms_marketing", "is_active"):
                if isinstance(actual.get(name), int):
                    actual[name] = bool(actual[name])
            wanted = expected[mart][row_key]
            differ = {k: (actual.get(k), wanted.get(k)) for k in set(actual) | set(wanted)
                      if k not in actual or k not in wanted or actual[k] != wanted[k]}
            assert not differ, f"{mart} {row_key}: (actual, expected) {differ}"


class MembershipRunChecks:
    """The list/segment/membership checks every warehouse must pass (fixture `membership_run`)."""

    def test_membership_builds_run_every_model_and_test(self, membership_run: MembershipRun) -> None:
        for step, result in membership_run.builds.items():
            assert build_failures(result) == [], step
            assert len([r for r in result.result if r.node.resource_type == "model"]) == 7 + 5 + 4, step

    def test_membership_first_build_matches_the_ground_truth(self, membership_run: MembershipRun) -> None:
        assert_membership_marts_match(membership_run.snapshots["first"], membership_run.expected["first"])

    def test_membership_incremental_build_after_leaves_and_deletions_is_exact(
        self, membership_run: MembershipRun
    ) -> None:
        assert_membership_marts_match(membership_run.snapshots["second"], membership_run.expected["second"])
