"""Fast whole-column proofs over the UTF-8 bytes of an Arrow string array.

Each check answers "does every non-empty value pass?" with a few numpy passes over the column's data
buffer instead of a per-value regular expression. A True answer is exact (argued at each function);
False only means "not proven": the caller then runs the exact per-value rule, which also finds the
rows. Real exports are mostly valid, so the fast answer is the common one.

Nulls count as empty. Arrow allows a null slot to point at bytes; such a column is never proven
(`_layout` returns None) so no byte is attributed to the wrong value.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_AT, _DOT, _PLUS = ord("@"), ord("."), ord("+")
_SPACE = 32  # every ASCII whitespace byte is <= 32
_LAST_E164 = threading.local()


@dataclass(frozen=True)
class _Layout:
    """The bytes of the non-empty values: `data`, and each value's [start, end) within it."""

    data: np.ndarray
    starts: np.ndarray
    ends: np.ndarray


def offsets(values: pa.Array) -> np.ndarray:
    """The value offsets of a string array (n + 1 int32, slice-aware), without a copy."""
    return np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset :][: len(values) + 1]


def _layout(values: pa.Array) -> _Layout | None:
    if not pa.types.is_string(values.type):
        return None
    count = len(values)
    bounds = offsets(values)
    lengths = np.diff(bounds)
    if values.null_count:
        valid = values.is_valid().to_numpy(zero_copy_only=False)
        if lengths[~valid].any():
            return None
    base = int(bounds[0]) if count else 0
    used = int(bounds[-1]) - base if count else 0
    buffer = values.buffers()[2]
    data = np.frombuffer(buffer, dtype=np.uint8)[base : base + used] if buffer else np.empty(0, np.uint8)
    starts, ends = bounds[:-1] - base, bounds[1:] - base
    if count and lengths.min() == 0:  # drop the empty values (and nulls) from the layout
        non_empty = lengths > 0
        starts, ends = starts[non_empty], ends[non_empty]
    return _Layout(data, starts, ends)


def all_e164(values: pa.Array) -> bool:
    """Every non-empty value matches `^\\+[1-9][0-9]{1,14}$`.

    The answer for the last column asked in this thread is kept: formatting and the row rules ask
    about the same phone column one after the other.
    """
    last = getattr(_LAST_E164, "answer", None)
    if last is not None and last[0]() is values:
        return bool(last[1])
    answer = _all_e164(values)
    _LAST_E164.answer = (weakref.ref(values), answer)
    return answer


def _all_e164(values: pa.Array) -> bool:
    """`all_e164` without the memory.

    Exact: each value is 3-16 bytes, starts with `+` then 1-9, and the column holds exactly one
    non-digit byte per value (so the leading `+` is the only one in each).
    """
    layout = _layout(values)
    if layout is None:
        return False
    data, starts = layout.data, layout.starts
    if starts.size == 0:
        return True
    lengths = layout.ends - starts
    if lengths.min() < 3 or lengths.max() > 16:
        return False
    second = data[starts + 1]
    if not (data[starts] == _PLUS).all() or not ((second >= ord("1")) & (second <= ord("9"))).all():
        return False
    non_digits = np.count_nonzero(data < ord("0")) + np.count_nonzero(data > ord("9"))
    return int(non_digits) == starts.size


def all_emails(values: pa.Array) -> bool:
    """Every non-empty value matches `^[^@\\s]+@[^@\\s.]+(\\.[^@\\s.]+)+$` (RE2: `\\s` is [\\t\\n\\f\\r ]).

    Exact: no byte <= 32 (so no whitespace); exactly one `@` per value, not first; after it a domain
    that does not start or end with `.` and whose next `@`-or-`.` is a `.` inside the value; and no
    `..` anywhere in the column. So the domain is two or more `.`-separated labels of non-`@`,
    non-space characters. Only the `@` and `.` positions are walked, never the bytes twice.
    """
    layout = _layout(values)
    if layout is None:
        return False
    data, starts, ends = layout.data, layout.starts, layout.ends
    if starts.size == 0:
        return True
    if (data <= _SPACE).any():
        return False
    marks = np.flatnonzero((data == _AT) | (data == _DOT))  # every `@` and `.`, in order
    is_dot = data[marks] == _DOT
    at_index = np.flatnonzero(~is_dot)
    if at_index.size != starts.size or at_index[-1] + 1 >= marks.size:
        return False
    ats, after = marks[at_index], at_index + 1
    if not ((ats > starts) & (ats < ends - 1)).all():
        return False  # the i-th `@` lies inside the i-th value: one per value
    if not (is_dot[after] & (marks[after] < ends)).all():
        return False  # the first mark after each `@` is a `.` of the same value
    if (data[ats + 1] == _DOT).any() or (data[ends - 1] == _DOT).any():
        return False
    return not (is_dot[1:] & is_dot[:-1] & (np.diff(marks) == 1)).any()


def plain_edges(values: pa.Array) -> bool:
    """No value starts or ends with whitespace: every first and last byte is visible ASCII.

    Exact for trimming: ASCII whitespace bytes are <= 32, and any non-ASCII character (Unicode
    spaces included) starts and ends with a byte >= 128.
    """
    layout = _layout(values)
    if layout is None:
        return False
    return all(
        bool(((edge > _SPACE) & (edge < 128)).all())
        for edge in (layout.data[layout.starts], layout.data[layout.ends - 1])
    )


def longest_bytes(values: pa.Array) -> int:
    """At least the longest value in bytes (a null slot's bytes count too), from the offsets."""
    if not pa.types.is_string(values.type):
        return int(pc.max(pc.binary_length(values)).as_py() or 0)
    return int(np.diff(offsets(values)).max()) if len(values) else 0


def non_empty(values: pa.Array) -> np.ndarray:
    """Mask of the values that are neither null nor empty, from the offsets and validity alone."""
    if not pa.types.is_string(values.type):
        mask = pc.and_(pc.is_valid(values), pc.not_equal(pc.binary_length(values), 0))
        return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)
    bounds = offsets(values)
    present = bounds[1:] > bounds[:-1] if len(values) else np.zeros(0, dtype=bool)
    if values.null_count:
        present &= values.is_valid().to_numpy(zero_copy_only=False)
    return present
