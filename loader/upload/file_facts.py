"""Rows and sha256 of a file to upload, for the import history: from the export manifest beside it,
else counted (after the UTF-8 check, which refuses the file before anything is sent)."""

from __future__ import annotations

import logging
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from pathlib import Path

from loader.errors import SyncError
from loader.export import manifest
from loader.export.manifest import PartInfo
from loader.upload.filecheck import check_utf8, rows_and_sha256

log = logging.getLogger(__name__)


@dataclass
class FileFacts:
    """Rows and sha256 of a local file: from its export manifest, else counted (`pending`)."""

    rows: int | None
    sha256: str | None
    pending: Future[tuple[int, str]] | None = None

    @classmethod
    def of(cls, local: Path, counting: Executor | None = None) -> FileFacts:
        """From the manifest next to the file; else the file is checked for UTF-8 now (refused
        before anything is sent) and counted and hashed in `counting` (or now, without one)."""
        listed = listed_in_manifest(local)
        if listed is not None:
            return cls(listed.rows, listed.sha256)
        check_utf8(local)
        if counting is None:
            return cls(*rows_and_sha256(local))
        return cls(None, None, counting.submit(rows_and_sha256, local))

    def resolved(self) -> FileFacts:
        """These facts with the counting finished (waits for it)."""
        if self.pending is None:
            return self
        return FileFacts(*self.pending.result())


def listed_in_manifest(local: Path) -> PartInfo | None:
    """The entry for `local` (same name, same size) in an export manifest of its folder, if any;
    a manifest that cannot be read is passed over (the file is then counted instead)."""
    size = local.stat().st_size
    for path in local.parent.glob(f"*{manifest.SUFFIX}"):
        try:
            record = manifest.read(path)
        except SyncError as exc:
            log.debug("%s: not used for %s (%s)", path.name, local.name, exc)
            continue
        for part in record.files:
            if part.name == local.name and part.bytes == size:
                return part
    return None
