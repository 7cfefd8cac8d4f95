"""Row rules checked before a row may enter an import file; each failure is one Problem.

Rules (docs/klaviyo-api.md §4.2, [H4][H7][O1]): emails well formed; phone numbers in E.164; no duplicate
identifiers (Klaviyo keeps only the first row, so later duplicates are rejected); required values
present (an identifier per row; for events metric name, timestamp and unique id); no field over
100 KB; a `List ID` shaped like a Klaviyo list id, and the `--list-id` one if given (`list_target`).
Formatting problems (non-UTF-8, bad consent, bad number, bad timestamp) come from `format`.

Duplicates are found with 64-bit hashes of the normalised values (DuckDB's `hash`), kept in a
few sorted numpy runs (8 bytes per distinct identifier) behind a presence bitset of at most 8 MB
per identifier column, whatever the batch or row size. Two different values share a hash with odds
of about n^2 / 2^65 (3 in a million for 10 million identifiers); such a row would be rejected as a
duplicate and listed in the rejects file, never imported wrongly.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loader.export import columns as col
from loader.export import text_scan
from loader.export.columns import ColumnPlan
from loader.export.format import is_e164
from loader.export.list_target import list_id_rules

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


class _SortedRuns:
    """A set of uint64 kept as sorted runs (merged like a binary counter once there are more than
    MAX_RUNS, up to MAX_RUN_VALUES each), behind a presence bitset indexed by the values' top bits:
    sorted lookups and inserts walk both the bitset and the runs in order (cache friendly).

    The bitset grows with the set (16 bits per value: about 6% of misses reach the runs) up to
    8 MB, so a small export never touches (page-faults) megabytes it does not need."""

    MIN_BITS, MAX_BITS, BITS_PER_VALUE = 16, 26, 16
    MAX_RUNS = 8
    # runs stop growing at 8 MB: merging two huge runs would briefly hold both and their union,
    # and the bitset keeps the extra runs cheap to search (only its rare false hits reach them)
    MAX_RUN_VALUES = 1 << 20

    def __init__(self) -> None:
        self.runs: list[np.ndarray] = []
        self.size = 0
        self.bits = self.MIN_BITS
        self.filter = np.zeros(1 << (self.bits - 3), dtype=np.uint8)

    def _slots(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Byte index and bit mask of each value's slot in the bitset."""
        slots = values >> np.uint64(64 - self.bits)
        bits = (slots & np.uint64(7)).astype(np.uint8)
        return (slots >> np.uint64(3)).astype(np.intp), np.left_shift(np.uint8(1), bits)

    def _mark(self, ordered: np.ndarray) -> None:
        byte, bit = self._slots(ordered)  # sorted values: equal bytes are neighbours
        first = np.flatnonzero(np.concatenate(([True], byte[1:] != byte[:-1])))
        self.filter[byte[first]] |= np.bitwise_or.reduceat(bit, first)

    def contains(self, ordered: np.ndarray) -> np.ndarray:
        """Mask of the (sorted) values already in the set."""
        found = np.zeros(ordered.size, dtype=bool)
        byte, bit = self._slots(ordered)
        maybe = np.flatnonzero(self.filter[byte] & bit)
        if maybe.size == 0:
            return found
        candidates = ordered[maybe]
        for run in self.runs:
            pos = np.minimum(np.searchsorted(run, candidates), run.size - 1)
            found[maybe[run[pos] == candidates]] = True
        return found

    def add(self, ordered: np.ndarray) -> None:
        """Add sorted values, none of them in the set yet."""
        self.size += ordered.size
        self.runs.append(ordered)
        if self.size * self.BITS_PER_VALUE > 1 << self.bits and self.bits < self.MAX_BITS:
            while self.size * self.BITS_PER_VALUE > 1 << self.bits and self.bits < self.MAX_BITS:
                self.bits += 2
            self.filter = np.zeros(1 << (self.bits - 3), dtype=np.uint8)
            for run in self.runs:  # rebuilt at 4x the size: linear work, amortised over the growth
                self._mark(run)
        else:
            self._mark(ordered)
        if len(self.runs) <= self.MAX_RUNS:
            return
        while (
            len(self.runs) > 1
            and self.runs[-2].size <= 2 * self.runs[-1].size
            and self.runs[-2].size + self.runs[-1].size <= self.MAX_RUN_VALUES
        ):
            newer, older = self.runs.pop(), self.runs.pop()
            merged = np.concatenate([older, newer])
            del newer, older  # the old runs go as soon as they are copied: memory is one run, not two
            # two sorted runs: the stable sort (timsort) finds them and merges them in linear time
            merged.sort(kind="stable")
            self.runs.append(merged)


