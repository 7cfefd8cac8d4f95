"""A pre-upload check for CSV files that did not come from `export` (no manifest entry).

Klaviyo needs UTF-8 text; a file with other bytes is refused before anything is sent, naming the
file, line and column of the first bad byte. Data rows are counted (lines minus the header) for the
import history; a quoted value spanning lines makes that count an upper bound.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from loader.errors import SyncError

CHUNK_BYTES = 4 * 1024 * 1024


def scan_csv(path: Path) -> int:
    """Data rows of a UTF-8 CSV file; SyncError at the first byte that is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            pending = decoder.getstate()[0]
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                _refuse(path, lines, last, chunk, max(exc.start - len(pending), 0))
            lines += chunk.count(b"\n")
            last = chunk[chunk.rfind(b"\n") + 1 :] if b"\n" in chunk else last + chunk
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            _refuse(path, lines, last, b"", 0, truncated=True)
    if last:  # a last line without a newline
        lines += 1
    return max(lines - 1, 0)


def _refuse(path: Path, lines: int, last: bytes, chunk: bytes, at: int, truncated: bool = False) -> None:
    before = chunk[:at]
    line = lines + before.count(b"\n") + 1
    line_start = (last if b"\n" not in before else b"") + before[before.rfind(b"\n") + 1 :]
    column = line_start.count(b",") + 1
    byte = "a truncated character at the end" if truncated else f"byte 0x{chunk[at]:02x}"
    raise SyncError(
        f"not UTF-8 text ({byte})",
        f"{path}, line {line}, column {column}",
        "re-export the file as UTF-8 (klaviyo-sync export writes UTF-8 and reports bad rows)",
    )
