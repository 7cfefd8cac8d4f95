"""Accounts: GET /api/accounts[/{id}], several accounts on one server (per-account limits, faults, stats,
growth), ids colliding across accounts (id_seed) and key revocation."""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import pytest
import requests

from loader.emulator import Emulator, EmulatorConfig, EmulatorServer, StreetAddress, serve_accounts
from loader.emulator.config import derived_account_id
from tests.emulator.helpers import error_of, fetch_all, get, wait_until
from tests.fixtures.emulator import TEST_CONFIG

ANCHOR_US = 1_780_000_000 * 1_000_000


def _control(base: str, method: str, path: str, **kwargs: object) -> requests.Response:
    return requests.request(method, f"{base}/_emulator/{path}", timeout=10, **kwargs)  # type: ignore[arg-type]


# --- the account resource ------------------------------------------------------------------------------

def test_account_id_is_derived_from_the_seed_unless_given():
    ids = {derived_account_id(seed) for seed in range(1, 200)}
    assert len(ids) == 199 and all(len(i) == 6 and i.isalnum() for i in ids)
    assert EmulatorConfig(seed=5).effective_account_id == derived_account_id(5)
    assert EmulatorConfig(seed=5, id_seed=9).effective_account_id == derived_account_id(5)
    assert EmulatorConfig(account_id="AbC123").effective_account_id == "AbC123"
    for bad in ({"account_id": "abc"}, {"account_id": "abc-12"}, {"timezone": "Mars/Olympus"},
                {"preferred_currency": "usd"}, {"locale": " "}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            EmulatorConfig(**bad)  # type: ignore[arg-type]


def test_get_accounts_returns_the_keys_own_account(make_emulator):
    street = StreetAddress("Unter den Linden 1", None, "Berlin", "BE", "DE", "10117")
    emu = make_emulator(seed=3, organization_name="Northwind", timezone="Europe/Berlin",
                        preferred_currency="EUR", industry=None, test_account=True, locale="de-DE",
                        website_url=None, street_address=street)
    resp = get(emu, "accounts")
    assert resp.status_code == 200 and resp.headers["RateLimit-Limit"] == str(15 * 20)
    doc = resp.json()
    (account,) = doc["data"]
    assert account["type"] == "account" and account["id"] == emu.account_id == derived_account_id(3)
    assert account["links"]["self"] == f"{emu.base_url}/api/accounts/{emu.account_id}/"
    assert doc["links"]["self"] == f"{emu.base_url}/api/accounts/"
    attrs = account["attributes"]
    assert attrs == {
        "test_account": True,
        "contact_information": {
            "default_sender_name": "Northwind",
            "default_sender_email": f"contact@{emu.account_id.lower()}.example.com",
            "website_url": None, "organization_name": "Northwind",
            "street_address": {"address1": "Unter den Linden 1", "address2": None, "city": "Berlin",
                               "region": "BE", "country": "DE", "zip": "10117"}},
        "industry": None, "timezone": "Europe/Berlin", "preferred_currency": "EUR",
        "public_api_key": emu.account_id, "locale": "de-DE",
    }
    single = get(emu, f"accounts/{emu.account_id}")
    assert single.status_code == 200 and single.json()["data"] == account
    assert single.json()["links"]["self"] == f"{emu.base_url}/api/accounts/{emu.account_id}/"


def test_accounts_sparse_fieldsets_and_parameters(emulator):
    fields = "timezone,contact_information.street_address.city,contact_information.organization_name"
    attrs = get(emulator, "accounts", **{"fields[account]": fields}).json()["data"][0]["attributes"]
    assert attrs == {"timezone": "America/New_York",
                     "contact_information": {"street_address": {"city": "Boston"},
                                             "organization_name": f"Emulator Store {emulator.account_id}"}}
    for params in ({"page[size]": "1"}, {"filter": "equals(id,'x')"}, {"fields[account]": "colour"},
                   {"fields[account]": "contact_information.colour"}, {"include": "x"}):
        resp = get(emulator, "accounts", **params)
        assert resp.status_code == 400, params
        assert error_of(resp)["source"]["parameter"] == next(iter(params))
    assert get(emulator, f"accounts/{emulator.account_id}", **{"page[cursor]": "x"}).status_code == 400
    resp = requests.get(f"{emulator.base_url}/api/accounts/{emulator.account_id}/profiles",
                        headers=emulator.headers(), timeout=10)
    assert resp.status_code == 404


def test_accounts_need_the_accounts_read_scope(make_emulator):
    emu = make_emulator(scopes=("metrics:read", "profiles:read", "events:read"))
    for path in ("accounts", f"accounts/{emu.account_id}"):
        resp = get(emu, path)
        assert resp.status_code == 403
        assert error_of(resp)["code"] == "permission_denied" and "accounts:read" in error_of(resp)["detail"]
    assert get(emu, "metrics").status_code == 200


def test_accounts_rate_limit_is_1_per_second_15_per_minute(make_emulator):
    emu = make_emulator(rate_limit_scale=1.0)
    with requests.Session() as s:
        first = get(emu, "accounts", s)
        assert first.status_code == 200 and first.headers["RateLimit-Limit"] == "15"
        throttled = wait_until(lambda: (r := get(emu, "accounts", s)).status_code == 429 and [r],
                               timeout=5)[0]
        assert error_of(throttled)["code"] == "throttled" and int(throttled.headers["Retry-After"]) >= 1
        assert get(emu, "metrics", s).status_code == 200  # other endpoints keep their own budgets
    assert emu.emulator.stats.throttled["accounts"] >= 1


# --- several accounts on one server --------------------------------------------------------------------

def test_two_accounts_fixture_serves_each_key_its_own_account(two_accounts):
    alpha, beta = two_accounts.alpha, two_accounts["beta"]
    assert two_accounts.names == ["alpha", "beta"]
    assert alpha.base_url == beta.base_url == two_accounts.base_url == two_accounts.server.base_url
    assert alpha.api_key != beta.api_key and alpha.account_id != beta.account_id
    assert os.environ["KLAVIYO_BASE_URL"] == two_accounts.base_url
    assert os.environ["SOURCES__KLAVIYO__ACCOUNTS__ALPHA__API_KEY"] == alpha.api_key
    assert os.environ["SOURCES__KLAVIYO__ACCOUNTS__BETA__API_KEY"] == beta.api_key
    assert "KLAVIYO_API_KEY" not in os.environ and "SOURCES__KLAVIYO__API_KEY" not in os.environ
    for running in (alpha, beta):
        (account,) = get(running, "accounts").json()["data"]
        assert account["id"] == running.account_id
        assert get(running, f"accounts/{running.account_id}").status_code == 200
        assert account["attributes"]["contact_information"]["organization_name"] == (
            f"{running.emulator.config.organization_name}")
    # only your own account, as the real API: another account's id is not found for this key
    resp = get(alpha, f"accounts/{beta.account_id}")
    assert resp.status_code == 404 and error_of(resp)["code"] == "not_found"
    assert two_accounts.server.account(beta.account_id) is beta.emulator
    unknown = get(alpha, "metrics", headers={**alpha.headers(), "Authorization": "Klaviyo-API-Key pk_nobody"})
    assert unknown.status_code == 401 and error_of(unknown)["code"] == "not_authenticated"
    missing = get(alpha, "metrics", headers={"revision": "2026-07-15"})
    assert missing.status_code == 401 and error_of(missing)["code"] == "not_authenticated"
    assert (alpha.emulator.stats.requests, beta.emulator.stats.requests) == (3, 2)  # 401s count for no one


def test_exhausting_one_accounts_budget_never_throttles_another(make_accounts):
    accounts = make_accounts(2, rate_limit_scale=0.3)  # metrics: 3/s burst, 45/min steady, per account
    alpha, beta = accounts.alpha, accounts.beta
    with requests.Session() as s:
        wait_until(lambda: get(alpha, "metrics", s).status_code == 429, timeout=5)
        resp = get(beta, "metrics", s)
        assert resp.status_code == 200
        assert resp.headers["RateLimit-Remaining"] == "44"  # beta's own count: alpha's requests are not in it
    assert alpha.emulator.stats.throttled["metrics"] >= 1
    assert beta.emulator.stats.throttled == {}
    assert alpha.emulator.rate_limiter is not beta.emulator.rate_limiter


def test_control_endpoints_address_one_account(two_accounts):
    alpha, beta = two_accounts.alpha, two_accounts.beta
    base = two_accounts.base_url
    listed = _control(base, "GET", "accounts").json()["accounts"]
    assert [a["account_id"] for a in listed] == [alpha.account_id, beta.account_id]
    assert [a["api_key"] for a in listed] == [alpha.api_key, beta.api_key]
    # faults on beta only (query parameter)
    resp = _control(base, "POST", "faults", params={"account": beta.account_id}, json={"p503": 1.0})
    assert resp.status_code == 200 and resp.json()["account_id"] == beta.account_id
    assert get(beta, "metrics").status_code == 503
    assert get(alpha, "metrics").status_code == 200
    # growth on beta only (JSON field)
    before = alpha.emulator.counts()["events"], beta.emulator.counts()["events"]
    grown = _control(base, "POST", "grow", json={"account": beta.account_id, "new_events": 10})
    assert grown.status_code == 200 and grown.json()["events"] == before[1] + 10
    after = alpha.emulator.counts()["events"], beta.emulator.counts()["events"]
    assert after == (before[0], before[1] + 10)
    # stats per account; without ?account the first served account
    stats = _control(base, "GET", "stats", params={"account": beta.account_id}).json()
    assert stats["account_id"] == beta.account_id and stats["faults"] == {"503": 1}
    default = _control(base, "GET", "stats").json()
    assert default["account_id"] == alpha.account_id and default["faults"] == {}
    assert default["statuses"] == {"200": 1}
    missing = _control(base, "GET", "stats", params={"account": "NOPE00"})
    assert missing.status_code == 404 and alpha.account_id in missing.json()["error"]


def test_keys_and_account_ids_must_be_distinct():
    a = Emulator(replace(TEST_CONFIG, seed=1, api_key="pk_same"))
    with pytest.raises(ValueError, match="api keys must be distinct"):
        serve_accounts([a, Emulator(replace(TEST_CONFIG, seed=2, api_key="pk_same"))])
    with pytest.raises(ValueError, match="ids must be distinct"):
        EmulatorServer([a, Emulator(replace(TEST_CONFIG, seed=1, api_key="pk_other"))])
    with pytest.raises(ValueError, match="at least one"):
        EmulatorServer([])


def test_serve_accounts_sets_each_base_url_and_truth_links():
    emulators = [Emulator(replace(TEST_CONFIG, seed=s, api_key=f"pk_{s}")) for s in (1, 2)]
    with serve_accounts(emulators) as server:
        assert server.emulators == tuple(emulators) and server.emulator is emulators[0]
        for emu in emulators:
            assert emu.base_url == server.base_url
            assert emu.truth.metrics()[0]["links"]["self"].startswith(server.base_url)


# --- ids colliding across accounts ---------------------------------------------------------------------

def _pair() -> tuple[Emulator, Emulator]:
    """Two accounts with the same id_seed, different seeds, built an hour apart."""
    a = Emulator(replace(TEST_CONFIG, seed=1, id_seed=77), anchor_us=ANCHOR_US)
    b = Emulator(replace(TEST_CONFIG, seed=2, id_seed=77), anchor_us=ANCHOR_US + 3_600_000_000)
    return a, b


def _events_by_seq(emu: Emulator) -> dict[int, dict]:
    return {int(e["attributes"]["event_properties"]["$event_id"]): e for e in emu.truth.events()}


def test_same_id_seed_gives_the_same_ids_with_different_content():
    a, b = _pair()
    metrics_a, metrics_b = a.truth.metrics(), b.truth.metrics()
    assert [m["id"] for m in metrics_a] == [m["id"] for m in metrics_b]
    assert [m["attributes"]["created"] for m in metrics_a] != [m["attributes"]["created"] for m in metrics_b]
    pa, pb = a.snapshot.profiles, b.snapshot.profiles
    assert (pa.ids == pb.ids).all() and len(set(pa.ids.tolist())) == len(pa.ids)
    assert (pa.created_us != pb.created_us).any()
    prof_a = {p["id"]: p["attributes"] for p in a.truth.profiles()}
    prof_b = {p["id"]: p["attributes"] for p in b.truth.profiles()}
    assert prof_a.keys() == prof_b.keys()
    assert all(prof_a[i]["email"] != prof_b[i]["email"] for i in prof_a)
    assert sum(prof_a[i]["first_name"] != prof_b[i]["first_name"] for i in prof_a) == len(prof_a)
    ev_a, ev_b = _events_by_seq(a), _events_by_seq(b)
    assert ev_a.keys() == ev_b.keys()
    assert all(ev_a[s]["id"] == ev_b[s]["id"] for s in ev_a)
    assert len({e["id"] for e in ev_a.values()}) == len(ev_a)
    same_dt = sum(ev_a[s]["attributes"]["datetime"] == ev_b[s]["attributes"]["datetime"] for s in ev_a)
    assert same_dt < len(ev_a) // 100
    values_a = [e["attributes"]["event_properties"].get("$value") for e in ev_a.values()]
    values_b = [e["attributes"]["event_properties"].get("$value") for e in ev_b.values()]
    assert values_a != values_b


def test_colliding_ids_survive_growth_and_differ_without_id_seed():
    a, b = _pair()
    a.grow(new_profiles=5, new_events=20, now_us=ANCHOR_US + 7_200_000_000)
    b.grow(new_profiles=3, new_events=20, now_us=ANCHOR_US + 7_200_000_000)
    ids_a, ids_b = a.snapshot.profiles.ids, b.snapshot.profiles.ids
    assert (ids_a[: len(ids_b)] == ids_b).all()  # the overlapping index range collides
    assert len(set(ids_a.tolist())) == len(ids_a)
    plain_a = Emulator(replace(TEST_CONFIG, seed=1), anchor_us=ANCHOR_US)
    plain_b = Emulator(replace(TEST_CONFIG, seed=2), anchor_us=ANCHOR_US)
    assert not set(plain_a.snapshot.profiles.ids.tolist()) & set(plain_b.snapshot.profiles.ids.tolist())
    assert {m["id"] for m in plain_a.truth.metrics()}.isdisjoint(m["id"] for m in plain_b.truth.metrics())
    # id_seed=None keeps the ids as before: from seed (and, for profiles, their creation time)
    same = Emulator(replace(TEST_CONFIG, seed=1, id_seed=None), anchor_us=ANCHOR_US)
    assert np.array_equal(same.snapshot.profiles.ids, plain_a.snapshot.profiles.ids)
    assert str(plain_a.snapshot.profiles.ids[0])[:10] != str(a.snapshot.profiles.ids[0])[:10]


def test_colliding_ids_over_http(two_accounts):
    alpha, beta = two_accounts.alpha, two_accounts.beta
    events_a = {e["id"]: e for e in fetch_all(alpha, "events", **{"page[size]": 1000})}
    events_b = {e["id"]: e for e in fetch_all(beta, "events", **{"page[size]": 1000})}
    shared = events_a.keys() & events_b.keys()
    assert len(shared) == len(events_a) == len(events_b)
    assert sum(events_a[i]["attributes"]["datetime"] != events_b[i]["attributes"]["datetime"]
               for i in shared) > len(shared) * 0.9
    profiles_a = {p["id"]: p for p in fetch_all(alpha, "profiles", **{"page[size]": 100})}
    profiles_b = {p["id"]: p for p in fetch_all(beta, "profiles", **{"page[size]": 100})}
    assert profiles_a.keys() == profiles_b.keys()
    emails_a = {i: p["attributes"]["email"] for i, p in profiles_a.items()}
    assert all(emails_a[i] != p["attributes"]["email"] for i, p in profiles_b.items())


def test_id_seed_keeps_building_fast():
    import time

    started = time.perf_counter()
    Emulator(EmulatorConfig(profiles=100_000, events=1_000_000, id_seed=5))
    assert time.perf_counter() - started < 10  # about a second on a laptop; generous for CI


# --- revoking a key mid-run ----------------------------------------------------------------------------

def test_revoked_key_is_401_and_other_accounts_keep_working(two_accounts):
    alpha, beta = two_accounts.alpha, two_accounts.beta
    assert get(alpha, "events").status_code == 200
    alpha.emulator.revoke_key()
    for path in ("events", "profiles", "metrics", "accounts", f"accounts/{alpha.account_id}"):
        resp = get(alpha, path)
        assert resp.status_code == 401, path
        assert error_of(resp)["code"] == "not_authenticated"
        assert get(beta, path if "/" not in path else f"accounts/{beta.account_id}").status_code == 200
    assert alpha.emulator.key_revoked and not beta.emulator.key_revoked
    alpha.emulator.restore_key()
    assert get(alpha, "metrics").status_code == 200


def test_revoke_and_restore_by_control_endpoint(two_accounts):
    alpha, beta = two_accounts.alpha, two_accounts.beta
    base = two_accounts.base_url
    resp = _control(base, "POST", "revoke", params={"account": beta.account_id})
    assert resp.json() == {"account_id": beta.account_id, "key_revoked": True}
    assert get(beta, "metrics").status_code == 401
    assert get(alpha, "metrics").status_code == 200
    listed = {a["account_id"]: a["key_revoked"] for a in _control(base, "GET", "accounts").json()["accounts"]}
    assert listed == {alpha.account_id: False, beta.account_id: True}
    assert _control(base, "POST", "restore", json={"account": beta.account_id}).json()["key_revoked"] is False
    assert get(beta, "metrics").status_code == 200


def test_revoking_the_only_account(emulator):
    assert _control(emulator.base_url, "POST", "revoke").json()["key_revoked"] is True
    resp = get(emulator, "profiles")
    assert resp.status_code == 401 and error_of(resp)["detail"] == "Incorrect authentication credentials."
    assert emulator.emulator.stats.statuses[401] == 1