@dataclass
class BatchKeys:
    """One identifier column of one batch, ready for the sequential duplicate check: the hashes,
    which rows hold a value, the candidate rows (None: all of them) with their hashes (and sorted),
    and repeats within the batch. Computed independently per batch (in a worker); only
    `DuplicateTracker` needs row order."""

    hashes: np.ndarray
    present: np.ndarray
    rows: np.ndarray | None
    mine: np.ndarray
    ordered: np.ndarray
    later: np.ndarray


def batch_keys(
    columns: dict[str, pa.Array], candidates: np.ndarray, db: duckdb.DuckDBPyConnection
) -> dict[str, BatchKeys]:
    """Keys of each column for the rows in `candidates` (the rows that passed the row rules)."""
    keys: dict[str, BatchKeys] = {}
    for header, hashes in _hashes(columns, db).items():
        present = text_scan.non_empty(columns[header])
        wanted = candidates & present
        rows = None if wanted.all() else np.flatnonzero(wanted)  # usually every row is a candidate
        mine = hashes if rows is None else hashes[rows]
        ordered = np.sort(mine)
        keys[header] = BatchKeys(hashes, present, rows, mine, ordered, _later_occurrences(mine, ordered))
    return keys


def _hashes(columns: dict[str, pa.Array], db: duckdb.DuckDBPyConnection) -> dict[str, np.ndarray]:
    """64-bit hashes of each column's values, all columns in one DuckDB pass."""
    if not columns:
        return {}
    names = {f"c{i}": header for i, header in enumerate(columns)}
    with db.cursor() as cursor:  # a cursor per call: batches are hashed in several threads
        relation = cursor.from_arrow(pa.table(dict(zip(names, columns.values(), strict=True))))
        result = relation.select(", ".join(f"hash({name}) AS {name}" for name in names)).fetchnumpy()
    return {header: np.asarray(result[name], dtype=np.uint64) for name, header in names.items()}


class DuplicateTracker:
    """Remembers identifiers of accepted rows across batches and flags later repeats.

    Batches must be passed in row order: `repeats` then, once the batch's rows are final, `record`.
    """

    def __init__(self) -> None:
        self._seen: dict[str, _SortedRuns] = {}
        # for `batch_keys` (in-memory; thread-safe through cursors). Opening DuckDB takes ~15 ms
        # without the GIL, so it happens in the background while the query is being set up.
        self._connecting = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kws-export-hashdb")
        self._db = self._connecting.submit(duckdb.connect)

    @property
    def db(self) -> duckdb.DuckDBPyConnection:
        return self._db.result()

    def repeats(self, header: str, keys: BatchKeys) -> np.ndarray:
        """Mask of candidate rows whose non-empty value was seen before or earlier in the batch."""
        flagged = keys.later
        seen = self._runs(header).contains(keys.ordered)  # sorted lookups: cache friendly
        if seen.any():  # rare: map the values found back to their rows
            flagged = flagged | np.isin(keys.mine, keys.ordered[seen])
        if keys.rows is None:
            return flagged
        repeated = np.zeros(keys.hashes.size, dtype=bool)
        repeated[keys.rows[flagged]] = True
        return repeated

    def record(self, header: str, keys: BatchKeys, accepted: np.ndarray) -> None:
        """Remember the values of the rows finally accepted (distinct and new by construction)."""
        kept = accepted & keys.present
        # `accepted` is within the candidates: the same count means the same rows, already sorted
        new = keys.ordered if np.count_nonzero(kept) == keys.ordered.size else np.sort(keys.hashes[kept])
        if new.size:
            self._runs(header).add(new)

    def _runs(self, header: str) -> _SortedRuns:
        if header not in self._seen:  # the 8 MB filter is allocated once per column
            self._seen[header] = _SortedRuns()
        return self._seen[header]

    def close(self) -> None:
        self._connecting.shutdown()
        self.db.close()


