"""Page sizes, unknown parameters, sorts, include, additional-fields and sparse fieldsets."""

from __future__ import annotations

import pytest

from tests.emulator.helpers import error_of, get


@pytest.mark.parametrize(
    ("endpoint", "default", "maximum"), [("profiles", 20, 100), ("events", 200, 1000)]
)
def test_page_size_default_maximum_and_beyond(emulator, endpoint, default, maximum):
    assert len(get(emulator, endpoint).json()["data"]) == default
    assert len(get(emulator, endpoint, **{"page[size]": maximum}).json()["data"]) == min(
        maximum, len(emulator.emulator.snapshot.profiles) if endpoint == "profiles" else maximum)
    for bad in (maximum + 1, 0, -1, "ten"):
        resp = get(emulator, endpoint, **{"page[size]": bad})
        assert resp.status_code == 400, bad
        assert error_of(resp)["source"]["parameter"] == "page[size]"


def test_metrics_take_no_page_size(emulator):
    resp = get(emulator, "metrics", **{"page[size]": 5})
    assert resp.status_code == 400
    assert error_of(resp)["source"]["parameter"] == "page[size]"


@pytest.mark.parametrize(
    ("endpoint", "param", "value"),
    [
        ("events", "color", "red"),
        ("events", "sort", "-updated"),
        ("profiles", "sort", "datetime"),
        ("events", "include", "profiless"),
        ("profiles", "include", "metric"),
        ("profiles", "additional-fields[profile]", "lists"),
        ("events", "fields[event]", "name"),
        ("metrics", "sort", "name"),
    ],
)
def test_invalid_parameters_are_400_naming_the_parameter(emulator, endpoint, param, value):
    resp = get(emulator, endpoint, **{param: value})
    assert resp.status_code == 400
    error = error_of(resp)
    assert error["code"] == "invalid"
    assert error["source"]["parameter"] == param


def test_include_metric_and_profile_returns_the_related_resources(emulator):
    doc = get(emulator, "events", include="metric,profile", **{"page[size]": 50}).json()
    related = {(r["data"]["type"], r["data"]["id"])
               for e in doc["data"] for r in (e["relationships"]["metric"], e["relationships"]["profile"])}
    included = {(r["type"], r["id"]) for r in doc["included"]}
    assert included == related
    assert all("name" in r["attributes"] for r in doc["included"] if r["type"] == "metric")
    assert "included" not in get(emulator, "events").json()


def test_additional_fields_add_subscriptions_and_predictive_analytics(emulator):
    plain = get(emulator, "profiles").json()["data"][0]["attributes"]
    assert "subscriptions" not in plain and "predictive_analytics" not in plain
    doc = get(emulator, "profiles", **{"additional-fields[profile]": "subscriptions,predictive_analytics"})
    attrs = doc.json()["data"][0]["attributes"]
    assert attrs["subscriptions"]["email"]["marketing"]["consent"] in (
        "SUBSCRIBED", "UNSUBSCRIBED", "NEVER_SUBSCRIBED")
    assert set(attrs["predictive_analytics"]) >= {"historic_clv", "predicted_clv", "churn_probability"}
    assert {k: v for k, v in attrs.items() if k not in ("subscriptions", "predictive_analytics")} == plain


def test_sparse_fieldsets(emulator):
    event = get(emulator, "events", **{"fields[event]": "datetime,uuid"}).json()["data"][0]
    assert set(event["attributes"]) == {"datetime", "uuid"}
    profile = get(emulator, "profiles", **{"fields[profile]": "email,location.city"}).json()["data"][0]
    assert set(profile["attributes"]) == {"email", "location"}
    assert set(profile["attributes"]["location"]) == {"city"}
    metric = get(emulator, "metrics", **{"fields[metric]": "name"}).json()["data"][0]
    assert set(metric["attributes"]) == {"name"}


def test_sorts_order_rows(emulator):
    for endpoint, sort, key in (("events", "datetime", "datetime"), ("events", "-timestamp", "timestamp"),
                                ("profiles", "-updated", "updated"), ("profiles", "email", "email"),
                                ("profiles", "created", "created")):
        rows = get(emulator, endpoint, sort=sort, **{"page[size]": 100}).json()["data"]
        values = [r["attributes"][key] for r in rows]
        assert values == sorted(values, reverse=sort.startswith("-")), sort
    ids = [r["id"] for r in get(emulator, "profiles", sort="-id", **{"page[size]": 100}).json()["data"]]
    assert ids == sorted(ids, reverse=True)
