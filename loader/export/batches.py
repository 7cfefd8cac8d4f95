"""Checking batches of an export: format, row rules, duplicates, CSV encoding.

`prepare` (format every column, apply the row rules, hash the identifiers, encode the rows that
pass) needs nothing but its batch, so several batches are prepared at once in worker threads.
`dedupe` needs every earlier row (Klaviyo keeps the first row per identifier), so it runs on one
batch at a time, in row order; `checked_batches` yields the batches in that order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from loader.export.columns import ColumnPlan
from loader.export.format import format_column
from loader.export.validate import (
    BatchKeys,
    DuplicateTracker,
    batch_keys,
    duplicate_headers,
    duplicate_rules,
    row_rules,
)
from loader.export.writer import encode_rows

AHEAD = 2  # batches prepared ahead of the one being deduplicated (memory: a few batches)


@dataclass
class Batch:
    """One batch's text columns, which rows are rejected and why, and its accepted rows' CSV bytes."""

    texts: dict[str, pa.Array]
    rejected: np.ndarray
    issues: list[tuple[int, str, str]]
    keys: dict[str, BatchKeys]
    encoded: tuple[int, pa.Buffer] = (-1, pa.py_buffer(b""))  # rows and CSV bytes of the accepted rows


def checked_batches(
    batches: Iterable[pa.Table],
    plan_for: Callable[[pa.Table], ColumnPlan],
    tracker: DuplicateTracker,
    workers: ThreadPoolExecutor,
) -> Iterator[Batch]:
    """Checked batches in order: up to AHEAD + 1 are prepared in the workers while the oldest one's
    duplicates are checked here (duplicates need every earlier row, so this step is sequential)."""
    queue: deque[tuple[ColumnPlan, Future[Batch]]] = deque()
    try:
        for table in batches:
            plan = plan_for(table)
            queue.append((plan, workers.submit(prepare, plan, table, tracker.db)))
            if len(queue) > AHEAD:
                yield dedupe(*_ready(queue.popleft()), tracker)
        while queue:
            yield dedupe(*_ready(queue.popleft()), tracker)
    finally:
        for _, pending in queue:
            pending.cancel()


def _ready(item: tuple[ColumnPlan, Future[Batch]]) -> tuple[ColumnPlan, Batch]:
    return item[0], item[1].result()


def prepare(plan: ColumnPlan, table: pa.Table, db: duckdb.DuckDBPyConnection) -> Batch:
    """Format every column, apply the row rules and encode the rows that pass them (a worker)."""
    texts: dict[str, pa.Array] = {}
    issues: list[tuple[int, str, str]] = []
    for i, header in enumerate(plan.headers):
        text, column_issues = format_column(table.column(i), header)
        texts[header] = text
        issues += [(row, header, reason) for row, reason in column_issues]
    flagged = {(i, header) for i, header, _ in issues}
    issues += [issue for issue in row_rules(plan, texts) if issue[:2] not in flagged]
    rejected = np.zeros(table.num_rows, dtype=bool)
    rejected[[i for i, _, _ in issues]] = True
    keys = batch_keys({header: texts[header] for header in duplicate_headers(plan)}, ~rejected, db)
    batch = Batch(texts, rejected, issues, keys)
    accepted = accepted_rows(plan, batch)
    batch.encoded = (accepted.num_rows, encode_rows(accepted))
    return batch


def dedupe(plan: ColumnPlan, batch: Batch, tracker: DuplicateTracker) -> Batch:
    """Reject rows repeating an identifier of an earlier accepted row (in row order, first wins)."""
    duplicates = duplicate_rules(batch.keys, tracker)
    if duplicates:
        batch.rejected[[i for i, _, _ in duplicates]] = True
        batch.issues += duplicates
    for header, keys in batch.keys.items():
        tracker.record(header, keys, ~batch.rejected)
    batch.keys = {}  # not needed any more: the batch waits for the writer without them
    return batch


def accepted_rows(plan: ColumnPlan, batch: Batch) -> pa.Table:
    table = pa.table([batch.texts[h] for h in plan.headers], names=list(plan.headers))
    return table.filter(pa.array(~batch.rejected)) if batch.rejected.any() else table
