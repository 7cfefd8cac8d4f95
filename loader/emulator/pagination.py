"""Opaque keyset cursors and page selection over arrays sorted by (key, tie).

A cursor encodes the sort and the (key, tie) of the row it continues from, never an offset, so rows
inserted between two requests are neither skipped nor repeated (they appear if they sort after it).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from loader.emulator.errors import invalid

TieFn = Callable[[int, int], np.ndarray]


@dataclass(frozen=True)
class Cursor:
    sort: str
    key: Any
    tie: int
    backward: bool = False

    def encode(self) -> str:
        raw = orjson.dumps({"s": self.sort, "k": self.key, "t": self.tie, "b": int(self.backward)})
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(text: str, sort: str) -> Cursor:
    """The cursor of a `page[cursor]` value. One leading "=" is ignored: Klaviyo's Python SDK, given a
    `links.next` URL as `page_cursor`, sends what follows `page%5Bcursor%5D` up to the next "&", so
    `page[cursor]==<cursor>` (klaviyo_api/wrapper.py::_page_cursor_update), and the real API takes it."""
    text = text.removeprefix("=")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        data = orjson.loads(raw)
        cursor = Cursor(str(data["s"]), data["k"], int(data["t"]), bool(data["b"]))
    except (binascii.Error, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise invalid("Invalid page cursor. Use the links returned in the previous response.",
                      "page[cursor]") from None
    if cursor.sort != sort:
        raise invalid(f"The page cursor was issued for sort '{cursor.sort}', not '{sort}'.", "page[cursor]")
    return cursor


def _split(keys: np.ndarray, ties: TieFn, lo: int, hi: int, key: Any, tie: int, after: bool) -> int:
    """First index in [lo, hi) whose (key, tie) is > (after) or >= (not after) the given pair."""
    if isinstance(key, str) != (keys.dtype.kind == "U") or isinstance(key, (bool, float, list, dict)):
        raise invalid("Invalid page cursor. Use the links returned in the previous response.", "page[cursor]")
    a = lo + int(np.searchsorted(keys[lo:hi], key, side="left"))
    b = lo + int(np.searchsorted(keys[lo:hi], key, side="right"))
    if a == b:
        return a
    return a + int(np.searchsorted(ties(a, b), tie, side="right" if after else "left"))


@dataclass(frozen=True)
class PageSlice:
    """Rows [start, stop) of the ascending arrays, shown reversed when the sort is descending."""

    start: int
    stop: int
    more_after: bool  # more rows in the direction of the sort (a `next` page exists)
    more_before: bool  # rows before the first shown one (a `prev` page exists)


def select(keys: np.ndarray, ties: TieFn, lo: int, hi: int, size: int, descending: bool,
           cursor: Cursor | None) -> PageSlice:
    """The page of `size` rows in window [lo, hi) of ascending `keys`, continuing from `cursor`."""
    if cursor is None:
        if descending:
            start = max(hi - size, lo)
            return PageSlice(start, hi, start > lo, False)
        stop = min(lo + size, hi)
        return PageSlice(lo, stop, stop < hi, False)
    forward_in_array = descending == cursor.backward  # asc+next or desc+prev walk up the arrays
    if forward_in_array:
        start = _split(keys, ties, lo, hi, cursor.key, cursor.tie, after=True)
        stop = min(start + size, hi)
        up, down = stop < hi, start > lo
    else:
        stop = _split(keys, ties, lo, hi, cursor.key, cursor.tie, after=False)
        start = max(stop - size, lo)
        up, down = stop < hi, start > lo
    if descending:
        return PageSlice(start, stop, down, up)
    return PageSlice(start, stop, up, down)
