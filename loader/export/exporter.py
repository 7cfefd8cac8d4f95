"""Query -> normalised, validated rows -> size-limited CSV parts + rejects + manifest.

Batches stream through: format every column (`format`), apply the row rules (`validate`), both in
worker threads (`batches`), write the accepted rows (`writer`), and log every problem with its row
in the query result, the part it would have gone into, column and reason (`problems`). Rejected rows
go to `rejects/<stem>.rejects-0001.csv` (with `_row` and `_problems`), every problem to
`rejects/<stem>.problems.csv`; `--strict` stops at the first batch with a problem instead, leaving
no CSV under a final name. The manifest `<stem>.manifest.json` lists rows, bytes and sha256 per
file; a rerun with the same stem then removes the earlier run's files it does not list (`outputs`).
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa

from loader.errors import SyncError
from loader.export import manifest
from loader.export.batches import Batch, accepted_rows, checked_batches
from loader.export.columns import ColumnPlan, plan_columns
from loader.export.format import check_types
from loader.export.list_target import check_list_id, with_list_id
from loader.export.manifest import Manifest, PartInfo
from loader.export.outputs import make_out_dir, remove_if_empty, remove_stale
from loader.export.problems import ProblemLog, describe
from loader.export.query import Source, query_batches
from loader.export.validate import DuplicateTracker, Problem
from loader.export.writer import PartWriter

MB = 1_000_000  # Klaviyo's "50 MB"; decimal megabytes are the safe reading
CHECK_THREADS = 2


@dataclass
class ExportOptions:
    kind: str
    out_dir: Path
    max_file_mb: float = 50.0
    strict: bool = False
    batch_rows: int = 250_000
    stem: str | None = None
    destination: str | None = None
    list_id: str | None = None  # profiles: add every row to this Klaviyo list (`list_target`)


@dataclass
class ExportResult:
    manifest: Path
    files: list[PartInfo]
    rows: int = 0
    rejected: int = 0
    problems: int = 0
    rejects_file: Path | None = None
    problems_file: Path | None = None
    sample: list[Problem] = field(default_factory=list)


def export(source: Source, options: ExportOptions) -> ExportResult:
    """Run the export of `source` into `options.out_dir` on the configured destination."""
    check_list_id(options.list_id, options.kind)  # a mistyped --list-id fails before the query runs
    tracker = DuplicateTracker()  # starts its own setup now, while the query is being set up
    try:
        with query_batches(source, destination=options.destination, batch_rows=options.batch_rows) as batches:
            return export_batches(batches, source.label, options, tracker)
    finally:
        tracker.close()


def export_batches(
    batches: Iterable[pa.Table], where: str, options: ExportOptions, tracker: DuplicateTracker
) -> ExportResult:
    """The export of already-fetched Arrow batches (the query step is separate for testability).

    A pipeline over the cores (Arrow kernels, DuckDB, numpy, hashlib and file writes release the
    GIL): while the main thread checks duplicates of batch N in row order and fetches the next,
    CHECK_THREADS workers format, check and encode the following batches (`batches.prepare`), a
    writer thread writes batch N-1 and a hashing thread beside it runs sha256 over the same bytes.
    About `batches.AHEAD` + 4 batches are in memory.
    """
    if options.max_file_mb <= 0:
        raise SyncError("the file size limit must be positive", "--max-file-mb", "e.g. --max-file-mb 50")
    list_id = check_list_id(options.list_id, options.kind)
    batches = with_list_id(batches, options.kind, list_id)
    out = options.out_dir
    rejects_dir = make_out_dir(out)
    stem = options.stem or _default_stem(out, options.kind)
    result = ExportResult(manifest.path_for(out, stem), [])
    sink: _Sink | None = None
    log = ProblemLog(rejects_dir / f"{stem}.problems.csv")
    writes: deque[Future[None]] = deque()
    try:
        with (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="kws-export-writer") as pool,
            ThreadPoolExecutor(max_workers=CHECK_THREADS, thread_name_prefix="kws-export-check") as workers,
        ):

            def plan_for(table: pa.Table) -> ColumnPlan:
                nonlocal sink
                sink = sink or _Sink.start(table, where, out, stem, options, log)
                return sink.plan

            base = 0
            for batch in checked_batches(batches, plan_for, tracker, workers):
                assert sink is not None
                if options.strict and batch.issues:
                    _drain(writes)
                    sink.fail_strict(batch, base)
                writes.append(pool.submit(sink.write, batch, base))
                if len(writes) > 1:
                    writes.popleft().result()
                result.rows += int((~batch.rejected).sum())
                result.rejected += int(batch.rejected.sum())
                base += batch.rejected.size
            _drain(writes)
    except BaseException:
        if sink is not None:
            sink.abort()
        log.abort()
        remove_if_empty(rejects_dir)
        raise
    return _finish(result, sink, log, options, where)


def _drain(writes: deque[Future[None]]) -> None:
    while writes:
        writes.popleft().result()


@dataclass
class _Sink:
    """Where checked batches go: the CSV parts, the rejects file and the problems report."""

    plan: ColumnPlan
    writer: PartWriter
    rejects: PartWriter
    log: ProblemLog

    @classmethod
    def start(
        cls, first: pa.Table, where: str, out: Path, stem: str, options: ExportOptions, log: ProblemLog
    ) -> _Sink:
        """Map and check the result's columns (on its first batch), then open the files."""
        list_id = check_list_id(options.list_id, options.kind)
        plan = plan_columns(options.kind, first.column_names, where, list_id)
        check_types(first, [plan.label(h) for h in plan.headers], where)
        return cls.open(plan, out, stem, options, log)

    @classmethod
    def open(cls, plan: ColumnPlan, out: Path, stem: str, options: ExportOptions, log: ProblemLog) -> _Sink:
        writer = PartWriter(out, stem, list(plan.headers), int(options.max_file_mb * MB))
        reject_headers = ["_row", "_problems", *plan.headers]
        rejects = PartWriter(out / "rejects", f"{stem}.rejects", reject_headers, sys.maxsize)
        return cls(plan, writer, rejects, log)

    def write(self, batch: Batch, base: int) -> None:
        accepted = accepted_rows(self.plan, batch)
        encoded = batch.encoded if batch.encoded[0] == accepted.num_rows else None  # else: duplicates
        placed = self.writer.write(accepted, encoded[1] if encoded else None)
        _log_problems(self.log, self.plan, batch, base, placed or [(0, self.writer.current_name)])
        if batch.rejected.any():
            self.rejects.write(_rejected(self.plan, batch, base))

    def fail_strict(self, batch: Batch, base: int) -> None:
        _log_problems(self.log, self.plan, batch, base, [(0, self.writer.current_name)])
        self.abort()
        path = self.log.finish()
        raise SyncError(
            f"{self.log.count} problem(s) found, first: {describe(self.log.sample[0])}; "
            "nothing was written under a final name",
            str(path),
            "fix the rows listed in the problems file, or drop --strict to write them to a rejects file",
        )

    def abort(self) -> None:
        self.writer.abort()
        self.rejects.abort()


