"""Row rules checked before a row may enter an import file; each failure is one Problem.

Rules (klaviyo-facts.md §4.2, [H4][H7][O1]): emails well formed; phone numbers in E.164; no duplicate
identifiers (Klaviyo keeps only the first row, so later duplicates are rejected); required values
present (an identifier per row; for events metric name, timestamp and unique id); no field over
100 KB. Formatting problems (non-UTF-8, bad consent, bad number, bad timestamp) come from `format`.

Duplicates are found with 64-bit hashes of the normalised values (DuckDB's `hash`), kept in a
sorted numpy array: 8 bytes per distinct identifier, whatever the batch or row size.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loader.export import columns as col
from loader.export.columns import ColumnPlan

MAX_FIELD_BYTES = 100 * 1024
EMAIL_PATTERN = r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$"
E164_PATTERN = r"^\+[1-9][0-9]{1,14}$"


@dataclass(frozen=True)
class Problem:
    """One reason a row cannot be imported: where it is and why."""

    file: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}, row {self.row}, column {self.column}: {self.reason}"


class DuplicateTracker:
    """Remembers identifiers of accepted rows across batches and flags later repeats."""

    def __init__(self) -> None:
        self._seen: dict[str, np.ndarray] = {}
        self._db = duckdb.connect()

    def _hashes(self, values: pa.Array) -> np.ndarray:
        relation = self._db.from_arrow(pa.table({"v": values}))
        result = relation.select("hash(v) AS h").fetchnumpy()
        return np.asarray(result["h"], dtype=np.uint64)

    def repeats(self, header: str, values: pa.Array, candidates: np.ndarray) -> np.ndarray:
        """Mask of `candidates` rows whose non-empty value was seen before or earlier in the batch."""
        rows = np.flatnonzero(candidates & _non_empty(values))
        repeated = np.zeros(len(values), dtype=bool)
        if rows.size == 0:
            return repeated
        hashes = self._hashes(values.take(pa.array(rows)))
        seen = self._seen.get(header, np.empty(0, dtype=np.uint64))
        in_seen = np.zeros(rows.size, dtype=bool)
        if seen.size:
            pos = np.minimum(np.searchsorted(seen, hashes), seen.size - 1)
            in_seen = seen[pos] == hashes
        first_in_batch = np.zeros(rows.size, dtype=bool)
        first_in_batch[np.unique(hashes, return_index=True)[1]] = True
        repeated[rows[in_seen | ~first_in_batch]] = True
        return repeated

    def record(self, header: str, values: pa.Array, accepted: np.ndarray) -> None:
        """Remember the values of the rows finally accepted."""
        rows = np.flatnonzero(accepted & _non_empty(values))
        if rows.size:
            hashes = self._hashes(values.take(pa.array(rows)))
            self._seen[header] = np.union1d(self._seen.get(header, np.empty(0, dtype=np.uint64)), hashes)

    def close(self) -> None:
        self._db.close()


def _non_empty(values: pa.Array) -> np.ndarray:
    mask = pc.and_(pc.is_valid(values), pc.not_equal(values, ""))
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def _rows(mask: pa.Array | np.ndarray) -> list[int]:
    if isinstance(mask, np.ndarray):
        return np.flatnonzero(mask).tolist()
    return pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist()


def row_rules(plan: ColumnPlan, texts: dict[str, pa.Array]) -> list[tuple[int, str, str]]:
    """(row index, header, reason) for every per-row rule that fails in this batch."""
    found: list[tuple[int, str, str]] = []
    if col.EMAIL in texts:
        bad = pc.invert(pc.match_substring_regex(texts[col.EMAIL], EMAIL_PATTERN))
        bad = _and_present(bad, texts[col.EMAIL])
        found += [(i, col.EMAIL, "malformed email address") for i in _rows(bad)]
    if col.PHONE in texts:
        bad = pc.invert(pc.match_substring_regex(texts[col.PHONE], E164_PATTERN))
        reason = "phone number not in E.164 (+ country code, digits only, e.g. +14155550123)"
        found += [(i, col.PHONE, reason) for i in _rows(_and_present(bad, texts[col.PHONE]))]
    for header, values in texts.items():
        too_big = pc.greater(pc.binary_length(values), MAX_FIELD_BYTES)
        reason = f"field over {MAX_FIELD_BYTES // 1024} KB"
        found += [(i, header, reason) for i in _rows(too_big)]
    found += _required(plan, texts)
    return found


def _and_present(bad: pa.Array, values: pa.Array) -> pa.Array:
    return pc.and_(bad, pc.not_equal(values, ""))


def _required(plan: ColumnPlan, texts: dict[str, pa.Array]) -> list[tuple[int, str, str]]:
    found: list[tuple[int, str, str]] = []
    if plan.kind == "events":
        for header in col.EVENT_REQUIRED:
            missing = ~_non_empty(texts[header])
            found += [(i, header, "required value missing") for i in _rows(missing)]
    any_id = np.zeros(len(next(iter(texts.values()))), dtype=bool)
    for header in plan.identifiers:
        any_id |= _non_empty(texts[header])
    names = "/".join(plan.identifiers)
    found += [(i, names, "no profile identifier (all empty)") for i in _rows(~any_id)]
    return found


def duplicate_headers(plan: ColumnPlan) -> tuple[str, ...]:
    """Identifiers (profiles) or the unique id (events): Klaviyo keeps the first row per value."""
    return plan.identifiers if plan.kind == "profiles" else (col.UNIQUE_ID,)


def duplicate_rules(
    plan: ColumnPlan, texts: dict[str, pa.Array], accepted: np.ndarray, tracker: DuplicateTracker
) -> list[tuple[int, str, str]]:
    """Rows repeating a value of an earlier accepted row; call `tracker.record` once rows are final."""
    found: list[tuple[int, str, str]] = []
    reason = "duplicate identifier: Klaviyo keeps only the first row with this value"
    for header in duplicate_headers(plan):
        repeated = tracker.repeats(header, texts[header], accepted)
        found += [(i, header, reason) for i in np.flatnonzero(repeated).tolist()]
    return found
