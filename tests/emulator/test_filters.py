"""Every filter operator the emulator accepts, checked against ground truth; rejected ones are 400."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from loader.emulator.filters import Condition, parse
from tests.emulator.helpers import error_of, fetch_all, get


def _iso(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _ids(rows):
    return [r["id"] for r in rows]


@pytest.fixture
def pivot(emulator):
    """A datetime shared by several events (ties exercise the inclusive/exclusive edges)."""
    events = emulator.emulator.truth.events()
    return events[len(events) // 2]["attributes"]["datetime"]


def test_parser_reads_quotes_lists_and_nesting():
    conditions = parse("and(equals(metric_id,'abc'),greater-than(datetime,2024-01-01T00:00:00Z)),"
                       'any(email,["a@x.com","b@x.com"]),less-than(timestamp,17)')
    assert conditions == [
        Condition("equals", "metric_id", "abc"),
        Condition("greater-than", "datetime", "2024-01-01T00:00:00Z"),
        Condition("any", "email", ["a@x.com", "b@x.com"]),
        Condition("less-than", "timestamp", 17),
    ]


@pytest.mark.parametrize(
    ("op", "keep"),
    [
        ("greater-than", lambda d, p: d > p),
        ("greater-or-equal", lambda d, p: d >= p),
        ("less-than", lambda d, p: d < p),
        ("less-or-equal", lambda d, p: d <= p),
    ],
)
def test_event_datetime_and_timestamp_operators(emulator, pivot, op, keep):
    truth = emulator.emulator.truth.events()
    p = _iso(pivot)
    expected = [e["id"] for e in truth if keep(_iso(e["attributes"]["datetime"]), p)]
    assert 0 < len(expected) < len(truth)
    by_datetime = fetch_all(emulator, "events", filter=f"{op}(datetime,{pivot})", **{"page[size]": 1000})
    assert _ids(by_datetime) == expected
    by_timestamp = fetch_all(emulator, "events", filter=f"{op}(timestamp,{int(p.timestamp())})",
                             **{"page[size]": 1000})
    assert _ids(by_timestamp) == expected


def test_event_metric_filter_combined_with_commas_and_and(emulator, pivot):
    truth = emulator.emulator.truth
    metric_id = truth.metrics()[1]["id"]
    p = _iso(pivot)
    expected = [e["id"] for e in truth.events(since=p, metric_ids=[metric_id])]
    assert expected
    for expr in (f"equals(metric_id,'{metric_id}'),greater-or-equal(datetime,{pivot})",
                 f'and(equals(metric_id,"{metric_id}"),greater-or-equal(datetime,{pivot}))'):
        assert _ids(fetch_all(emulator, "events", filter=expr, **{"page[size]": 50})) == expected
    rows = fetch_all(emulator, "events", filter=f"equals(metric_id,'{metric_id}')", **{"page[size]": 1000})
    assert {r["relationships"]["metric"]["data"]["id"] for r in rows} == {metric_id}
    assert len(rows) == len(truth.events(metric_ids=[metric_id]))
    assert get(emulator, "events", filter="equals(metric_id,'nope00')").json()["data"] == []


def test_event_window_between_two_datetimes(emulator, pivot):
    p = _iso(pivot)
    since, until = p - timedelta(days=20), p
    expected = [e["id"] for e in emulator.emulator.truth.events(since=since, until=until)]
    expr = f"greater-or-equal(datetime,{since.isoformat()}),less-than(datetime,{until.isoformat()})"
    assert _ids(fetch_all(emulator, "events", filter=expr, **{"page[size]": 100})) == expected


@pytest.mark.parametrize("field", ["updated", "created"])
def test_profile_greater_than_and_less_than(emulator, field):
    truth = emulator.emulator.truth.profiles(additional_fields=())
    values = sorted(_iso(r["attributes"][field]) for r in truth)
    pivot = values[len(values) // 2]
    stamp = pivot.isoformat().replace("+00:00", "Z")
    after = {r["id"] for r in truth if _iso(r["attributes"][field]) > pivot}
    before = {r["id"] for r in truth if _iso(r["attributes"][field]) < pivot}
    assert set(_ids(fetch_all(emulator, "profiles", filter=f"greater-than({field},{stamp})"))) == after
    assert set(_ids(fetch_all(emulator, "profiles", filter=f"less-than({field},{stamp})"))) == before
    got = fetch_all(emulator, "profiles", sort=field, filter=f"greater-than({field},{stamp})")
    assert [_iso(r["attributes"][field]) for r in got] == sorted(_iso(r["attributes"][field]) for r in got)


def test_profile_id_and_email_equality(emulator):
    first, second = emulator.emulator.truth.profiles(additional_fields=())[:2]
    got = get(emulator, "profiles", filter=f"equals(email,'{first['attributes']['email']}')").json()["data"]
    assert _ids(got) == [first["id"]]
    got = get(emulator, "profiles", filter=f'any(id,["{first["id"]}","{second["id"]}"])').json()["data"]
    assert sorted(_ids(got)) == sorted([first["id"], second["id"]])


def test_profile_phone_and_external_id_equality(emulator):
    truth = emulator.emulator.truth.profiles(additional_fields=())
    with_phone = [p for p in truth if p["attributes"]["phone_number"]]
    with_external = [p for p in truth if p["attributes"]["external_id"]]
    assert 0 < len(with_phone) < len(truth) and 0 < len(with_external) < len(truth)
    phone = with_phone[3]["attributes"]["phone_number"]
    got = get(emulator, "profiles", filter=f"equals(phone_number,'{phone}')").json()["data"]
    assert _ids(got) == [with_phone[3]["id"]]
    wanted = [p["attributes"]["external_id"] for p in with_external[:3]]
    got = get(emulator, "profiles", filter=f"any(external_id,{wanted!r})".replace("'", '"')).json()["data"]
    assert sorted(_ids(got)) == sorted(p["id"] for p in with_external[:3])


def test_metric_integration_filters(emulator):
    rows = get(emulator, "metrics", filter="equals(integration.name,'Shopify')").json()["data"]
    assert rows and {r["attributes"]["integration"]["name"] for r in rows} == {"Shopify"}
    rows = get(emulator, "metrics", filter="equals(integration.category,'Internal')").json()["data"]
    assert rows and {r["attributes"]["integration"]["name"] for r in rows} == {"Klaviyo"}


@pytest.mark.parametrize(
    ("endpoint", "expr"),
    [
        ("profiles", "greater-or-equal(updated,2024-01-01T00:00:00Z)"),  # as the real API: 400
        ("profiles", "less-or-equal(created,2024-01-01T00:00:00Z)"),
        ("profiles", "greater-than(datetime,2024-01-01T00:00:00Z)"),
        ("events", "greater-than(updated,2024-01-01T00:00:00Z)"),
        ("events", "greater-than(datetime,yesterday)"),
        ("events", "greater-than(timestamp,'17')"),
        ("events", "equals(metric_id,abc"),
        ("events", "or(equals(metric_id,'a'),equals(metric_id,'b'))"),
        ("events", "equals(metric_id,'a') trailing"),
        ("metrics", "equals(name,'Placed Order')"),
    ],
)
def test_rejected_filters_are_400_on_the_filter_parameter(emulator, endpoint, expr):
    resp = get(emulator, endpoint, filter=expr)
    assert resp.status_code == 400, expr
    error = error_of(resp)
    assert error["code"] == "invalid"
    assert error["source"] == {"parameter": "filter"}


def test_filter_datetimes_accept_offsets_and_fractions(emulator, pivot):
    p = _iso(pivot)
    shifted = p.astimezone(timezone(timedelta(hours=-7))).isoformat(timespec="milliseconds")
    a = fetch_all(emulator, "events", filter=f"greater-than(datetime,{shifted})", **{"page[size]": 1000})
    b = fetch_all(emulator, "events", filter=f"greater-than(datetime,{pivot})", **{"page[size]": 1000})
    assert _ids(a) == _ids(b)
