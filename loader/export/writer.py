"""Streaming CSV parts: each under a byte limit, each with the header, final names only at the end.

Rows are written with pyarrow's CSV writer (comma, `\\n`, UTF-8; every non-null text value quoted,
nulls empty). All columns are text by now, so a row's exact size is known in advance:
sum(len + 2 + number of `"`) over its non-null values, plus the commas and the newline. That lets a
batch be cut at the right row without re-encoding it. Parts are written as hidden `.NAME.tmp` files
and renamed to their final names by `finish()`: no reader ever sees a partial file under a final name.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from loader.errors import SyncError
from loader.export import text_scan
from loader.export.manifest import PartInfo

_CSV_OPTIONS = pacsv.WriteOptions(include_header=False, quoting_style="needed")


def header_line(names: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(names)
    return buffer.getvalue().encode("utf-8")


def row_sizes(table: pa.Table) -> np.ndarray:
    """Exact encoded size of each row of an all-text table, as pyarrow's writer will emit it."""
    sizes = np.full(table.num_rows, table.num_columns, dtype=np.int64)  # commas + newline
    for column in table.columns:
        values = column.combine_chunks()
        if values.null_count or not pa.types.is_string(values.type):
            length = pc.add(pc.add(pc.binary_length(values), 2), pc.count_substring(values, '"'))
            sizes += np.asarray(pc.fill_null(length, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
            continue
        # no nulls: lengths straight from the offsets; quotes counted only if the text has any
        offsets = text_scan.offsets(values)
        sizes += np.diff(offsets) + 2
        data = values.buffers()[2]
        text = np.frombuffer(data, dtype=np.uint8)[offsets[0] : offsets[-1]] if data else None
        if text is not None and (text == ord('"')).any():
            sizes += np.asarray(pc.count_substring(values, '"').to_numpy(), dtype=np.int64)
    return sizes


def encode_rows(table: pa.Table) -> pa.Buffer:
    """The rows as CSV bytes (an Arrow buffer: written and hashed without a copy)."""
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, _CSV_OPTIONS)
    return sink.getvalue()


class PartWriter:
    """Writes `<stem>-0001.csv`, `<stem>-0002.csv`, ... each at most `max_bytes` bytes."""

    def __init__(self, out_dir: Path, stem: str, headers: list[str], max_bytes: int) -> None:
        self.out_dir = out_dir
        self.stem = stem
        self.header = header_line(headers)
        self.max_bytes = max_bytes
        self.parts: list[PartInfo] = []
        self._file: BinaryIO | None = None
        self._hash = hashlib.sha256()
        # sha256 runs in its own thread, in write order, beside the file writes (both without the GIL)
        self._hasher: ThreadPoolExecutor | None = None
        self._hashing: list[Future[None]] = []
        if len(self.header) >= max_bytes:
            raise SyncError(
                f"the header alone ({len(self.header)} bytes) exceeds the file size limit",
                "--max-file-mb",
                "raise --max-file-mb",
            )

    @property
    def current_name(self) -> str:
        return f"{self.stem}-{len(self.parts) + (0 if self._file else 1):04d}.csv"

    def _temp(self, name: str) -> Path:
        return self.out_dir / f".{name}.tmp"

    def write(self, table: pa.Table, data: pa.Buffer | None = None) -> list[tuple[int, str]]:
        """Append rows (all-text columns in header order), starting new parts as needed.

        `data` is `encode_rows(table)` when the caller encoded it already (e.g. in another thread).
        Returns (index of the first row, part name) for each part the rows went into.
        """
        placed: list[tuple[int, str]] = []
        if table.num_rows == 0:
            return placed
        used = self.parts[-1].bytes if self._file else len(self.header)
        data = data if data is not None else encode_rows(table)
        if used + len(data) <= self.max_bytes:  # the common case: the whole batch fits
            self._append(table.num_rows, len(data), data)
            return [(0, self.parts[-1].name)]
        sizes = np.cumsum(row_sizes(table))
        if int(sizes[-1]) != len(data):
            raise RuntimeError(f"CSV size mismatch: predicted {int(sizes[-1])} bytes, encoded {len(data)}")
        start = 0
        while start < table.num_rows:
            used = self.parts[-1].bytes if self._file else 0
            room = self.max_bytes - (used or len(self.header))
            base = sizes[start - 1] if start else 0
            fit = int(np.searchsorted(sizes, base + room, side="right")) - start
            if fit <= 0:
                if not self._file or self.parts[-1].rows == 0:
                    raise SyncError(
                        f"row {start + 1} of this batch alone is larger than the file size limit",
                        self.current_name,
                        "raise --max-file-mb",
                    )
                self._close_part()
                continue
            size = int(sizes[start + fit - 1] - base)
            self._append(fit, size, data.slice(int(base), size))  # rows are cut from the bytes
            placed.append((start, self.parts[-1].name))
            start += fit
            if start < table.num_rows:
                self._close_part()
        return placed

    def _append(self, rows: int, size: int, data: pa.Buffer) -> None:
        if self._file is None:
            self._open_part()
        assert self._file is not None and len(data) == size
        if self._hasher is None:
            self._hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kws-export-sha256")
        self._hashing.append(self._hasher.submit(self._hash.update, data))
        self._file.write(data)
        while len(self._hashing) > 2:  # bounded: a slow hasher holds at most two batches' bytes
            self._hashing.pop(0).result()
        part = self.parts[-1]
        self.parts[-1] = replace(part, rows=part.rows + rows, bytes=part.bytes + size)

    def _open_part(self) -> None:
        name = self.current_name
        self._file = open(self._temp(name), "wb")  # noqa: SIM115 - closed in _close_part
        self._hash = hashlib.sha256(self.header)
        self._file.write(self.header)
        self.parts.append(PartInfo(name, 0, len(self.header), ""))

    def _close_part(self) -> None:
        if self._file is None:
            return
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        self._wait_for_hashing()
        self.parts[-1] = replace(self.parts[-1], sha256=self._hash.hexdigest())

    def _wait_for_hashing(self) -> None:
        while self._hashing:
            self._hashing.pop(0).result()

    def finish(self) -> list[PartInfo]:
        """Close the last part and give every part its final name (atomic rename)."""
        self._close_part()
        self._stop_hasher()
        for part in self.parts:
            os.replace(self._temp(part.name), self.out_dir / part.name)
        return self.parts

    def _stop_hasher(self) -> None:
        if self._hasher is not None:
            self._hasher.shutdown(cancel_futures=True)
            self._hasher = None
        self._hashing.clear()

    def abort(self) -> None:
        """Drop every temporary part; nothing appears under a final name."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._stop_hasher()
        for part in self.parts:
            self._temp(part.name).unlink(missing_ok=True)
