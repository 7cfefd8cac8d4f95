"""Per-endpoint query-parameter validation (the parameters each GET list operation declares in the spec)."""

from __future__ import annotations

from dataclasses import dataclass, field

from loader.emulator import filters
from loader.emulator.errors import invalid
from loader.emulator.filters import Condition, FieldRule

_DT4 = ("greater-or-equal", "greater-than", "less-or-equal", "less-than")
PROFILE_FIELDS = ("created", "email", "external_id", "first_name", "id", "image", "last_event_date",
                  "last_name", "locale", "location", "organization", "phone_number", "properties",
                  "title", "updated")


@dataclass(frozen=True)
class EndpointSpec:
    name: str
    params: frozenset[str]
    filters: dict[str, FieldRule]
    sorts: tuple[str, ...]
    default_sort: str
    page_size: tuple[int, int] | None  # (default, maximum); None = no page[size] parameter
    includes: tuple[str, ...]
    fields: dict[str, tuple[str, ...]]
    additional: tuple[str, ...] = ()


EVENTS = EndpointSpec(
    "events",
    frozenset({"filter", "sort", "page[size]", "page[cursor]", "include", "fields[event]", "fields[metric]",
               "fields[profile]", "fields[attribution]"}),
    {"metric_id": FieldRule(("equals",), "string"), "profile_id": FieldRule(("equals",), "string"),
     "profile": FieldRule(("has",), "none"), "metric": FieldRule(("has",), "none"),
     "datetime": FieldRule(_DT4, "datetime"), "timestamp": FieldRule(_DT4, "number")},
    ("datetime", "-datetime", "timestamp", "-timestamp"),
    "datetime",
    (200, 1000),
    ("attributions", "metric", "profile"),
    {"event": ("datetime", "event_properties", "id", "timestamp", "uuid"),
     "metric": ("created", "id", "integration", "name", "updated"), "profile": PROFILE_FIELDS,
     "attribution": ("id",)},
)
PROFILES = EndpointSpec(
    "profiles",
    frozenset({"additional-fields[profile]", "fields[conversation]", "fields[profile]", "fields[push-token]",
               "filter", "include", "page[cursor]", "page[size]", "sort"}),
    {"id": FieldRule(("any", "equals"), "string"), "email": FieldRule(("any", "equals"), "string"),
     "phone_number": FieldRule(("any", "equals"), "string"),
     "external_id": FieldRule(("any", "equals"), "string"),
     "created": FieldRule(("greater-than", "less-than"), "datetime"),
     "updated": FieldRule(("greater-than", "less-than"), "datetime")},
    ("created", "-created", "email", "-email", "id", "-id", "updated", "-updated"),
    "id",
    (20, 100),
    ("conversations", "push-tokens"),
    {"profile": (*PROFILE_FIELDS, "subscriptions", "predictive_analytics"), "conversation": ("channel", "id"),
     "push-token": ("created", "enablement_status", "platform", "recorded_date", "token", "vendor", "id")},
    ("subscriptions", "predictive_analytics"),
)
METRICS = EndpointSpec(
    "metrics",
    frozenset({"fields[flow]", "fields[metric]", "filter", "include", "page[cursor]"}),
    {"integration.name": FieldRule(("equals",), "string"),
     "integration.category": FieldRule(("equals",), "string")},
    (),
    "",
    None,
    ("flow-triggers",),
    {"metric": ("created", "id", "integration", "name", "updated"),
     "flow": ("archived", "created", "id", "name", "status", "trigger_type", "updated")},
)
ACCOUNT_FIELDS = ("contact_information", "contact_information.default_sender_email",
                  "contact_information.default_sender_name", "contact_information.organization_name",
                  "contact_information.street_address", "contact_information.street_address.address1",
                  "contact_information.street_address.address2", "contact_information.street_address.city",
                  "contact_information.street_address.country", "contact_information.street_address.region",
                  "contact_information.street_address.zip", "contact_information.website_url", "id",
                  "industry", "locale", "preferred_currency", "public_api_key", "test_account", "timezone")
ACCOUNTS = EndpointSpec("accounts", frozenset({"fields[account]"}), {}, (), "", None, (),
                        {"account": ACCOUNT_FIELDS})
ACCOUNT = EndpointSpec("account", frozenset({"fields[account]"}), {}, (), "", None, (),
                       {"account": ACCOUNT_FIELDS})
SPECS = {"events": EVENTS, "profiles": PROFILES, "metrics": METRICS, "accounts": ACCOUNTS, "account": ACCOUNT}
METRICS_PAGE_SIZE = 200


@dataclass
class Query:
    spec: EndpointSpec
    params: list[tuple[str, str]]
    conditions: list[Condition] = field(default_factory=list)
    sort: str = ""
    size: int = 0
    cursor: str | None = None
    include: tuple[str, ...] = ()
    fields: dict[str, list[str]] = field(default_factory=dict)
    additional: tuple[str, ...] = ()


def _csv(value: str, parameter: str, allowed: tuple[str, ...]) -> list[str]:
    """The comma-separated items; each must be allowed (by its first dotted part, unless `allowed` lists
    dotted paths itself, as the accounts spec does: then exactly)."""
    items = [v.strip() for v in value.split(",") if v.strip()]
    exact = any("." in a for a in allowed)
    for item in items:
        if (item if exact else item.split(".", 1)[0]) not in allowed:
            raise invalid(f"'{item}' is not a valid value for {parameter}.", parameter)
    return items


def parse(spec: EndpointSpec, params: list[tuple[str, str]]) -> Query:
    """Validate the query string of a list request; every problem is a 400 naming the parameter."""
    q = Query(spec, params, sort=spec.default_sort)
    if spec.page_size:
        q.size = spec.page_size[0]
    else:
        q.size = METRICS_PAGE_SIZE
    for name, value in params:
        if name not in spec.params:
            raise invalid(f"'{name}' is not a valid query parameter for this resource.", name)
        if name == "filter":
            q.conditions = filters.validate(filters.parse(value), spec.filters)
        elif name == "sort":
            if value not in spec.sorts:
                raise invalid(f"'{value}' is not a valid sort field for this resource.", "sort")
            q.sort = value
        elif name == "page[size]":
            q.size = _page_size(value, spec.page_size or (0, 0))
        elif name == "page[cursor]":
            q.cursor = value
        elif name == "include":
            q.include = tuple(_csv(value, name, spec.includes))
            if not q.include:
                raise invalid("'include' must name at least one relationship.", name)
        elif name == "additional-fields[profile]":
            q.additional = tuple(_csv(value, name, spec.additional))
        else:
            kind = name[len("fields["):-1]
            q.fields[kind] = _csv(value, name, spec.fields[kind])
    return q


def _page_size(value: str, bounds: tuple[int, int]) -> int:
    try:
        size = int(value)
    except ValueError:
        raise invalid(f"page[size] must be an integer, got '{value}'.", "page[size]") from None
    if size < 1 or size > bounds[1]:
        raise invalid(f"page[size] must be between 1 and {bounds[1]}, got {size}.", "page[size]")
    return size
