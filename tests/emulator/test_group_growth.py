"""Growth of lists, segments and profiles, each visible in the listings and in the truth: joins (found
incrementally by `greater-than(joined_group_at)`), leaves, new and deleted lists and segments, deleted
profiles (gone everywhere, events kept with the included profile redacted) and merges (the source gone,
its events and memberships on the target); the same keywords through POST /_emulator/grow."""

from __future__ import annotations

from datetime import datetime, timezone

import requests

from tests.emulator.helpers import fetch_all, get

HOUR_US = 3600 * 1_000_000


def _ids(rows):
    return [r["id"] for r in rows]


def _members(emu, kind, gid):
    return {r["id"]: r["attributes"]["joined_group_at"]
            for r in fetch_all(emu, f"{kind}s/{gid}/profiles", **{"fields[profile]": "joined_group_at",
                                                                  "page[size]": 100})}


def _truth_members(truth, kind):
    out: dict[str, dict[str, str]] = {}
    for m in getattr(truth, f"{kind}_members")():
        out.setdefault(m[f"{kind}_id"], {})[m["profile_id"]] = m["joined_at"]
    return out


def _served_equals_truth(emu):
    truth = emu.emulator.truth
    for kind in ("list", "segment"):
        groups = fetch_all(emu, f"{kind}s")
        assert {g["id"] for g in groups} == {g["id"] for g in getattr(truth, f"{kind}s")()}
        members = _truth_members(truth, kind)
        for g in groups:
            assert _members(emu, kind, g["id"]) == members.get(g["id"], {}), (kind, g["id"])


def test_joins_and_leaves_show_in_listings_and_truth(emulator):
    emu, truth = emulator.emulator, emulator.emulator.truth
    before = {k: _truth_members(truth, k) for k in ("list", "segment")}
    since = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    emu.grow(list_joins=8, list_leaves=6, segment_joins=4, segment_leaves=3,
             now_us=emu.snapshot.grown_until_us + HOUR_US)
    _served_equals_truth(emulator)
    after = {k: _truth_members(truth, k) for k in ("list", "segment")}
    for kind, joins, leaves in (("list", 8, 6), ("segment", 4, 3)):
        removed = getattr(truth, f"removed_{kind}_members")()
        assert len(removed) == leaves and {r["reason"] for r in removed} == {"left"}
        for r in removed:
            assert after[kind].get(r[f"{kind}_id"], {}).get(r["profile_id"]) in (None, r["removed_at"])
            assert before[kind][r[f"{kind}_id"]][r["profile_id"]] == r["joined_at"]
        joined = {(g, p) for g, ms in after[kind].items() for p in ms if p not in before[kind].get(g, {})}
        assert 0 < len(joined) <= joins
        for g, p in joined:  # found incrementally: joined after the previous run's start
            new = fetch_all(emulator, f"{kind}s/{g}/profiles",
                            filter=f"greater-than(joined_group_at,{since})")
            assert p in _ids(new)
    inactive = [s["id"] for s in truth.segments() if not s["attributes"]["is_active"]]
    assert inactive and all(after["segment"][s] == before["segment"][s] for s in inactive)
    assert len(truth.list_suppressions()) == 3  # half the list leaves unsubscribe from the list


def test_deleted_lists_and_segments_vanish_and_their_members_are_404(emulator):
    emu, truth = emulator.emulator, emulator.emulator.truth
    lists, segments = truth.lists(), truth.segments()
    emu.grow(deleted_lists=1, deleted_segments=1, new_lists=2, new_segments=1)
    (gone_list,), (gone_segment,) = truth.deleted_list_ids(), truth.deleted_segment_ids()
    assert gone_list in _ids(lists) and gone_segment in _ids(segments)
    assert len(truth.lists()) == len(lists) + 1 and len(truth.segments()) == len(segments)
    _served_equals_truth(emulator)
    for path in (f"lists/{gone_list}/profiles", f"segments/{gone_segment}/profiles"):
        assert get(emulator, path).status_code == 404
    deleted_groups = {d["id"] for d in truth.deletions() if d["object"] in ("list", "segment")}
    assert deleted_groups == {gone_list, gone_segment}
    newest = max(truth.lists(), key=lambda g: g["attributes"]["created"])
    assert _members(emulator, "list", newest["id"]) == {}


