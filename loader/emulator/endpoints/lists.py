"""GET /api/lists (10 a page; `greater-than` only on created/updated, as the spec says) and
GET /api/lists/{id}/profiles (the list's members with `joined_group_at`, 100 a page at most)."""

from __future__ import annotations

from loader.emulator.group_members import (
    GROUP_FILTERS,
    GROUP_SORTS,
    MEMBER_FIELDS,
    MEMBER_FILTERS,
    MEMBER_SORTS,
    group_server,
    member_server,
)
from loader.emulator.group_resources import FLOW_FIELDS, LIST_FIELDS, TAG_FIELDS
from loader.emulator.operation import Operation
from loader.emulator.profile_resources import ADDITIONAL_FIELDS
from loader.emulator.query import EndpointSpec
from loader.emulator.ratelimit import Bucket

SPEC = EndpointSpec(
    "lists",
    frozenset({"fields[flow]", "fields[list]", "fields[tag]", "filter", "include", "page[cursor]",
               "page[size]", "sort"}),
    dict(GROUP_FILTERS),
    GROUP_SORTS,
    "id",
    (10, 10),
    ("flow-triggers", "tags"),
    {"list": LIST_FIELDS, "tag": TAG_FIELDS, "flow": FLOW_FIELDS},
)
MEMBERS_SPEC = EndpointSpec(
    "list-profiles",
    frozenset({"additional-fields[profile]", "fields[profile]", "filter", "page[cursor]", "page[size]",
               "sort"}),
    dict(MEMBER_FILTERS),
    MEMBER_SORTS,
    "joined_group_at",  # inferred: the spec names no default order; joined_group_at is its only sort
    (20, 100),
    (),
    {"profile": MEMBER_FIELDS},
    ADDITIONAL_FIELDS,
)
# `additional-fields[profile]=predictive_analytics` also spends this budget (the spec's description)
PREDICTIVE_ANALYTICS = Bucket("list-profiles:predictive_analytics", 10, 150)

ROUTES = (
    Operation("/api/lists", "lists:read", SPEC, Bucket("lists", 75, 750), group_server("list", "list")),
    Operation("/api/lists/{id}/profiles", "lists:read", MEMBERS_SPEC, Bucket("list-profiles", 75, 750),
              member_server("list"), additional_buckets={"predictive_analytics": PREDICTIVE_ANALYTICS},
              extra_scopes=("profiles:read",)),
)