def _log_problems(
    log: ProblemLog, plan: ColumnPlan, batch: Batch, base: int, placed: list[tuple[int, str]]
) -> None:
    """Each problem names the part its row would have gone into (rows are numbered in the result)."""
    if not batch.issues:
        return
    accepted_before = np.cumsum(~batch.rejected) - (~batch.rejected)
    starts = np.array([start for start, _ in placed], dtype=np.int64)
    for i, header, reason in sorted(batch.issues):
        part = (
            placed[max(int(np.searchsorted(starts, accepted_before[i], side="right")) - 1, 0)][1]
            if placed
            else ""
        )
        log.add(Problem(part or "(not written)", base + i + 1, plan.label(header), reason))


def _rejected(plan: ColumnPlan, batch: Batch, base: int) -> pa.Table:
    rows = np.flatnonzero(batch.rejected)
    reasons: dict[int, list[str]] = {}
    for i, header, reason in sorted(batch.issues):
        reasons.setdefault(i, []).append(f"{plan.label(header)}: {reason}")
    take = pa.array(rows)
    columns = [
        pa.array([str(base + i + 1) for i in rows], pa.string()),
        pa.array(["; ".join(reasons[i]) for i in rows.tolist()], pa.string()),
        *(batch.texts[h].take(take) for h in plan.headers),
    ]
    return pa.table(columns, names=["_row", "_problems", *plan.headers])


def _finish(
    result: ExportResult, sink: _Sink | None, log: ProblemLog, options: ExportOptions, where: str
) -> ExportResult:
    result.files = sink.writer.finish() if sink else []
    if sink is not None and result.rejected:
        result.rejects_file = options.out_dir / "rejects" / sink.rejects.finish()[0].name
    elif sink is not None:
        sink.rejects.abort()
    result.problems = log.count
    result.sample = log.sample
    result.problems_file = log.finish()
    record = Manifest(
        kind=options.kind,
        source=where,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        max_file_bytes=int(options.max_file_mb * MB),
        rows=result.rows,
        rejected_rows=result.rejected,
        problems=result.problems,
        files=tuple(result.files),
        rejects_file=_relative(result.rejects_file, options.out_dir),
        problems_file=_relative(result.problems_file, options.out_dir),
    )
    manifest.write(result.manifest, record)
    listed = {part.name for part in result.files}
    listed |= {str(p.relative_to(options.out_dir)) for p in (result.rejects_file, result.problems_file) if p}
    remove_stale(options.out_dir, manifest.stem_of(result.manifest), listed)
    remove_if_empty(options.out_dir / "rejects")
    return result


def _relative(path: Path | None, root: Path) -> str | None:
    return None if path is None else str(path.relative_to(root))


def _default_stem(out: Path, kind: str) -> str:
    stem = f"{kind}_{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}"
    candidate, n = stem, 1
    while manifest.path_for(out, candidate).exists() or (out / f"{candidate}-0001.csv").exists():
        n += 1
        candidate = f"{stem}_{n}"
    return candidate
