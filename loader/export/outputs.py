"""The export's output directory: created with a clear error, and one file set per name.

A rerun with the same `--name` replaces the set: once the new parts and manifest are in place,
files of the earlier run that match exactly our naming pattern for that stem (`<stem>-NNNN.csv`,
`rejects/<stem>.rejects-NNNN.csv`, `rejects/<stem>.problems.csv`) and that the new manifest does
not list are removed. Nothing else in the directory is touched.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

from loader.errors import SyncError

REJECTS = "rejects"


def make_out_dir(out: Path) -> Path:
    """Create `out/rejects` (and `out`); the rejects folder is returned."""
    rejects = out / REJECTS
    try:
        rejects.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SyncError(
            f"cannot create the output directory ({exc.strerror or type(exc).__name__})",
            str(out if not out.is_dir() else rejects),
            "pass an --out directory you can write to",
        ) from exc
    return rejects


def remove_if_empty(folder: Path) -> None:
    try:
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    except OSError:
        pass  # not empty after all (a concurrent writer) or already gone: leave it


def remove_stale(out: Path, stem: str, listed: Collection[str]) -> list[Path]:
    """Remove files of an earlier export named `stem` that are not in `listed` (paths relative to
    `out`); return what was removed."""
    name = re.escape(stem)
    patterns = [
        (out, re.compile(rf"{name}-\d{{4,}}\.csv")),
        (out / REJECTS, re.compile(rf"{name}\.(?:rejects-\d{{4,}}\.csv|problems\.csv)")),
    ]
    removed: list[Path] = []
    for folder, pattern in patterns:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            relative = str(path.relative_to(out))
            if pattern.fullmatch(path.name) and relative not in listed and path.is_file():
                path.unlink()
                removed.append(path)
    return removed
