"""GET /api/segments (10 a page; `greater-than` only on created/updated; `is_active`, `is_starred`) and
GET /api/segments/{id}/profiles (the segment's members with `joined_group_at`, 100 a page at most)."""

from __future__ import annotations

from loader.emulator.filters import FieldRule
from loader.emulator.group_members import (
    GROUP_FILTERS,
    GROUP_SORTS,
    MEMBER_FIELDS,
    MEMBER_FILTERS,
    MEMBER_SORTS,
    group_server,
    member_server,
)
from loader.emulator.group_resources import FLOW_FIELDS, SEGMENT_FIELDS, TAG_FIELDS
from loader.emulator.operation import Operation
from loader.emulator.profile_resources import ADDITIONAL_FIELDS
from loader.emulator.query import EndpointSpec
from loader.emulator.ratelimit import Bucket

SPEC = EndpointSpec(
    "segments",
    frozenset({"fields[flow]", "fields[segment]", "fields[tag]", "filter", "include", "page[cursor]",
               "page[size]", "sort"}),
    {**GROUP_FILTERS, "is_active": FieldRule(("any", "equals"), "boolean"),
     "is_starred": FieldRule(("equals",), "boolean")},
    GROUP_SORTS,
    "id",
    (10, 10),
    ("flow-triggers", "tags"),
    {"segment": SEGMENT_FIELDS, "tag": TAG_FIELDS, "flow": FLOW_FIELDS},
)
MEMBERS_SPEC = EndpointSpec(
    "segment-profiles",
    frozenset({"additional-fields[profile]", "fields[profile]", "filter", "page[cursor]", "page[size]",
               "sort"}),
    {"profile_id": FieldRule(("any", "equals"), "string"), **MEMBER_FILTERS},
    MEMBER_SORTS,
    "joined_group_at",  # inferred: the spec names no default order; joined_group_at is its only sort
    (20, 100),
    (),
    {"profile": MEMBER_FIELDS},
    ADDITIONAL_FIELDS,
)

ROUTES = (
    Operation("/api/segments", "segments:read", SPEC, Bucket("segments", 75, 750),
              group_server("segment", "segment")),
    Operation("/api/segments/{id}/profiles", "profiles:read", MEMBERS_SPEC,
              Bucket("segment-profiles", 75, 750), member_server("segment"), extra_scopes=("segments:read",)),
)
