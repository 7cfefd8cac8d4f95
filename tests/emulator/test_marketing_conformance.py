"""Campaign and flow responses, and events with `include=attributions`, validate against Klaviyo's
OpenAPI response schemas (revision 2026-07-15), and the parameters, filters, sorts, includes, page
sizes, scopes and rate limits the emulator declares for them are those of the spec."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import jsonschema
import pytest

from loader.emulator.routes import LIMITS, SCOPES, SPECS
from tests.emulator.helpers import get
from tests.emulator.openapi_schema import SPEC_DIR, Converter, operation

# emulator operation name -> Klaviyo's operationId (the file in tests/emulator/openapi/)
FILES = {"campaigns": "get_campaigns", "campaign-messages": "get_messages_for_campaign", "flows": "get_flows",
         "flow-actions": "get_actions_for_flow", "flow-messages": "get_flow_action_messages"}
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$")
EMAIL = "equals(messages.channel,'email')"


@cache
def _load(name: str) -> dict[str, Any]:
    return json.loads((SPEC_DIR / f"{FILES.get(name, 'get_' + name)}.json").read_text())


def _any_of(node: Any) -> Any:
    """oneOf -> anyOf: some of the spec's alternatives are identical (Email/SMS/PushSendOptions) or
    nested (CampaignsSMSTrackingOptions is a subset of the email one), so no value can match exactly
    one of them; with every object closed (additionalProperties false) anyOf still checks each field."""
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
    for key in ("next", "prev"):  # null on the first/last page, as the real API (see the events test)
        links[key] = {"anyOf": [links[key], {"type": "null"}]}
    return schema


def _datetimes(node: Any, found: list[str]) -> list[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("created", "updated", "created_at", "updated_at", "scheduled_at", "send_time",
                       "datetime") and isinstance(value, str):
                found.append(value)
            _datetimes(value, found)
    elif isinstance(node, list):
        for item in node:
            _datetimes(item, found)
    return found


def _validate(name: str, doc: dict[str, Any]) -> None:
    assert doc["data"]
    jsonschema.Draft7Validator(_schema(name)).validate(doc)
    assert all(DATETIME.match(v) for v in _datetimes(doc, [])), "datetimes in +00:00 ISO format"


@pytest.mark.parametrize("channel", ["email", "sms", "mobile_push"])
def test_campaigns_with_their_messages_validate(emulator, channel):
    for archived in ("true", "false"):
        both = f"equals(messages.channel,'{channel}'),equals(archived,{archived})"
        doc = get(emulator, "campaigns", filter=both,
                  include="campaign-messages").json()
        if not doc["data"]:
            continue
        _validate("campaigns", doc)
        assert {m["attributes"]["definition"]["channel"] for m in doc["included"]} == {channel}


def test_campaign_messages_validate(emulator):
    for campaign in emulator.emulator.truth.campaigns():
        doc = get(emulator, f"campaigns/{campaign['id']}/campaign-messages", include="campaign").json()
        _validate("campaign-messages", doc)
        assert doc["included"][0]["id"] == campaign["id"]


def test_flows_actions_and_messages_validate(emulator):
    truth = emulator.emulator.truth
    _validate("flows", get(emulator, "flows", include="flow-actions").json())
    _validate("flows", get(emulator, "flows", filter="equals(archived,true)").json())
    messages = 0
    for flow in truth.flows():
        _validate("flow-actions", get(emulator, f"flows/{flow['id']}/flow-actions").json())
        for action in truth.flow_actions()[flow["id"]]:
            doc = get(emulator, f"flow-actions/{action['id']}/flow-messages").json()
            if action["attributes"]["definition"]["type"].startswith("send-"):
                _validate("flow-messages", doc)
                messages += len(doc["data"])
            else:
                assert doc["data"] == []
    assert messages >= 5


def test_a_field_the_spec_lacks_fails_validation(emulator):
    doc = get(emulator, "flows").json()
    doc["data"][0]["attributes"]["colour"] = "red"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(_schema("flows")).validate(doc)
    doc = get(emulator, "campaigns", filter=EMAIL, include="campaign-messages").json()
    doc["included"][0]["attributes"]["definition"]["content"]["colour"] = "red"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(_schema("campaigns")).validate(doc)


def test_events_with_attributions_validate(emulator):
    """The attribution resources in `included` are the spec's AttributionResponseObjectResource, except
    that a relationship with nothing to name (`campaign` of a flow attribution, ...) has `data: null`,
    JSON:API's empty to-one linkage (the spec's schema has no null alternative)."""
    spec = json.loads((SPEC_DIR / "get_events.json").read_text())
    content = operation(spec)["responses"]["200"]["content"]["application/vnd.api+json"]["schema"]
    schema = Converter(spec).convert(content)
    attribution = schema["properties"]["included"]["items"]["oneOf"][2]
    for rel in attribution["properties"]["relationships"]["properties"].values():
        rel["properties"]["data"] = {"anyOf": [rel["properties"]["data"], {"type": "null"}]}
    for key in ("next", "prev"):
        links = schema["properties"]["links"]["properties"]
        links[key] = {"anyOf": [links[key], {"type": "null"}]}
    doc = get(emulator, "events", include="attributions,metric", **{"page[size]": 1000}).json()
    assert any(i["type"] == "attribution" for i in doc["included"])
    jsonschema.Draft7Validator(schema).validate(doc)


@pytest.mark.parametrize("name", list(FILES))
def test_parameters_filters_scopes_and_limits_match_the_spec(name):
    op = operation(_load(name))
    ours = SPECS[name]
    declared = {p["name"]: p for p in op["parameters"] if p["in"] == "query"}
    assert ours.params == set(declared)
    assert [p["name"] for p in op["parameters"] if p["in"] == "header"] == ["revision"]
    if ours.sorts:
        assert set(ours.sorts) == set(declared["sort"]["schema"]["enum"])
    if ours.page_size:
        schema = declared["page[size]"]["schema"]
        assert ours.page_size == (schema["default"], schema["maximum"])
    else:
        assert "page[size]" not in declared and "filter" not in declared and "sort" not in declared
    if ours.includes:
        assert set(ours.includes) == set(declared["include"]["schema"]["items"]["enum"])
    for kind, allowed in ours.fields.items():
        assert set(allowed) <= set(declared[f"fields[{kind}]"]["schema"]["items"]["enum"]), kind
    spec_filters = op.get("x-klaviyo-filters") or {}
    assert set(ours.filters) == set(spec_filters)
    for field, rule in ours.filters.items():
        spec_ops = {o for group in spec_filters[field]["operators"].values() for o in group}
        assert set(rule.operators) == spec_ops, field
        assert set(rule.choices) == set(spec_filters[field]["value"].get("enum", ())), field
    assert [SCOPES[name]] == op["x-klaviyo-scopes"]
    burst, steady = LIMITS[name]
    assert (op["x-klaviyo-ratelimit"]["burst"], op["x-klaviyo-ratelimit"]["steady"]) == (f"{burst}/s",
                                                                                       f"{steady}/m")
    if name == "campaigns":
        assert next(p for p in op["parameters"] if p["name"] == "filter")["required"] is True
