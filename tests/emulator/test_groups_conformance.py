"""List, segment and member responses validate against Klaviyo's OpenAPI response schemas (revision
2026-07-15), and the parameters, filters, sorts, page sizes, fields, scopes and rate limits the emulator
declares for them are exactly the spec's (`_kx`, a Klaviyo tracking cookie, is the one filter left out:
400); so are the suppression filters and sorts of /api/profiles."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema
import pytest

from loader.emulator.endpoints.profiles import LIST_SUPPRESSIONS, SUPPRESSION
from loader.emulator.routes import LIMITS, OPERATIONS, SPECS
from tests.emulator.helpers import get
from tests.emulator.openapi_schema import SPEC_DIR, Converter, operation

FILES = {"lists": "get_lists", "segments": "get_segments", "list-profiles": "get_profiles_for_list",
         "segment-profiles": "get_profiles_for_segment"}
NOT_EMULATED = {"_kx"}


@cache
def _load(name: str) -> dict[str, Any]:
    return json.loads((SPEC_DIR / f"{FILES.get(name, name)}.json").read_text())


def _any_of(node: Any) -> Any:
    """oneOf -> anyOf: several segment condition and filter schemas overlap, so a value can match more
    than one; with every object closed (additionalProperties false) anyOf still checks each field."""
    if isinstance(node, list):
        return [_any_of(n) for n in node]
    if isinstance(node, dict):
        return {("anyOf" if k == "oneOf" else k): _any_of(v) for k, v in node.items()}
    return node


@cache
def _schema(name: str) -> dict[str, Any]:
    spec = _load(name)
    content = operation(spec)["responses"]["200"]["content"]["application/vnd.api+json"]["schema"]
    schema = _any_of(Converter(spec).convert(content))
    links = schema["properties"]["links"]["properties"]
    for key in ("next", "prev"):  # null on the first/last page, as the real API
        links[key] = {"anyOf": [links[key], {"type": "null"}]}
    return schema


def _validate(name: str, doc: dict[str, Any]) -> None:
    assert doc["data"]
    jsonschema.Draft7Validator(_schema(name)).validate(doc)


def test_lists_and_segments_validate(emulator):
    _validate("lists", get(emulator, "lists").json())
    _validate("segments", get(emulator, "segments").json())


@pytest.mark.parametrize("kind", ["list", "segment"])
def test_members_validate_with_every_additional_field(emulator, kind):
    truth = emulator.emulator.truth
    group = (truth.lists() if kind == "list" else truth.segments())[0]
    name = f"{kind}-profiles"
    path = f"{kind}s/{group['id']}/profiles"
    _validate(name, get(emulator, path, **{"page[size]": 100}).json())
    every = {"page[size]": 100, "additional-fields[profile]": "subscriptions,predictive_analytics"}
    _validate(name, get(emulator, path, **every).json())


def test_deleted_profile_and_suppressed_subscriptions_validate(emulator):
    emulator.emulator.grow(new_suppressions=10, list_leaves=4)
    spec = json.loads((SPEC_DIR / "get_profiles.json").read_text())
    content = operation(spec)["responses"]["200"]["content"]["application/vnd.api+json"]["schema"]
    schema = Converter(spec).convert(content)
    for key in ("next", "prev"):
        links = schema["properties"]["links"]["properties"]
        links[key] = {"anyOf": [links[key], {"type": "null"}]}
    params = {"page[size]": 100, "additional-fields[profile]": "subscriptions"}
    since = "2000-01-01T00:00:00Z"
    doc = get(emulator, "profiles", filter=f"greater-than({SUPPRESSION}.timestamp,{since})", **params).json()
    assert len(doc["data"]) >= 10
    jsonschema.Draft7Validator(schema).validate(doc)
    doc = get(emulator, "profiles", filter=f"greater-than({LIST_SUPPRESSIONS}.timestamp,{since})",
              **params).json()
    assert doc["data"]
    jsonschema.Draft7Validator(schema).validate(doc)


def test_a_field_the_spec_lacks_fails_validation(emulator):
    doc = get(emulator, "lists").json()
    doc["data"][0]["attributes"]["colour"] = "red"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(_schema("lists")).validate(doc)


@pytest.mark.parametrize("name", list(FILES))
def test_parameters_filters_scopes_and_limits_match_the_spec(name):
    op = operation(_load(name))
    ours = SPECS[name]
    declared = {p["name"]: p for p in op["parameters"] if p["in"] == "query"}
    assert ours.params == set(declared)
    assert set(ours.sorts) == set(declared["sort"]["schema"]["enum"])
    schema = declared["page[size]"]["schema"]
    assert ours.page_size == (schema["default"], schema["maximum"])
    if ours.includes:
        assert set(ours.includes) == set(declared["include"]["schema"]["items"]["enum"])
    for kind, allowed in ours.fields.items():
        assert set(allowed) <= set(declared[f"fields[{kind}]"]["schema"]["items"]["enum"]), kind
        if kind != "profile":  # the member endpoints' profile fields: every one the emulator renders
            assert set(allowed) == set(declared[f"fields[{kind}]"]["schema"]["items"]["enum"]), kind
    if ours.additional:
        assert set(ours.additional) == set(declared["additional-fields[profile]"]["schema"]["items"]["enum"])
    spec_filters = op["x-klaviyo-filters"]
    assert set(ours.filters) == set(spec_filters) - NOT_EMULATED
    for field, rule in ours.filters.items():
        spec_ops = {o for group in spec_filters[field]["operators"].values() for o in group}
        assert set(rule.operators) == spec_ops, field
    (operation_,) = [o for o in OPERATIONS if o.name == name]
    assert sorted(operation_.scopes) == sorted(op["x-klaviyo-scopes"])
    burst, steady = LIMITS[name]
    assert (op["x-klaviyo-ratelimit"]["burst"], op["x-klaviyo-ratelimit"]["steady"]) == (f"{burst}/s",
                                                                                       f"{steady}/m")
    predictive = "predictive_analytics` parameter" in op["description"]
    assert predictive == (f"{name}:predictive_analytics" in LIMITS)
    if predictive:
        burst, steady = LIMITS[f"{name}:predictive_analytics"]
        text = op["description"].split("predictive_analytics")[-1]
        assert f"Burst: `{burst}/s`<br>Steady: `{steady}/m`" in text


def test_profile_suppression_filters_and_sorts_are_the_specs():
    op = operation(json.loads((SPEC_DIR / "get_profiles.json").read_text()))
    declared = op["x-klaviyo-filters"]
    ours = SPECS["profiles"]
    suppression = {f for f in declared if f.startswith("subscriptions.")}
    assert suppression and suppression <= set(ours.filters)
    for field in suppression:
        spec_ops = {o for g in declared[field]["operators"].values() for o in g}
        assert set(ours.filters[field].operators) == spec_ops, field
    sorts = next(p for p in op["parameters"] if p["name"] == "sort")["schema"]["enum"]
    assert {s for s in sorts if "subscriptions" in s} <= set(ours.sorts)
