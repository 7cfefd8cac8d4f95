"""Query-parameter validation of a GET operation against the parameters its `EndpointSpec` declares."""

from __future__ import annotations

from dataclasses import dataclass, field

from loader.emulator import filters
from loader.emulator.errors import invalid
from loader.emulator.filters import Condition, FieldRule


@dataclass(frozen=True)
class EndpointSpec:
    """The query parameters one GET operation declares in the spec (its endpoint module holds it)."""

    name: str  # also the path segment of its links: /api/<name>/
    params: frozenset[str]
    filters: dict[str, FieldRule]
    sorts: tuple[str, ...]
    default_sort: str
    page_size: tuple[int, int] | None  # (default, maximum); None = no page[size] parameter
    includes: tuple[str, ...]
    fields: dict[str, tuple[str, ...]]
    additional: tuple[str, ...] = ()
    rows_per_page: int = 200  # the page size when there is no page[size] parameter


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
    q.size = spec.page_size[0] if spec.page_size else spec.rows_per_page
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