def _later_occurrences(values: np.ndarray, ordered: np.ndarray) -> np.ndarray:
    """Mask of values equal to an earlier one (`ordered` is `values` sorted).

    Repeats are rare: only the rows holding a repeated value are looked at again, in row order.
    """
    later = np.zeros(values.size, dtype=bool)
    repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    if repeated.size == 0:
        return later
    rows = np.flatnonzero(np.isin(values, repeated))
    first = np.unique(values[rows], return_index=True)[1]  # index of each value's first occurrence
    later[rows] = True
    later[rows[first]] = False
    return later


def _rows(mask: pa.Array | np.ndarray) -> list[int]:
    if isinstance(mask, np.ndarray):
        return np.flatnonzero(mask).tolist()
    return pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist()


def row_rules(plan: ColumnPlan, texts: dict[str, pa.Array]) -> list[tuple[int, str, str]]:
    """(row index, header, reason) for every per-row rule that fails in this batch.

    A column proven valid as a whole (`text_scan`, a few passes over its bytes) skips the per-value
    rule; otherwise the rule runs on every value and names the failing rows.
    """
    found: list[tuple[int, str, str]] = []
    emails = texts.get(col.EMAIL)
    if emails is not None and not text_scan.all_emails(emails):
        bad = _and_present(pc.invert(pc.match_substring_regex(emails, EMAIL_PATTERN)), emails)
        found += [(i, col.EMAIL, "malformed email address") for i in _rows(bad)]
    phones = texts.get(col.PHONE)
    if phones is not None and not text_scan.all_e164(phones):
        bad = _and_present(pc.invert(is_e164(phones)), phones)  # E164_PATTERN
        reason = "phone number not in E.164 (+ country code, digits only, e.g. +14155550123)"
        found += [(i, col.PHONE, reason) for i in _rows(bad)]
    for header, values in texts.items():
        if text_scan.longest_bytes(values) <= MAX_FIELD_BYTES:
            continue
        too_big = pc.greater(pc.binary_length(values), MAX_FIELD_BYTES)
        reason = f"field over {MAX_FIELD_BYTES // 1024} KB"
        found += [(i, header, reason) for i in _rows(too_big)]
    found += list_id_rules(plan.list_id, texts)
    found += _required(plan, texts)
    return found


def _and_present(bad: pa.Array, values: pa.Array) -> pa.Array:
    return pc.and_(bad, pc.not_equal(values, ""))


def _required(plan: ColumnPlan, texts: dict[str, pa.Array]) -> list[tuple[int, str, str]]:
    found: list[tuple[int, str, str]] = []
    if plan.kind == "events":
        for header in col.EVENT_REQUIRED:
            missing = ~text_scan.non_empty(texts[header])
            found += [(i, header, "required value missing") for i in _rows(missing)]
    any_id = np.zeros(len(next(iter(texts.values()))), dtype=bool)
    for header in plan.identifiers:
        any_id |= text_scan.non_empty(texts[header])
    names = "/".join(plan.identifiers)
    found += [(i, names, "no profile identifier (all empty)") for i in _rows(~any_id)]
    return found


def duplicate_headers(plan: ColumnPlan) -> tuple[str, ...]:
    """Identifiers (profiles) or the unique id (events): Klaviyo keeps the first row per value."""
    return plan.identifiers if plan.kind == "profiles" else (col.UNIQUE_ID,)


def duplicate_rules(keys: dict[str, BatchKeys], tracker: DuplicateTracker) -> list[tuple[int, str, str]]:
    """Rows repeating a value of an earlier accepted row; call `tracker.record` once rows are final."""
    found: list[tuple[int, str, str]] = []
    reason = "duplicate identifier: Klaviyo keeps only the first row with this value"
    for header, column in keys.items():
        repeated = tracker.repeats(header, column)
        found += [(i, header, reason) for i in np.flatnonzero(repeated).tolist()]
    return found
