"""Campaigns, campaign messages, flows, flow actions and flow messages: the required channel filter,
filters, sorts, page sizes, includes, sub-resources, 404s, the archived default, growth and tiers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from loader.emulator import Emulator, EmulatorConfig
from loader.emulator.endpoints.campaigns import CHANNEL_REQUIRED
from loader.emulator.ratelimit import RateLimiter
from loader.emulator.routes import BUCKETS
from tests.emulator.helpers import error_of, fetch_all, get
from tests.emulator.test_ratelimit import FakeClock

ANCHOR_US = 1_780_000_000 * 1_000_000
EMAIL = "equals(messages.channel,'email')"


def _ids(rows):
    return [r["id"] for r in rows]


def _strip(resource):
    out = {k: v for k, v in resource.items() if k != "links"}
    out["relationships"] = {n: {k: v for k, v in r.items() if k != "links"}
                            for n, r in resource.get("relationships", {}).items()}
    return out


def _by_id(rows):
    return sorted(rows, key=lambda r: r["id"])


def _channel(campaign, truth):
    return truth.campaign_messages()[campaign["id"]][0]["attributes"]["definition"]["channel"]


def _iso(us: int) -> str:
    return datetime.fromtimestamp(us / 1e6, timezone.utc).isoformat()


# campaigns -----------------------------------------------------------------------------------------

def test_data_set_has_every_channel_status_and_archived_campaigns(emulator):
    truth = emulator.emulator.truth
    campaigns = truth.campaigns()
    assert len(campaigns) == 12
    assert {_channel(c, truth) for c in campaigns} == {"email", "sms", "mobile_push"}
    statuses = {c["attributes"]["status"] for c in campaigns}
    assert {"Sent", "Draft", "Scheduled"} <= statuses
    assert any(c["attributes"]["archived"] for c in campaigns)
    assert any(not c["attributes"]["archived"] for c in campaigns)
    flows = truth.flows()
    assert len(flows) == 5 and {f["attributes"]["status"] for f in flows} >= {"live", "draft"}
    for flow in flows:
        actions = truth.flow_actions()[flow["id"]]
        assert 3 <= len(actions) <= 6
        for action in actions:
            definition = action["attributes"]["definition"]
            if definition["type"].startswith("send-"):
                assert definition["data"]["status"] in ("live", "draft", "manual", "disabled")
                assert 1 <= len(truth.flow_messages()[action["id"]]) <= 2
                assert definition["data"]["message"]["id"] == truth.flow_messages()[action["id"]][0]["id"]


def test_same_seed_same_objects_other_seed_other_names():
    a = Emulator(EmulatorConfig(seed=3), anchor_us=ANCHOR_US).truth
    b = Emulator(EmulatorConfig(seed=3), anchor_us=ANCHOR_US).truth
    c = Emulator(EmulatorConfig(seed=4, id_seed=3), anchor_us=ANCHOR_US).truth
    assert a.campaigns() == b.campaigns() and a.flow_messages() == b.flow_messages()
    assert _ids(a.campaigns()) == _ids(c.campaigns()) and _ids(a.flows()) == _ids(c.flows())
    names = [x["attributes"]["name"] for x in a.campaigns()]
    assert names != [x["attributes"]["name"] for x in c.campaigns()]


def test_scaled_counts():
    truth = Emulator(EmulatorConfig(campaigns=40, flows=12), anchor_us=ANCHOR_US).truth
    assert len(truth.campaigns()) == 40 and len(truth.flows()) == 12
    assert len({c["id"] for c in truth.campaigns()}) == 40
    actions = [a["id"] for acts in truth.flow_actions().values() for a in acts]
    assert len(actions) == len(set(actions))


@pytest.mark.parametrize("filter_", [None, "equals(archived,true)", "equals(messages.channel,'fax')",
                                     "any(messages.channel,['email','sms'])"])
def test_the_channel_filter_is_required(emulator, filter_):
    resp = get(emulator, "campaigns", **({"filter": filter_} if filter_ else {}))
    assert resp.status_code == 400
    error = error_of(resp)
    assert error["source"]["parameter"] == "filter"
    if filter_ in (None, "equals(archived,true)"):
        assert error["detail"] == CHANNEL_REQUIRED
        assert "A channel filter is required to list campaigns" in error["detail"]


def test_each_channel_lists_its_campaigns_archived_only_on_request(emulator):
    truth = emulator.emulator.truth
    campaigns = truth.campaigns()
    seen = []
    for channel in ("email", "sms", "mobile_push"):
        mine = [c for c in campaigns if _channel(c, truth) == channel]
        default = fetch_all(emulator, "campaigns", filter=f"equals(messages.channel,'{channel}')")
        assert _ids(default) == _ids([c for c in mine if not c["attributes"]["archived"]])
        archived = fetch_all(emulator, "campaigns",
                             filter=f"and(equals(messages.channel,'{channel}'),equals(archived,true))")
        assert _ids(archived) == _ids([c for c in mine if c["attributes"]["archived"]])
        not_archived = fetch_all(emulator, "campaigns", filter=f"equals(messages.channel,'{channel}'),"
                                                                "equals(archived,false)")
        assert _ids(not_archived) == _ids(default)
        seen += default + archived
    assert sorted(map(_strip, seen), key=lambda c: c["id"]) == sorted(campaigns, key=lambda c: c["id"])


def test_campaign_filters(emulator):
    truth = emulator.emulator.truth
    email = [c for c in truth.campaigns()
             if _channel(c, truth) == "email" and not c["attributes"]["archived"]]
    middle = sorted(c["attributes"]["updated_at"] for c in email)[len(email) // 2]

    def listed(extra: str) -> list[str]:
        return _ids(fetch_all(emulator, "campaigns", filter=f"{EMAIL},{extra}"))

    assert listed(f"greater-than(updated_at,{middle})") == [c["id"] for c in email
                                                             if c["attributes"]["updated_at"] > middle]
    assert listed(f"greater-or-equal(updated_at,{middle})") == [c["id"] for c in email
                                                                 if c["attributes"]["updated_at"] >= middle]
    assert listed(f"less-or-equal(created_at,{middle})") == [c["id"] for c in email
                                                              if c["attributes"]["created_at"] <= middle]
    assert listed(f"less-than(scheduled_at,{middle})") == [
        c["id"] for c in email
        if c["attributes"]["scheduled_at"] and c["attributes"]["scheduled_at"] < middle]
    two = [c["id"] for c in email[:2]]
    assert listed(f"any(id,['{two[0]}','{two[1]}'])") == two
    assert listed("equals(status,'Sent')") == [c["id"] for c in email if c["attributes"]["status"] == "Sent"]
    assert listed("any(status,['Draft','Cancelled'])") == [
        c["id"] for c in email if c["attributes"]["status"] in ("Draft", "Cancelled")]
    word = email[0]["attributes"]["name"].split()[0]
    assert listed(f"contains(name,'{word}')") == [c["id"] for c in email if word in c["attributes"]["name"]]
    for bad in ("equals(name,'x')", "greater-than(send_time,2024-01-01T00:00:00Z)", "equals(status,'Nope')",
                "equals(archived,'yes')", "greater-than(updated_at,'soon')"):
        resp = get(emulator, "campaigns", filter=f"{EMAIL},{bad}")
        assert resp.status_code == 400, bad
        assert error_of(resp)["source"]["parameter"] == "filter"


def test_campaign_sorts_page_sizes_and_next_links_keep_the_filter(make_emulator):
    emu = make_emulator(campaigns=60)
    truth = emu.emulator.truth
    email = [c for c in truth.campaigns()
             if _channel(c, truth) == "email" and not c["attributes"]["archived"]]
    assert len(email) > 10
    for sort in ("created_at", "-created_at", "updated_at", "-updated_at", "name", "-name", "id", "-id",
                 "scheduled_at", "-scheduled_at"):
        field = sort.lstrip("-")
        rows = fetch_all(emu, "campaigns", filter=EMAIL, sort=sort, **{"page[size]": 3})
        keys = [(r["attributes"].get(field) or "") if field != "id" else r["id"] for r in rows]
        assert keys == sorted(keys, reverse=sort.startswith("-")), sort
        assert sorted(_ids(rows)) == sorted(_ids(email)), sort
    first = get(emu, "campaigns", filter=EMAIL).json()
    assert len(first["data"]) == len(email) and first["links"]["next"] is None  # default size 100
    page = get(emu, "campaigns", filter=EMAIL, **{"page[size]": 4}).json()
    assert len(page["data"]) == 4
    query = parse_qs(urlparse(page["links"]["next"]).query)
    assert query["filter"] == [EMAIL] and query["page[size]"] == ["4"] and "page[cursor]" in query
    assert get(emu, "campaigns", filter=EMAIL, **{"page[size]": 100}).status_code == 200
    for size in (0, 101):
        resp = get(emu, "campaigns", filter=EMAIL, **{"page[size]": size})
        assert resp.status_code == 400 and error_of(resp)["source"]["parameter"] == "page[size]"


def test_include_campaign_messages(emulator):
    truth = emulator.emulator.truth
    doc = get(emulator, "campaigns", filter="equals(messages.channel,'sms')",
              include="campaign-messages").json()
    messages = truth.campaign_messages()
    assert [_strip(m) for m in doc["included"]] == [m for c in doc["data"] for m in messages[c["id"]]]
    for campaign in doc["data"]:
        related = campaign["relationships"]["campaign-messages"]["data"]
        assert related == [{"type": "campaign-message", "id": m["id"]} for m in messages[campaign["id"]]]
    assert "included" not in get(emulator, "campaigns", filter=EMAIL).json()
    assert get(emulator, "campaigns", filter=EMAIL, include="tags").json()["included"] == []
    sparse = get(emulator, "campaigns", filter=EMAIL, include="campaign-messages",
                 **{"fields[campaign]": "name,status",
                    "fields[campaign-message]": "definition.content.subject"})
    body = sparse.json()
    assert set(body["data"][0]["attributes"]) == {"name", "status"}
    assert body["included"][0]["attributes"] == {"definition": {"content": {
        "subject": messages[body["data"][0]["id"]][0]["attributes"]["definition"]["content"]["subject"]}}}


def test_campaign_messages_of_a_campaign(emulator):
    truth = emulator.emulator.truth
    for campaign in truth.campaigns():
        doc = get(emulator, f"campaigns/{campaign['id']}/campaign-messages").json()
        assert [_strip(m) for m in doc["data"]] == truth.campaign_messages()[campaign["id"]]
        assert doc["links"]["next"] is None
        message = doc["data"][0]["attributes"]
        definition = message["definition"]
        if definition["channel"] == "email":
            assert set(definition["content"]) >= {"subject", "preview_text", "from_email", "from_label"}
            assert definition["label"]
        elif definition["channel"] == "sms":
            assert definition["content"]["body"]
        if campaign["attributes"]["send_time"]:
            send = campaign["attributes"]["send_time"]
            assert message["send_times"] == [{"datetime": send, "is_local": False}]
    some = truth.campaigns()[0]["id"]
    for param in ("page[size]", "filter", "sort"):
        resp = get(emulator, f"campaigns/{some}/campaign-messages", **{param: "1"})
        assert resp.status_code == 400 and error_of(resp)["source"]["parameter"] == param
    resp = get(emulator, "campaigns/01NOPE00000000000000000000/campaign-messages")
    assert resp.status_code == 404 and error_of(resp)["code"] == "not_found"


# flows ---------------------------------------------------------------------------------------------

def test_flows_listing_filters_sorts_and_archived_default(make_emulator):
    emu = make_emulator(flows=14)
    truth = emu.emulator.truth
    flows = truth.flows()
    live = [f for f in flows if not f["attributes"]["archived"]]
    assert [_strip(f) for f in fetch_all(emu, "flows", **{"page[size]": 5})] == _by_id(live)  # default: id
    live = _by_id(live)
    archived = fetch_all(emu, "flows", filter="equals(archived,true)")
    assert archived and _ids(archived) == [f["id"] for f in _by_id(flows) if f["attributes"]["archived"]]
    middle = sorted(f["attributes"]["updated"] for f in live)[len(live) // 2]
    assert _ids(fetch_all(emu, "flows", filter=f"greater-or-equal(updated,{middle})")) == [
        f["id"] for f in live if f["attributes"]["updated"] >= middle]
    early_live = f"and(less-than(created,{middle}),equals(status,'live'))"
    assert _ids(fetch_all(emu, "flows", filter=early_live)) == [
        f["id"] for f in live if f["attributes"]["created"] < middle and f["attributes"]["status"] == "live"]
    assert _ids(fetch_all(emu, "flows", filter="equals(trigger_type,'Metric')")) == [
        f["id"] for f in live if f["attributes"]["trigger_type"] == "Metric"]
    assert _ids(fetch_all(emu, "flows", filter="starts-with(name,'Welcome')")) == [
        f["id"] for f in live if f["attributes"]["name"].startswith("Welcome")]
    for sort in ("updated", "-updated", "name", "-trigger_type", "status", "-created"):
        rows = fetch_all(emu, "flows", sort=sort, **{"page[size]": 4})
        keys = [r["attributes"][sort.lstrip("-")] for r in rows]
        assert keys == sorted(keys, reverse=sort.startswith("-")) and len(rows) == len(live), sort
    assert get(emu, "flows", **{"page[size]": 50}).status_code == 200
    resp = get(emu, "flows", **{"page[size]": 51})
    assert resp.status_code == 400 and error_of(resp)["source"]["parameter"] == "page[size]"
    assert get(emu, "flows", filter="equals(trigger_type,'Webhook')").status_code == 400
    doc = get(emu, "flows", include="flow-actions", **{"page[size]": 2}).json()
    actions = truth.flow_actions()
    assert [_strip(a) for a in doc["included"]] == [a for f in doc["data"] for a in actions[f["id"]]]


def test_flow_actions_and_messages(emulator):
    truth = emulator.emulator.truth
    for flow in truth.flows():
        actions = truth.flow_actions()[flow["id"]]
        assert [_strip(a) for a in fetch_all(emulator, f"flows/{flow['id']}/flow-actions",
                                             **{"page[size]": 2})] == actions
        sends = [a for a in actions if a["attributes"]["definition"]["type"] == "send-email"]
        listed = fetch_all(emulator, f"flows/{flow['id']}/flow-actions",
                           filter="equals(action_type,'send-email')")
        assert _ids(listed) == _ids(sends)
        for action in actions:
            messages = fetch_all(emulator, f"flow-actions/{action['id']}/flow-messages")
            assert [_strip(m) for m in messages] == _by_id(truth.flow_messages()[action["id"]])
            for message in messages:
                assert message["attributes"]["channel"] == action["attributes"]["definition"]["type"][5:]
                definition = message["attributes"]["definition"]
                assert definition["id"] == message["id"] and definition["name"]
                if message["attributes"]["channel"] == "email":
                    assert definition["subject_line"] and definition["from_email"]
    flow = truth.flows()[0]["id"]
    action = truth.flow_actions()[flow][0]["id"]
    by_created = fetch_all(emulator, f"flows/{flow}/flow-actions", sort="-created")
    assert len(by_created) == len(truth.flow_actions()[flow])
    resp = get(emulator, f"flows/{flow}/flow-actions", **{"page[size]": 51})
    assert resp.status_code == 400
    resp = get(emulator, f"flow-actions/{action}/flow-messages", **{"page[size]": 51})
    assert resp.status_code == 400
    for path in ("flows/XXXXXX/flow-actions", "flow-actions/99999999/flow-messages"):
        resp = get(emulator, path)
        assert resp.status_code == 404 and error_of(resp)["code"] == "not_found"


# growth --------------------------------------------------------------------------------------------

def test_growth_new_edited_archived_and_deleted_campaigns(make_emulator):
    emu = make_emulator()
    e = emu.emulator
    before = {c["id"]: c for c in e.truth.campaigns()}
    cutoff = max(c["attributes"]["updated_at"] for c in before.values())
    time_us = e.snapshot.grown_until_us + 3600 * 1_000_000
    e.grow(new_campaigns=3, edited_campaigns=2, archived_campaigns=1, deleted_campaigns=2, now_us=time_us)
    after = {c["id"]: c for c in e.truth.campaigns()}
    deleted = e.truth.deleted_campaign_ids()
    assert len(deleted) == 2 and not deleted & set(after) and deleted <= set(before)
    new = set(after) - set(before)
    assert len(new) == 3
    changed = {i for i in after if i in before and after[i] != before[i]}
    assert 1 <= len(changed) <= 3  # 2 edited + 1 archived, less what was deleted
    now = _iso(time_us)
    for i in new | changed:
        assert after[i]["attributes"]["updated_at"] == now
    listed = []
    for channel in ("email", "sms", "mobile_push"):
        for archived in ("true", "false"):
            listed += fetch_all(emu, "campaigns", filter=f"equals(messages.channel,'{channel}'),"
                                                         f"equals(archived,{archived}),greater-than(updated_at,{cutoff})")
    assert {c["id"] for c in listed} == new | changed
    for i in deleted:
        assert get(emu, f"campaigns/{i}/campaign-messages").status_code == 404
    for i in new:
        assert after[i]["attributes"]["status"] == "Sent"
        doc = get(emu, f"campaigns/{i}/campaign-messages").json()
        assert [_strip(m) for m in doc["data"]] == e.truth.campaign_messages()[i]
    every = [c for ch in ("email", "sms", "mobile_push") for a in ("true", "false")
             for c in fetch_all(emu, "campaigns",
                                filter=f"equals(messages.channel,'{ch}'),equals(archived,{a})")]
    assert {c["id"] for c in every} == set(after)


def test_growth_new_edited_and_deleted_flows(make_emulator):
    emu = make_emulator()
    e = emu.emulator
    before = {f["id"]: f for f in e.truth.flows()}
    actions_before = e.truth.flow_actions()
    messages_before = e.truth.flow_messages()
    time_us = e.snapshot.grown_until_us + 3600 * 1_000_000
    e.grow(new_flows=2, edited_flows=1, deleted_flows=1, now_us=time_us)
    after = {f["id"]: f for f in e.truth.flows()}
    (gone,) = e.truth.deleted_flow_ids()
    assert gone in before and gone not in after
    listed = _ids(fetch_all(emu, "flows")) + _ids(fetch_all(emu, "flows", filter="equals(archived,true)"))
    assert gone not in listed
    assert get(emu, f"flows/{gone}/flow-actions").status_code == 404
    for action in actions_before[gone]:
        assert get(emu, f"flow-actions/{action['id']}/flow-messages").status_code == 404
    new = set(after) - set(before)
    assert len(new) == 2 and all(after[i]["attributes"]["updated"] == _iso(time_us) for i in new)
    edited = [i for i in after if i in before and after[i] != before[i]]
    if edited:  # the edited flow may be the deleted one
        (flow,) = edited
        assert after[flow]["attributes"]["updated"] == _iso(time_us)
        actions = e.truth.flow_actions()[flow]
        assert len(actions) == len(actions_before[flow]) + 1
        assert all(a["attributes"]["updated"] == _iso(time_us) for a in actions)
        old_messages = {m["id"]: m for a in actions_before[flow] for m in messages_before[a["id"]]}
        for action in actions_before[flow]:
            for message in e.truth.flow_messages()[action["id"]]:
                assert message["attributes"]["updated"] == _iso(time_us)
                assert message["attributes"]["definition"]["subject_line"] != (
                    old_messages[message["id"]]["attributes"]["definition"]["subject_line"])
        since = before[flow]["attributes"]["updated"]
        listed = [f for a in ("true", "false")
                  for f in fetch_all(emu, "flows",
                                     filter=f"greater-than(updated,{since}),equals(archived,{a})")]
        assert flow in _ids(listed)


def test_control_endpoint_grows_marketing_objects(emulator):
    resp = requests.post(f"{emulator.base_url}/_emulator/grow", json={"new_campaigns": 2, "new_flows": 1,
                                                                       "deleted_campaigns": 1,
                                                                       "late_attributions": 1}, timeout=10)
    assert resp.status_code == 200, resp.text
    assert resp.json()["campaigns"] == 13 and resp.json()["flows"] == 6


# rate limits ---------------------------------------------------------------------------------------

def test_tiers_campaigns_10_per_second_flows_3_per_second():
    clock = FakeClock(9000.0)
    limiter = RateLimiter(1.0, clock)
    for name, burst, steady in (("campaigns", 10, 150), ("campaign-messages", 10, 150), ("flows", 3, 60),
                                ("flow-actions", 3, 60), ("flow-messages", 3, 60)):
        bucket = BUCKETS[name]
        assert (bucket.burst, bucket.steady) == (burst, steady)
        assert sum(limiter.check([bucket]).allowed for _ in range(burst + 5)) == burst, name


def test_flows_are_throttled_over_http_at_their_tier(make_emulator):
    emu = make_emulator(rate_limit_scale=1.0)
    with requests.Session() as session:
        statuses = [get(emu, "flows", session).status_code for _ in range(8)]
        assert 429 in statuses and statuses.count(200) <= 6  # 3/s, the 8 requests may straddle a second
        ok = get(emu, "campaigns", session, filter=EMAIL)  # another operation, another budget
    assert ok.status_code == 200 and ok.headers["RateLimit-Limit"] == "150"


def test_a_key_without_the_scope_is_403(make_emulator):
    emu = make_emulator(scopes=("events:read", "campaigns:read"))
    assert get(emu, "campaigns", filter=EMAIL).status_code == 200
    resp = get(emu, "flows")
    assert resp.status_code == 403 and "flows:read" in error_of(resp)["detail"]


def test_grow_defaults_change_no_marketing_object(make_emulator):
    emu = make_emulator()
    e = emu.emulator
    campaigns, flows = e.truth.campaigns(), e.truth.flow_messages()
    e.grow(new_events=50, updated_profiles=3, late_by=timedelta(minutes=5))
    assert e.truth.campaigns() == campaigns and e.truth.flow_messages() == flows
