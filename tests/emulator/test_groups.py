"""Lists, segments and their members: listings, page sizes, the filters the spec allows (and 400s on the
others), sorts, keyset pages, `fields[profile]` sparse sets, 404s and scopes; the suppression filters
and sorts of /api/profiles."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from loader.emulator import Emulator, EmulatorConfig
from loader.emulator.config import ALL_SCOPES
from tests.emulator.helpers import error_of, fetch_all, get
from tests.fixtures.emulator import RunningEmulator

ANCHOR_US = 1_780_000_000 * 1_000_000
SUPPRESSED_AT = "subscriptions.email.marketing.suppression.timestamp"
LIST_SUPPRESSED_AT = "subscriptions.email.marketing.list_suppressions.timestamp"


def _ids(rows):
    return [r["id"] for r in rows]


def _strip(resource):
    out = {k: v for k, v in resource.items() if k != "links"}
    out["relationships"] = {n: {k: v for k, v in r.items() if k != "links"}
                            for n, r in resource.get("relationships", {}).items()}
    return out


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat()


@pytest.fixture
def groups_emulator(make_emulator):
    return make_emulator(lists=12, segments=12, profiles=150, events=300)


# lists and segments ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("endpoint", "kind"), [("lists", "list"), ("segments", "segment")])
def test_groups_page_ten_at_a_time_and_equal_the_truth(groups_emulator, endpoint, kind):
    emu = groups_emulator
    first = get(emu, endpoint).json()
    assert len(first["data"]) == 10 and first["links"]["next"]
    rows = fetch_all(emu, endpoint)
    truth = getattr(emu.emulator.truth, endpoint)()
    assert len(rows) == 12 and all(r["type"] == kind for r in rows)
    assert sorted((_strip(r) for r in rows), key=lambda r: r["id"]) == sorted(truth, key=lambda r: r["id"])
    assert _ids(rows) == sorted(_ids(rows))  # default sort: id
    assert error_of(get(emu, endpoint, **{"page[size]": 11}))["source"]["parameter"] == "page[size]"
    names = _ids(fetch_all(emu, endpoint, sort="-name"))
    by_name = sorted(truth, key=lambda r: (r["attributes"]["name"], r["id"]))
    top = by_name[-1]["attributes"]["name"]
    assert [r["attributes"]["name"] for r in truth if r["id"] == names[0]] == [top]


@pytest.mark.parametrize("endpoint", ["lists", "segments"])
def test_group_filters_are_the_specs_and_others_are_400(groups_emulator, endpoint):
    emu = groups_emulator
    truth = getattr(emu.emulator.truth, endpoint)()
    middle = sorted(r["attributes"]["updated"] for r in truth)[5]
    newer = fetch_all(emu, endpoint, filter=f"greater-than(updated,{middle})")
    assert {r["id"] for r in newer} == {r["id"] for r in truth if r["attributes"]["updated"] > middle}
    created = sorted(r["attributes"]["created"] for r in truth)[3]
    assert len(fetch_all(emu, endpoint, filter=f"greater-than(created,{created})")) == 8
    one = truth[2]
    assert _ids(get(emu, endpoint, filter=f"equals(name,'{one['attributes']['name']}')").json()["data"]) == [
        one["id"]]
    two = [truth[0]["id"], truth[7]["id"]]
    both = get(emu, endpoint, filter=f"any(id,{two!r})".replace("'", '"')).json()["data"]
    assert sorted(_ids(both)) == sorted(two)
    for bad in (f"greater-or-equal(updated,{middle})", f"less-than(created,{created})",
                f"equals(updated,{middle})", "contains(name,'VIP')", "equals(colour,'red')"):
        resp = get(emu, endpoint, filter=bad)
        assert resp.status_code == 400, bad
        assert error_of(resp)["source"]["parameter"] == "filter"


def test_segments_filter_on_is_active_and_show_their_definition(groups_emulator):
    emu = groups_emulator
    truth = emu.emulator.truth.segments()
    inactive = fetch_all(emu, "segments", filter="equals(is_active,false)")
    assert {r["id"] for r in inactive} == {r["id"] for r in truth
                                           if not r["attributes"]["is_active"]} != set()
    starred = fetch_all(emu, "segments", filter="equals(is_starred,true)")
    assert starred and all(r["attributes"]["is_starred"] for r in starred)
    list_ids = {r["id"] for r in emu.emulator.truth.lists()}
    for segment in truth:
        (group,) = segment["attributes"]["definition"]["condition_groups"]
        assert group["conditions"][0]["type"] == "profile-group-membership"
        assert set(group["conditions"][0]["group_ids"]) <= list_ids
    doc = get(emu, "segments", **{"fields[segment]": "name,definition.condition_groups"}).json()
    assert set(doc["data"][0]["attributes"]) == {"name", "definition"}
    sparse = get(emu, "lists", **{"fields[list]": "name,opt_in_process"}).json()["data"][0]
    assert sparse["attributes"].keys() == {"name", "opt_in_process"}


# members --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["list", "segment"])
def test_members_page_by_joined_group_at_and_equal_the_truth(emulator, kind):
    truth = emulator.emulator.truth
    everyone = getattr(truth, f"{kind}_members")()
    group = max(truth.lists() if kind == "list" else truth.segments(),
                key=lambda g: sum(m[f"{kind}_id"] == g["id"] for m in everyone))
    members = [m for m in everyone if m[f"{kind}_id"] == group["id"]]
    assert len(members) > 20
    path = f"{kind}s/{group['id']}/profiles"
    rows = fetch_all(emulator, path, **{"page[size]": 7})
    assert [(r["id"], r["attributes"]["joined_group_at"]) for r in rows] == [
        (m["profile_id"], m["joined_at"]) for m in members]
    stamps = [r["attributes"]["joined_group_at"] for r in rows]
    assert stamps == sorted(stamps)
    backwards = fetch_all(emulator, path, sort="-joined_group_at", **{"page[size]": 100})
    assert _ids(backwards) == _ids(rows)[::-1]
    first = get(emulator, path).json()
    assert len(first["data"]) == 20 and first["links"]["next"].startswith(f"{emulator.base_url}/api/{path}/?")
    assert error_of(get(emulator, path, **{"page[size]": 101}))["source"]["parameter"] == "page[size]"
    assert error_of(get(emulator, path, sort="created"))["source"]["parameter"] == "sort"
    profile = {p["id"]: p for p in truth.profiles(())}[rows[0]["id"]]
    joined = rows[0]["attributes"].pop("joined_group_at")
    assert rows[0]["attributes"] == profile["attributes"] and joined


def test_member_filters_joined_group_at_and_identifiers(emulator):
    truth = emulator.emulator.truth
    group = truth.lists()[2]
    members = [m for m in truth.list_members() if m["list_id"] == group["id"]]
    path = f"lists/{group['id']}/profiles"
    middle = members[len(members) // 2]["joined_at"]
    ops = {"greater-than": lambda j: j > middle, "greater-or-equal": lambda j: j >= middle,
           "less-than": lambda j: j < middle, "less-or-equal": lambda j: j <= middle}
    for op, keep in ops.items():
        got = fetch_all(emulator, path, filter=f"{op}(joined_group_at,{middle})", **{"page[size]": 100})
        assert _ids(got) == [m["profile_id"] for m in members if keep(m["joined_at"])], op
    email = next(p for p in truth.profiles(()) if p["id"] == members[3]["profile_id"])["attributes"]["email"]
    by_email = get(emulator, path, filter=f"equals(email,'{email}')").json()["data"]
    assert _ids(by_email) == [members[3]["profile_id"]]
    assert get(emulator, path, filter="equals(push_token,'abc')").json()["data"] == []
    for bad in (f"equals(joined_group_at,{middle})", "equals(profile_id,'x')", "equals(_kx,'x')",
                "greater-than(updated,2024-01-01T00:00:00Z)"):
        assert get(emulator, path, filter=bad).status_code == 400, bad
    segment = truth.segments()[0]
    seg_members = [m["profile_id"] for m in truth.segment_members() if m["segment_id"] == segment["id"]]
    wanted = seg_members[:3]
    got = get(emulator, f"segments/{segment['id']}/profiles",
              filter="any(profile_id,[" + ",".join(f"'{p}'" for p in wanted) + "])").json()["data"]
    assert sorted(_ids(got)) == sorted(wanted)


def test_member_sparse_fieldsets_and_subscriptions(emulator):
    group = emulator.emulator.truth.lists()[0]
    path = f"lists/{group['id']}/profiles"
    minimal = get(emulator, path, **{"fields[profile]": "joined_group_at", "page[size]": 100}).json()
    assert all(r["attributes"].keys() == {"joined_group_at"} for r in minimal["data"])
    wanted = "email,location.city,subscriptions.email.marketing.consent"
    dotted = get(emulator, path, **{"fields[profile]": wanted,
                                    "additional-fields[profile]": "subscriptions"}).json()["data"][0]
    assert dotted["attributes"].keys() == {"email", "location", "subscriptions"}
    assert dotted["attributes"]["location"].keys() == {"city"}
    assert dotted["attributes"]["subscriptions"] == {"email": {"marketing": {
        "consent": dotted["attributes"]["subscriptions"]["email"]["marketing"]["consent"]}}}
    full = get(emulator, path, **{"additional-fields[profile]": "subscriptions"}).json()["data"][0]
    assert "suppression" in full["attributes"]["subscriptions"]["email"]["marketing"]
    assert get(emulator, path, **{"fields[profile]": "colour"}).status_code == 400
    assert get(emulator, path, include="lists").status_code == 400


def test_unknown_groups_are_404(emulator):
    for path in ("lists/XXXXXX/profiles", "segments/XXXXXX/profiles"):
        resp = get(emulator, path)
        assert resp.status_code == 404 and error_of(resp)["code"] == "not_found"


@pytest.mark.parametrize(("missing", "paths"), [
    ("lists:read", ("lists", "lists/{list}/profiles")),
    ("segments:read", ("segments", "segments/{segment}/profiles")),
    ("profiles:read", ("lists/{list}/profiles", "segments/{segment}/profiles", "profiles")),
])
def test_member_endpoints_need_both_scopes(make_emulator, missing, paths):
    emu = make_emulator(scopes=tuple(s for s in ALL_SCOPES if s != missing))
    ids = {"list": emu.emulator.truth.lists()[0]["id"], "segment": emu.emulator.truth.segments()[0]["id"]}
    for path in paths:
        resp = get(emu, path.format(**ids))
        assert resp.status_code == 403 and missing in error_of(resp)["detail"], path


# suppressions on /api/profiles -------------------------------------------------------------------------

def test_suppression_filters_find_new_suppressions_without_updated_moving():
    emu = Emulator(EmulatorConfig(profiles=200, events=100, history_days=30), anchor_us=ANCHOR_US)
    anchor = datetime.fromtimestamp(ANCHOR_US / 1e6, timezone.utc)
    before = {p["id"]: p for p in emu.truth.profiles()}
    base = set(emu.truth.suppressions())
    assert base and all(before[p]["attributes"]["subscriptions"]["email"]["marketing"]["suppression"]
                        for p in base)
    emu.grow(new_suppressions=6, list_leaves=6, now_us=ANCHOR_US + 3600 * 1_000_000)
    after = {p["id"]: p for p in emu.truth.profiles()}
    new = set(emu.truth.suppressions()) - base
    assert len(new) == 6
    for pid in new:
        marketing = after[pid]["attributes"]["subscriptions"]["email"]["marketing"]
        (supp,) = marketing["suppression"]
        assert supp["timestamp"] == _iso(anchor + timedelta(hours=1))
        assert not marketing["can_receive_email_marketing"]
        assert after[pid]["attributes"]["updated"] == before[pid]["attributes"]["updated"]
        assert emu.truth.suppressions()[pid]["email_suppression_reason"] == supp["reason"]
    with emu.serve() as server:
        running = RunningEmulator(emu, server)
        since = _iso(anchor)
        got = fetch_all(running, "profiles", filter=f"greater-than({SUPPRESSED_AT},{since})",
                        **{"additional-fields[profile]": "subscriptions"})
        assert {r["id"] for r in got} == new
        older = fetch_all(running, "profiles", filter=f"less-or-equal({SUPPRESSED_AT},{since})",
                          **{"page[size]": 100})
        assert {r["id"] for r in older} == base
        ordered = fetch_all(running, "profiles", sort=f"-{SUPPRESSED_AT}", **{"page[size]": 100})
        assert {r["id"] for r in ordered[:6]} == new
        reason = emu.truth.suppressions()[sorted(new)[0]]["email_suppression_reason"]
        by_reason = fetch_all(running, "profiles",
                              filter=f"equals(subscriptions.email.marketing.suppression.reason,'{reason}')")
        assert {r["id"] for r in by_reason} == {p for p, s in emu.truth.suppressions().items()
                                                 if s["email_suppression_reason"] == reason}
        unsubscribed = emu.truth.list_suppressions()
        assert len(unsubscribed) == 3
        got = fetch_all(running, "profiles", filter=f"greater-or-equal({LIST_SUPPRESSED_AT},{since})",
                        **{"additional-fields[profile]": "subscriptions"})
        assert {r["id"] for r in got} == {s["profile_id"] for s in unsubscribed}
        lists = got[0]["attributes"]["subscriptions"]["email"]["marketing"]["list_suppressions"]
        assert lists and lists[0]["reason"] == "UNSUBSCRIBE"
        one = unsubscribed[0]
        got = fetch_all(running, "profiles",
                        filter=f"equals(subscriptions.email.marketing.list_suppressions.list_id,'{one['list_id']}')")
        assert one["profile_id"] in _ids(got)
        reason_field = "subscriptions.email.marketing.suppression.reason"
        for bad in (f"equals({SUPPRESSED_AT},{since})", f"greater-than({reason_field},'UNSUBSCRIBE')",
                    f"any({LIST_SUPPRESSED_AT},[{since}])"):
            assert get(running, "profiles", filter=bad).status_code == 400, bad