def test_deleted_profiles_vanish_everywhere_and_their_events_are_redacted(emulator):
    emu, truth = emulator.emulator, emulator.emulator.truth
    memberships = sum(len(ms) for ms in _truth_members(truth, "list").values())
    emu.grow(deleted_profiles=5)
    gone = truth.deleted_profile_ids()
    assert len(gone) == 5
    assert not gone & {p["id"] for p in fetch_all(emulator, "profiles", **{"page[size]": 100})}
    assert not gone & {p["id"] for p in truth.profiles()}
    _served_equals_truth(emulator)
    removed = [r for r in truth.removed_list_members() if r["reason"] == "profile_deleted"]
    assert {r["profile_id"] for r in removed} <= gone
    assert sum(len(ms) for ms in _truth_members(truth, "list").values()) == memberships - len(removed)
    assert {d["id"] for d in truth.deletions() if d["reason"] == "deleted"} == gone
    victim = sorted(gone)[0]
    events = get(emulator, "events", filter=f"equals(profile_id,'{victim}')", include="profile").json()
    if not events["data"]:  # the drawn profile had no events; another one has
        victim = next(p for p in sorted(gone) if get(emulator, "events", filter=f"equals(profile_id,'{p}')")
                      .json()["data"])
        events = get(emulator, "events", filter=f"equals(profile_id,'{victim}')", include="profile").json()
    (profile,) = events["included"]
    assert profile["id"] == victim
    attributes = profile["attributes"]
    assert attributes["email"] == attributes["first_name"] == attributes["phone_number"] == "redacted"
    assert attributes["location"]["address1"] == "redacted" and attributes["properties"] == {}
    assert "@" not in str(events)


def test_merged_profiles_vanish_and_their_events_and_lists_go_to_the_target(emulator):
    emu, truth = emulator.emulator, emulator.emulator.truth
    events_before = {e["id"]: e["relationships"]["profile"]["data"]["id"] for e in truth.events()}
    lists_before = _truth_members(truth, "list")
    emu.grow(merged_profiles=3)
    merged = truth.merged_profiles()
    assert len(merged) == 3
    listed = {p["id"]: p for p in fetch_all(emulator, "profiles", **{"page[size]": 100})}
    assert not set(merged) & set(listed) and set(merged.values()) <= set(listed)
    events_after = {e["id"]: e["relationships"]["profile"]["data"]["id"] for e in truth.events()}
    assert events_after.keys() == events_before.keys()
    for eid, owner in events_before.items():
        assert events_after[eid] == merged.get(owner, owner)
    source, target = next(iter(merged.items()))
    served = _ids(fetch_all(emulator, "events", filter=f"equals(profile_id,'{target}')"))
    assert {e for e, o in events_before.items() if o in (source, target)} == set(served)
    assert get(emulator, "events", filter=f"equals(profile_id,'{source}')").json()["data"] == []
    after = _truth_members(truth, "list")
    for gid, members in lists_before.items():
        for s, t in merged.items():
            if s in members:
                assert s not in after[gid] and t in after[gid]
    _served_equals_truth(emulator)
    assert {d["id"] for d in truth.deletions() if d["reason"] == "merged"} == set(merged)


def test_control_endpoint_grows_lists_and_profiles(emulator):
    keys = {"list_joins": 2, "list_leaves": 2, "segment_joins": 1, "segment_leaves": 1, "new_lists": 1,
            "new_segments": 1, "deleted_lists": 1, "deleted_segments": 1, "new_suppressions": 2,
            "deleted_profiles": 1, "merged_profiles": 1}
    before = emulator.emulator.counts()
    resp = requests.post(f"{emulator.base_url}/_emulator/grow", json=keys, timeout=10)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["lists"] == before["lists"] and body["segments"] == before["segments"]
    assert body["profiles"] == before["profiles"] - 2
    truth = emulator.emulator.truth
    assert len(truth.deleted_profile_ids()) == 1 and len(truth.merged_profiles()) == 1
    assert len(truth.removed_list_members()) >= 2
