"""Lists, segments, current memberships and klaviyo_profile's consent, suppression and deletion
columns on DuckDB and PostgreSQL.

Two accounts (colliding ids) are loaded and built the way the loader's after-load build does (the
vars of the raw tables that exist: dbt_build.OBJECT_VARS); a build without new rows changes nothing;
the second load brings a leave, joins, a returning member, a new suppression, a deleted list, a
deleted and a merged-away profile (their member rows not written again) and a deleted segment. The
incremental build must then equal the ground truth exactly, and a full refresh the incremental build.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import tests.dbt.marketing_seed  # noqa: F401 - registers the raw `deletions` table with load_raw
from loader.transform import DbtBuildSummary
from tests.dbt.expected_membership import MEMBERSHIP_KEYS, expected_membership_marts
from tests.dbt.membership_seed import MembershipData
from tests.dbt.raw_seed import ACCOUNT_IDS
from tests.dbt.warehouse_rows import column_names, fetch_rows
from tests.dbt.warehouses import Warehouse, duckdb_warehouse, postgres_warehouse

pytestmark = [pytest.mark.dbt]
A, B = ACCOUNT_IDS
CONTRACT = {
    "klaviyo_list": [
        "account_id",
        "list_id",
        "list_name",
        "opt_in_process",
        "created_at",
        "updated_at",
        "is_deleted",
    ],
    "klaviyo_segment": [
        "account_id",
        "segment_id",
        "segment_name",
        "is_active",
        "definition",
        "created_at",
        "updated_at",
        "is_deleted",
    ],
    "klaviyo_list_membership": ["account_id", "list_id", "profile_id", "joined_at", "_loaded_at"],
    "klaviyo_segment_membership": ["account_id", "segment_id", "profile_id", "joined_at", "_loaded_at"],
}
PROFILE_COLUMNS = [
    "can_receive_email_marketing",
    "can_receive_sms_marketing",
    "email_suppression_reason",
    "email_suppressed_at",
    "is_deleted",
]
# the core package without events (7), 4 staging views and 4 marts; the deletions view once it exists
MODELS = {
    "first": 7 + 4 + 4,
    "noop": 7 + 4 + 4,
    "second": 7 + 5 + 4,
    "full_refresh": 7 + 5 + 4,
    "upgrade": 7 + 5 + 4,
}
Snapshot = dict[str, list[dict[str, Any]]]


@dataclass
class MembershipRun:
    warehouse: Warehouse
    data: MembershipData
    expected: dict[str, dict[str, dict[Any, dict[str, Any]]]] = field(default_factory=dict)
    builds: dict[str, DbtBuildSummary] = field(default_factory=dict)
    snapshots: dict[str, Snapshot] = field(default_factory=dict)


def _snapshot(warehouse: Warehouse) -> Snapshot:
    with warehouse.connect() as connection:
        return {
            mart: fetch_rows(connection, f"select * from klaviyo.{mart} order by {', '.join(key)}")
            for mart, key in MEMBERSHIP_KEYS.items()
        }


def run_membership(warehouse: Warehouse) -> MembershipRun:
    run = MembershipRun(warehouse, MembershipData.initial())
    warehouse.load(run.data.everything())
    run.expected["first"] = expected_membership_marts(run.data)
    run.builds["first"] = warehouse.build()
    run.snapshots["first"] = _snapshot(warehouse)
    run.builds["noop"] = warehouse.build()
    run.snapshots["noop"] = _snapshot(warehouse)
    warehouse.load(run.data.grow())
    run.expected["second"] = expected_membership_marts(run.data)
    run.builds["second"] = warehouse.build()
    run.snapshots["second"] = _snapshot(warehouse)
    run.builds["full_refresh"] = warehouse.build(full_refresh=True)
    run.snapshots["full_refresh"] = _snapshot(warehouse)
    if warehouse.name == "duckdb":  # a klaviyo_profile built before its new columns, upgraded in place
        with warehouse.connect() as connection:
            for column in PROFILE_COLUMNS:
                connection.execute(f"alter table klaviyo.klaviyo_profile drop column {column}")
        run.builds["upgrade"] = warehouse.build()
        run.snapshots["upgrade"] = _snapshot(warehouse)
    return run


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def membership(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MembershipRun]:
    root = tmp_path_factory.mktemp(f"dbt-membership-{request.param}")
    if request.param == "duckdb":
        warehouse = duckdb_warehouse(root)
    else:
        server = request.getfixturevalue("postgres_server")
        warehouse = postgres_warehouse(root, server.dsn(server.create_database()))
    yield run_membership(warehouse)


def _key(row: dict[str, Any], key: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(row[k] for k in key)


def _assert_matches(snapshot: Snapshot, expected: dict[str, dict[Any, dict[str, Any]]]) -> None:
    for mart, key in MEMBERSHIP_KEYS.items():
        ids = [_key(row, key) for row in snapshot[mart]]
        assert len(ids) == len(set(ids)), f"{mart}: duplicate {key}s"
        assert set(ids) == set(expected[mart]), mart
        for row in snapshot[mart]:
            actual = {k: v for k, v in row.items() if k != "_loaded_at"}
            assert actual == expected[mart][_key(row, key)], f"{mart} {_key(row, key)}"


def test_every_build_runs_every_model_and_test(membership: MembershipRun) -> None:
    for step, summary in membership.builds.items():
        assert summary.success, (step, summary.failures)
        assert (summary.models_built, summary.models_failed, summary.tests_failed) == (MODELS[step], 0, 0), (
            step
        )
        assert summary.tests_errored == 0 and not summary.warnings, (step, summary.warnings)


def test_marts_have_exactly_the_contract_columns(membership: MembershipRun) -> None:
    with membership.warehouse.connect() as connection:
        for mart, columns in CONTRACT.items():
            assert column_names(connection, "klaviyo", mart) == columns, mart
        assert column_names(connection, "klaviyo", "klaviyo_profile")[-5:] == PROFILE_COLUMNS


def test_first_build_matches_the_ground_truth(membership: MembershipRun) -> None:
    _assert_matches(membership.snapshots["first"], membership.expected["first"])


def test_a_build_without_new_rows_changes_nothing(membership: MembershipRun) -> None:
    assert membership.snapshots["noop"] == membership.snapshots["first"]


def test_incremental_build_after_leaves_joins_and_deletions_is_exact(membership: MembershipRun) -> None:
    _assert_matches(membership.snapshots["second"], membership.expected["second"])


def test_full_refresh_equals_the_incremental_build(membership: MembershipRun) -> None:
    assert membership.snapshots["full_refresh"] == membership.snapshots["second"]


def test_what_left_and_what_was_deleted(membership: MembershipRun) -> None:
    first, second = membership.snapshots["first"], membership.snapshots["second"]

    def members(snapshot: Snapshot, kind: str) -> set[tuple[str, str, str]]:
        return {
            (r["account_id"], r[f"{kind}_id"], r["profile_id"])
            for r in snapshot[f"klaviyo_{kind}_membership"]
        }

    lists = {(r["account_id"], r["list_id"]): r for r in second["klaviyo_list"]}
    profiles = {(r["account_id"], r["profile_id"]): r for r in second["klaviyo_profile"]}
    # the leave, the deleted list's members, the deleted and the merged profile's memberships are gone
    assert (A, "L1", "P00001") in members(first, "list") and (A, "L1", "P00001") not in members(
        second, "list"
    )
    assert {m for m in members(second, "list") if m[1] == "L2"} == set() and lists[(A, "L2")][
        "is_deleted"
    ] is True
    assert (A, "S2", "P00003") in members(first, "segment") and (A, "S2", "P00003") not in members(
        second, "segment"
    )
    assert not {
        m for m in members(second, "list") | members(second, "segment") if m[2] == "P00004" and m[0] == A
    }
    # a past member back, the merge target's new membership; account B's deleted segment is empty
    assert (A, "S1", "P00001") not in members(first, "segment") and (A, "S1", "P00001") in members(
        second, "segment"
    )
    assert (A, "S2", "P00000") in members(second, "segment") and (B, "S2", "P00000") not in members(
        second, "segment"
    )
    # flags: the deletion lands on the profile without its row being loaded again; the new suppression
    assert profiles[(A, "P00004")]["is_deleted"] is True and profiles[(A, "P00000")]["is_deleted"] is False
    assert profiles[(A, "P00002")]["email_suppression_reason"] == "UNSUBSCRIBE"
    assert profiles[(A, "P00002")]["can_receive_email_marketing"] is False
    assert profiles[(A, "P00001")]["email_suppression_reason"] == "HARD_BOUNCE"
    assert lists[(A, "L1")]["list_name"] == "List 1 (edited)" and lists[(B, "L1")]["is_deleted"] is False


@pytest.mark.parametrize("membership", ["duckdb"], indirect=True)  # one more build: DuckDB only
def test_an_old_profile_mart_gets_the_new_columns_filled_for_every_profile(membership: MembershipRun) -> None:
    assert "upgrade" in membership.snapshots
    assert membership.snapshots["upgrade"] == membership.snapshots["full_refresh"]
