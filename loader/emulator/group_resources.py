"""List and segment resources (revision 2026-07-15 shapes), as the API serves them."""

from __future__ import annotations

from typing import Any

from loader.emulator.groups import Group
from loader.emulator.resources import iso, sparse

LIST_FIELDS = ("created", "id", "name", "opt_in_process", "updated")  # fields[list]
SEGMENT_FIELDS = ("created", "definition", "definition.condition_groups", "id", "is_active", "is_processing",
                  "is_starred", "name", "updated")  # fields[segment] (the spec's names, exactly)
TAG_FIELDS = ("id", "name")
FLOW_FIELDS = ("archived", "created", "id", "name", "status", "trigger_type", "updated")


def _links(base: str, kind: str, gid: str, name: str) -> dict[str, Any]:
    return {"links": {"self": f"{base}/api/{kind}/{gid}/relationships/{name}/",
                      "related": f"{base}/api/{kind}/{gid}/{name}/"}}


def definition(g: Group) -> dict[str, Any]:
    """A segment's definition: members of its source list (a `profile-group-membership` condition)."""
    groups = [g.source_list] if g.source_list else []
    return {"condition_groups": [{"conditions": [{"type": "profile-group-membership", "is_member": True,
                                                  "group_ids": groups, "timeframe_filter": None}]}]}


def render_group(g: Group, base: str, fields: list[str] | None = None) -> dict[str, Any]:
    """A `list` or `segment` resource."""
    kind = f"{g.kind}s"
    attributes: dict[str, Any] = {"name": g.name, "created": iso(g.created_us), "updated": iso(g.updated_us)}
    if g.kind == "list":
        attributes["opt_in_process"] = g.opt_in_process
    else:
        attributes.update(definition=definition(g), is_active=g.is_active, is_processing=False,
                          is_starred=g.is_starred)
    return {"type": g.kind, "id": g.id, "attributes": sparse(attributes, fields),
            "relationships": {name: _links(base, kind, g.id, name)
                              for name in ("profiles", "tags", "flow-triggers")},
            "links": {"self": f"{base}/api/{kind}/{g.id}/"}}
