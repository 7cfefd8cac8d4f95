"""Filtering, sorting and keyset paging of a small list of objects (campaigns, flows, actions, messages).

Each endpoint names, per filter/sort field, how to read it from an object (`Columns`); datetimes are
epoch microseconds (None when null: never matched by a comparison, first in an ascending sort). The
tie of a sort key is the object's creation index, so pages are stable under growth like the events'.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

from loader.emulator import pagination
from loader.emulator.filters import Condition
from loader.emulator.pagination import Cursor, PageSlice
from loader.emulator.query import Query

T = TypeVar("T")
DT4 = ("greater-or-equal", "greater-than", "less-or-equal", "less-than")
DT5 = ("equals", *DT4)
NAME_OPS = ("contains", "ends-with", "equals", "starts-with")
TEXT_FIELDS = frozenset({"id", "name", "status", "trigger_type", "action_type"})  # string sort keys
Columns = Mapping[str, Callable[[Any], Any]]


def matches(value: Any, cond: Condition) -> bool:
    op, want = cond.op, cond.value
    if op == "equals":
        return value == want
    if op == "any":
        return value in want
    if op == "contains":
        return isinstance(value, str) and want in value
    if op == "starts-with":
        return isinstance(value, str) and value.startswith(want)
    if op == "ends-with":
        return isinstance(value, str) and value.endswith(want)
    if value is None:
        return False
    if op == "greater-than":
        return bool(value > want)
    if op == "greater-or-equal":
        return bool(value >= want)
    if op == "less-than":
        return bool(value < want)
    if op == "less-or-equal":
        return bool(value <= want)
    raise ValueError(op)


@dataclass(frozen=True)
class Listed(Generic[T]):
    items: list[T]
    page: PageSlice
    first: Cursor | None
    last: Cursor | None


def page(objects: Sequence[T], q: Query, columns: Columns, conditions: Sequence[Condition],
         tie: Callable[[T], int]) -> Listed[T]:
    """The page of `q` (sort, size, cursor) over the objects matching every condition."""
    kept = [o for o in objects if all(matches(columns[c.field](o), c) for c in conditions)]
    field = q.sort.lstrip("-")
    raw = [columns[field](o) for o in kept]
    is_text = field in TEXT_FIELDS
    keys_list = [("" if v is None else v) if is_text else (-1 if v is None else int(v)) for v in raw]
    order = sorted(range(len(kept)), key=lambda i: (keys_list[i], tie(kept[i])))
    keys = np.array([keys_list[i] for i in order], dtype=str if is_text else np.int64)
    if is_text and not len(keys):
        keys = np.array([], dtype="U1")
    ties = np.array([tie(kept[i]) for i in order], dtype=np.int64)
    descending = q.sort.startswith("-")
    cursor = pagination.decode(q.cursor, q.sort) if q.cursor else None
    sl = pagination.select(keys, lambda a, b: ties[a:b], 0, len(keys), q.size, descending, cursor)
    rows = list(range(sl.start, sl.stop))
    if descending:
        rows.reverse()
    items = [kept[order[r]] for r in rows]

    def key(r: int) -> Any:
        return str(keys[r]) if is_text else int(keys[r])

    first = Cursor(q.sort, key(rows[0]), int(ties[rows[0]]), backward=True) if rows else None
    last = Cursor(q.sort, key(rows[-1]), int(ties[rows[-1]])) if rows else None
    return Listed(items, sl, first, last)
