"""Lists, segments and their members against the emulator, compared exactly with its truth.

A historical run, then growth (joins, leaves, a deleted list and segment, a new list, a deleted and
a merged profile, a past member back) and a periodic run with the members reconcile due: every raw
row equals the truth (current members with removed_at NULL, past ones with removed_at = the run
that found them gone), the deleted groups are in `deletions`, and the cursors move only with the load.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from loader.errors import SyncError
from loader.source.slices import format_dt
from tests.fixtures.expected_raw import _dt, assert_same
from tests.fixtures.warehouse import Warehouse

pytestmark = pytest.mark.integration

GROUPS = ("lists", "segments")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _utc(value: Any) -> datetime | None:
    return None if value is None else _dt(value).astimezone(timezone.utc)


def _rows(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    with warehouse.pipeline().sql_client() as client:
        return [tuple(r) for r in client.execute_sql(sql.format(
            **{t: client.make_qualified_table_name(t) for t in
               ("lists", "segments", "list_members", "segment_members", "deletions")}))]


def loaded_groups(warehouse: Warehouse, table: str) -> dict[str, tuple[Any, ...]]:
    rows = _rows(warehouse, f"SELECT id, created, updated, attributes FROM {{{table}}}")
    assert len(rows) == len({r[0] for r in rows}), f"{table}: duplicate ids"
    return {r[0]: (_utc(r[1]), _utc(r[2]), _json(r[3])) for r in rows}


def expected_groups(groups: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {g["id"]: (_utc(g["attributes"]["created"]), _utc(g["attributes"]["updated"]), g["attributes"])
            for g in groups}


def loaded_members(warehouse: Warehouse, kind: str) -> dict[tuple[str, str], tuple[Any, ...]]:
    rows = _rows(warehouse, f"SELECT {kind}_id, profile_id, joined_at, removed_at FROM {{{kind}_members}}")
    keys = [(r[0], r[1]) for r in rows]
    assert len(keys) == len(set(keys)), f"{kind}_members: duplicate keys"
    return {(r[0], r[1]): (_utc(r[2]), _utc(r[3])) for r in rows}


Key = tuple[str, str]


def expected_members(truth: Any, kind: str, removed_at: dict[Key, datetime]) -> dict[Key, tuple[Any, ...]]:
    """Current members (removed_at NULL); past ones with when the loader found them gone."""
    current = {(m[f"{kind}_id"], m["profile_id"]): (_utc(m["joined_at"]), None)
               for m in getattr(truth, f"{kind}_members")()}
    past = {(m[f"{kind}_id"], m["profile_id"]): (_utc(m["joined_at"]), removed_at[(m[f"{kind}_id"],
                                                                                  m["profile_id"])])
            for m in getattr(truth, f"removed_{kind}_members")()
            if (m[f"{kind}_id"], m["profile_id"]) not in current}
    return current | past


def deletions(warehouse: Warehouse) -> dict[tuple[str, str], tuple[Any, ...]]:
    rows = _rows(warehouse, "SELECT object, id, detected_at, reason FROM {deletions}")
    return {(r[0], r[1]): (_utc(r[2]), r[3]) for r in rows}


def group_state(warehouse: Warehouse, account_id: str) -> dict[str, Any]:
    resources = warehouse.pipeline().state["sources"]["klaviyo"]["resources"]
    return {name: resources[name]["accounts"][account_id] for name in GROUPS}


def test_historical_then_periodic_membership_is_exactly_the_api(warehouse: Warehouse, emulator) -> None:
    emu = emulator.emulator
    first = warehouse.sync(objects=GROUPS)
    assert {u.object: d.kind for u, d in first.objects.items()} == {
        "metrics": "historical", "lists": "historical", "segments": "historical"}
    truth = emu.truth
    assert truth.list_members() and truth.segment_members(), "the emulator has members (else vacuous)"
    assert_same(loaded_groups(warehouse, "lists"), expected_groups(truth.lists()), "lists")
    assert_same(loaded_groups(warehouse, "segments"), expected_groups(truth.segments()), "segments")
    for kind in ("list", "segment"):
        assert_same(loaded_members(warehouse, kind), expected_members(truth, kind, {}), kind)
    state = group_state(warehouse, emulator.account_id)
    assert state["lists"]["cursor"] == state["lists"]["listed_at"] == state["lists"]["members_at"]
    assert set(state["lists"]["ids"]) == {g["id"] for g in truth.lists()}

    emu.grow(list_joins=6, list_leaves=4, segment_joins=3, segment_leaves=2, new_lists=1,
             deleted_lists=1, deleted_segments=1, deleted_profiles=1, merged_profiles=1)
    # a periodic run that finds the joins only: leaves wait for the members reconcile
    second = warehouse.sync(objects=GROUPS, reconcile={"members": "1d", "lists": "1d", "segments": "1d"})
    assert {d.kind for d in second.objects.values()} == {"periodic"}
    joined = loaded_members(warehouse, "list")
    assert {k for k, v in joined.items() if v[1] is None} >= {
        (m["list_id"], m["profile_id"]) for m in truth.list_members()}, "every join landed"
    state = group_state(warehouse, emulator.account_id)
    assert state["lists"]["cursor"] == format_dt(second.run_start)
    assert state["lists"]["members_at"] == format_dt(first.run_start), "no members reconcile yet"

    # the deleted list and segment answer 404 on their members: found gone in this run already
    gone_lists, gone_segments = truth.deleted_list_ids(), truth.deleted_segment_ids()
    assert len(gone_lists) == len(gone_segments) == 1
    expected_deleted = {("list", i): (second.run_start, "not_found") for i in gone_lists} | {
        ("segment", i): (second.run_start, "not_found") for i in gone_segments}
    assert deletions(warehouse) == expected_deleted
    assert gone_lists.isdisjoint(state["lists"]["ids"])

    third = warehouse.sync(objects=GROUPS, reconcile="now")
    assert_same(loaded_groups(warehouse, "lists"),
                {**{k: v for k, v in loaded_groups(warehouse, "lists").items() if k in gone_lists},
                 **expected_groups(truth.lists())}, "lists after growth")
    for kind, gone in (("list", gone_lists), ("segment", gone_segments)):
        found = loaded_members(warehouse, kind)
        removed = {k: third.run_start for k, v in found.items() if v[1] is not None}
        expected = expected_members(truth, kind, removed)
        # every member of the deleted group was removed by the run that found it gone
        in_gone = {k: v for k, v in found.items() if k[0] in gone}
        assert in_gone and all(v[1] == second.run_start for v in in_gone.values())
        assert_same({k: v for k, v in found.items() if k[0] not in gone},
                    {k: v for k, v in expected.items() if k[0] not in gone}, f"{kind}_members")
    left = {(m["list_id"], m["profile_id"]) for m in truth.removed_list_members()}
    assert len(left) >= 4, "leaves, the deleted and the merged profile's memberships ended (else vacuous)"
    assert deletions(warehouse) == expected_deleted, "nothing else deleted, nothing found twice"
    state = group_state(warehouse, emulator.account_id)
    assert state["segments"]["members_at"] == state["segments"]["listed_at"] == format_dt(third.run_start)

    # a run that fails moves no cursor: the next one reads the same joins again
    emu.revoke_key()
    with pytest.raises(SyncError):
        warehouse.sync(objects=GROUPS)
    emu.restore_key()
    assert group_state(warehouse, emulator.account_id) == state
