"""Pre-upload checks for CSV files that did not come from `export` (no manifest entry).

Klaviyo needs UTF-8 text; a file with other bytes is refused before anything is sent, naming the
file, line and column of the first bad byte. ASCII blocks (the common case) are recognised at memory
speed; only blocks with other bytes go through the UTF-8 decoder. Data rows (lines minus the header;
a quoted value spanning lines makes that an upper bound) and the sha256 for the import history come
from a second pass that can run beside the upload.
"""

from __future__ import annotations

import codecs
import hashlib
from pathlib import Path

import numpy as np

from loader.errors import SyncError

CHUNK_BYTES = 4 * 1024 * 1024
NEWLINE = ord("\n")


def check_utf8(path: Path) -> None:
    """SyncError at the first byte of `path` that is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0  # bytes of the file before `chunk`
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            pending = decoder.getstate()[0]
            if pending or not chunk.isascii():  # ASCII after a complete character is valid as is
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    _refuse(path, offset + exc.start - len(pending))  # may point into the last block
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            _refuse(path, offset, truncated=True)


def rows_and_sha256(path: Path) -> tuple[int, str]:
    """Data rows (lines minus the header) and the sha256 of the file, in one pass."""
    digest = hashlib.sha256()
    lines = 0
    ends_with_newline = True
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)  # hashlib and numpy release the GIL: this runs beside an upload
            lines += int(np.count_nonzero(np.frombuffer(chunk, dtype=np.uint8) == NEWLINE))
            ends_with_newline = chunk.endswith(b"\n")
    if not ends_with_newline:  # a last line without a newline
        lines += 1
    return max(lines - 1, 0), digest.hexdigest()


def _refuse(path: Path, position: int, truncated: bool = False) -> None:
    """The error for the bad byte at `position`: its line, and its column counted by commas."""
    with path.open("rb") as handle:
        before = handle.read(position)
        bad = handle.read(1)
    line = before.count(b"\n") + 1
    column = before[before.rfind(b"\n") + 1 :].count(b",") + 1
    byte = "a truncated character at the end" if truncated or not bad else f"byte 0x{bad[0]:02x}"
    raise SyncError(
        f"not UTF-8 text ({byte})",
        f"{path}, line {line}, column {column}",
        "re-export the file as UTF-8 (klaviyo-sync export writes UTF-8 and reports bad rows)",
    )
