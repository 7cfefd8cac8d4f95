"""Emulator responses validate against Klaviyo's OpenAPI response schemas (revision 2026-07-15), and
every parameter, filter, sort, include and limit the emulator accepts is declared in the spec."""

from __future__ import annotations

import re

import jsonschema
import pytest

from loader.emulator.config import ALL_SCOPES
from loader.emulator.routes import LIMITS, SCOPES, SPECS
from tests.emulator.helpers import get
from tests.emulator.openapi_schema import Converter, load_spec, operation

ENDPOINTS = ("events", "profiles", "metrics")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00$")


def _response_schema(endpoint: str) -> dict:
    spec = load_spec(endpoint)
    content = operation(spec)["responses"]["200"]["content"]["application/vnd.api+json"]["schema"]
    schema = Converter(spec).convert(content)
    # The spec does not mark CollectionLinks.next/prev nullable, but the real API sends null on the
    # first/last page (developers.klaviyo.com api_overview: `"prev": null`); the emulator does the same.
    links = schema["properties"]["links"]["properties"]
    for key in ("next", "prev"):
        links[key] = {"anyOf": [links[key], {"type": "null"}]}
    return schema


def _error_schema(endpoint: str) -> dict:
    spec = load_spec(endpoint)
    body = spec["components"]["responses"]["ClientError"]["content"]["application/vnd.api+json"]["schema"]
    return Converter(spec, strict=False).convert(body)


def _datetimes(node, found: list[str]) -> list[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("datetime", "created", "updated", "consent_timestamp", "last_updated") and value:
                found.append(value)
            _datetimes(value, found)
    elif isinstance(node, list):
        for item in node:
            _datetimes(item, found)
    return found


@pytest.mark.parametrize(
    ("endpoint", "params"),
    [
        ("events", {"page[size]": 300}),
        ("events", {"include": "metric,profile", "sort": "-datetime"}),
        ("profiles", {"page[size]": 100}),
        ("profiles", {"page[size]": 100, "additional-fields[profile]": "subscriptions,predictive_analytics"}),
        ("metrics", {}),
    ],
)
def test_responses_validate_against_the_spec(emulator, endpoint, params):
    doc = get(emulator, endpoint, **params).json()
    assert doc["data"]
    jsonschema.Draft7Validator(_response_schema(endpoint)).validate(doc)
    assert all(DATETIME.match(v) for v in _datetimes(doc, [])), "datetimes in +00:00 ISO format"


def test_a_field_the_spec_lacks_would_fail_validation(emulator):
    doc = get(emulator, "metrics").json()
    doc["data"][0]["attributes"]["colour"] = "red"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(_response_schema("metrics")).validate(doc)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_error_bodies_validate_against_client_error(emulator, endpoint):
    validator = jsonschema.Draft7Validator(_error_schema(endpoint))
    unauthenticated = get(emulator, endpoint, headers={"revision": "2026-07-15"})
    for resp in (get(emulator, endpoint, bogus="1"), unauthenticated, get(emulator, endpoint, filter="x(")):
        assert 400 <= resp.status_code < 500
        validator.validate(resp.json())


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_accepted_parameters_are_declared_in_the_spec(endpoint):
    op = operation(load_spec(endpoint))
    ours = SPECS[endpoint]
    declared = {p["name"]: p for p in op["parameters"] if p["in"] == "query"}
    assert ours.params <= declared.keys()
    assert [p["name"] for p in op["parameters"] if p["in"] == "header"] == ["revision"]
    if ours.sorts:
        assert set(ours.sorts) <= set(declared["sort"]["schema"]["enum"])
    if ours.page_size:
        schema = declared["page[size]"]["schema"]
        assert ours.page_size == (schema["default"], schema["maximum"])
    else:
        assert "page[size]" not in declared
    assert set(ours.includes) <= set(declared["include"]["schema"]["items"]["enum"])
    for kind, allowed in ours.fields.items():
        assert set(allowed) <= set(declared[f"fields[{kind}]"]["schema"]["items"]["enum"]), kind
    if ours.additional:
        assert set(ours.additional) == set(declared["additional-fields[profile]"]["schema"]["items"]["enum"])


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_filters_scopes_and_rate_limits_match_the_spec(endpoint):
    op = operation(load_spec(endpoint))
    declared = op["x-klaviyo-filters"]
    for field, rule in SPECS[endpoint].filters.items():
        spec_ops = {o for group in declared[field]["operators"].values() for o in group}
        assert set(rule.operators) <= spec_ops, field
    assert op["x-klaviyo-scopes"] == [f"{endpoint}:read"]
    limit = op["x-klaviyo-ratelimit"]
    burst, steady = LIMITS[endpoint]
    assert (limit["burst"], limit["steady"]) == (f"{burst}/s", f"{steady}/m")
    if endpoint == "profiles":
        assert "greater-or-equal" not in {o for g in declared["updated"]["operators"].values() for o in g}
        burst, steady = LIMITS["profiles:predictive_analytics"]
        predictive_text = op["description"].split("predictive_analytics")[-1]
        assert f"Burst: `{burst}/s`<br>Steady: `{steady}/m`" in predictive_text


def _account_resource_schema() -> dict:
    spec = load_spec("accounts")
    return Converter(spec).convert(spec["components"]["schemas"]["AccountResponseObjectResource"])


def test_accounts_responses_validate_against_the_spec(emulator):
    doc = get(emulator, "accounts").json()
    assert len(doc["data"]) == 1  # "This will return 1 account object within the array."
    jsonschema.Draft7Validator(_response_schema("accounts")).validate(doc)
    account_id = doc["data"][0]["id"]
    single = get(emulator, f"accounts/{account_id}").json()
    jsonschema.Draft7Validator(_account_resource_schema()).validate(single["data"])
    assert single["data"] == doc["data"][0]


def test_accounts_error_bodies_validate_against_client_error(emulator):
    validator = jsonschema.Draft7Validator(_error_schema("accounts"))
    unauthenticated = get(emulator, "accounts", headers={"revision": "2026-07-15"})
    bad_field = get(emulator, "accounts", **{"fields[account]": "colour"})
    for resp in (get(emulator, "accounts", bogus="1"), unauthenticated, bad_field,
                 get(emulator, "accounts/XXXXXX")):
        assert 400 <= resp.status_code < 500
        validator.validate(resp.json())


def test_accounts_parameters_scopes_and_rate_limits_match_the_spec():
    op = operation(load_spec("accounts"))
    declared = {p["name"]: p for p in op["parameters"] if p["in"] == "query"}
    assert [p["name"] for p in op["parameters"] if p["in"] == "header"] == ["revision"]
    for endpoint in ("accounts", "account"):
        ours = SPECS[endpoint]
        assert ours.params == declared.keys()
        assert set(ours.fields["account"]) == set(declared["fields[account]"]["schema"]["items"]["enum"])
        assert op["x-klaviyo-scopes"] == [SCOPES[endpoint]]
        burst, steady = LIMITS[endpoint]
        assert (op["x-klaviyo-ratelimit"]["burst"], op["x-klaviyo-ratelimit"]["steady"]) == (
            f"{burst}/s", f"{steady}/m")
    assert "accounts:read" in ALL_SCOPES
