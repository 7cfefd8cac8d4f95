"""Deleted and merged profiles, per `deleted_profiles`, and new suppressions, against the emulator.

A historical profiles sync, then growth (two deleted profiles, one merged away, new suppressions):
a periodic run (reconcile not due) lands every new suppression though `updated` did not move and
records no deletion; a run with `--reconcile-now` records exactly the gone profiles in `deletions`
(reason not_listed) and treats their raw rows as the setting says (`delete` removes them in the
same load; later runs keep them out).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from loader.privacy.redact import PERSONAL, REDACTED
from tests.fixtures.warehouse import Warehouse

pytestmark = pytest.mark.integration


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def profiles(warehouse: Warehouse) -> dict[str, dict[str, Any]]:
    return {r[0]: _json(r[1]) for r in warehouse.rows("profiles", "id, attributes")}


def deletions(warehouse: Warehouse) -> dict[str, str]:
    return {r[1]: r[2] for r in warehouse.rows("deletions", "object, id, reason")
            if r[0] == "profile"} if "deletions" in warehouse.tables() else {}


def _suppression(attributes: dict[str, Any]) -> Any:
    """The profile's global email suppression (the API's `suppression` is a list), or None."""
    found = attributes["subscriptions"]["email"]["marketing"].get("suppression") or []
    return found[0] if found else None


CASES = [("redact", "duckdb"), ("flag", "duckdb"), ("delete", "postgres")]


@pytest.mark.parametrize(("setting", "warehouse"), CASES, indirect=["warehouse"])
def test_deleted_profiles_per_setting_and_suppressions(warehouse: Warehouse, emulator, setting: str) -> None:
    emu = emulator.emulator
    flags: dict[str, Any] = {"objects": ("profiles",), "deleted_profiles": setting}
    warehouse.sync(**flags)
    before = profiles(warehouse)
    emu.grow(deleted_profiles=2, merged_profiles=1, new_suppressions=3)
    gone = set(emu.truth.deleted_profile_ids()) | set(emu.truth.merged_profiles())
    suppressed = emu.truth.suppressions()
    new = {pid for pid in suppressed if not _suppression(before[pid])}
    assert len(gone) == 3 and len(new) >= 3, "growth made deletions and suppressions (else vacuous)"

    warehouse.sync(**flags)  # periodic, reconcile not due: suppressions only
    after = profiles(warehouse)
    for pid in new:
        got = _suppression(after[pid])
        assert got and got["reason"] == suppressed[pid]["email_suppression_reason"], pid
    assert deletions(warehouse) == {}, "no reconcile yet: nothing recorded"

    warehouse.sync(**flags, reconcile="now")
    assert deletions(warehouse) == dict.fromkeys(gone, "not_listed")
    rows = profiles(warehouse)
    if setting == "delete":
        assert gone.isdisjoint(rows), "removed in the load that recorded the deletions"
        assert {r[1] for r in warehouse.rows("profiles", "id, _deleted")} == {None}, "never stored"
    for pid in gone if setting != "delete" else ():
        if setting == "flag":
            assert rows[pid] == before[pid], "flag keeps the row as it was"
        else:
            assert all(rows[pid][name] == REDACTED for name in PERSONAL), pid
            assert rows[pid]["properties"] == {} and rows[pid]["location"]["latitude"] is None
            assert before[pid]["email"] not in json.dumps(rows[pid])
    kept = set(before) - gone
    assert all(rows[pid]["email"] == before[pid]["email"] for pid in kept), "no one else touched"

    warehouse.sync(**flags)
    rows = profiles(warehouse)
    assert set(rows) == (set(before) - gone if setting == "delete" else set(before))
    assert deletions(warehouse) == dict.fromkeys(gone, "not_listed"), "recorded once"
