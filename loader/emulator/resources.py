"""Shared rendering helpers: datetimes in the API's format, links, sparse fieldsets."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

US = 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def iso(us: int | None) -> str | None:
    """Epoch microseconds -> `YYYY-MM-DDTHH:MM:SS+00:00` (the API's second-resolution datetimes)."""
    if us is None:
        return None
    return (_EPOCH + timedelta(seconds=int(us) // US)).isoformat()


def iso_many(us: np.ndarray) -> list[str]:
    text = np.datetime_as_string(us.astype("datetime64[us]").astype("datetime64[s]"), unit="s")
    return [f"{t}+00:00" for t in text.tolist()]


def sparse(attributes: dict[str, Any], wanted: Iterable[str] | None) -> dict[str, Any]:
    """Keep only the requested attributes (`fields[type]=a,b.c`); dotted names keep the nested subset."""
    if wanted is None:
        return attributes
    out: dict[str, Any] = {}
    for name in wanted:
        head, _, rest = name.partition(".")
        if head not in attributes:
            continue
        if not rest:
            out[head] = attributes[head]
            continue
        value = attributes[head]
        if isinstance(value, dict):
            picked = sparse(value, [rest])
            previous = out.get(head)
            merged: dict[str, Any] = previous if isinstance(previous, dict) else {}
            out[head] = {**merged, **picked}
    return out
