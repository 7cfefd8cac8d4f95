"""Which files an upload sends, and to which folder.

Files are taken as given, except that an export manifest (`*.manifest.json`) stands for the CSV
parts it lists. The folder is `--folder`, checked against the kind of every manifest given, or the
manifests' kind when `--folder` is not given: a profiles export is never sent to events/ or the
other way round.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from loader.errors import SyncError
from loader.export import manifest
from loader.upload.uploader import FOLDERS


@dataclass(frozen=True)
class Selection:
    files: list[Path]
    folder: str


def select(files: Sequence[Path], folder: str | None) -> Selection:
    """The files to send (manifests expanded, in the order given) and the folder they go to."""
    paths: list[Path] = []
    kinds: dict[Path, str] = {}
    for path in files:
        if manifest.is_manifest(path):
            record = manifest.read(path)
            paths += record.part_paths(path.parent)
            kinds[path] = record.kind
        else:
            paths.append(path)
    return Selection(paths, choose_folder(folder, kinds))


def choose_folder(folder: str | None, kinds: dict[Path, str]) -> str:
    """`folder` (None: not given), checked against the `kinds` of the manifests given."""
    for path, kind in kinds.items():
        if kind not in FOLDERS:
            raise SyncError(
                f"manifest kind {kind!r} is not profiles or events",
                f"{path}, key kind",
                "pass a manifest written by `klaviyo-sync export`",
            )
        if folder is None:
            folder = kind
        elif kind != folder:
            raise SyncError(
                f"this manifest holds a {kind} export but --folder is {folder}",
                str(path),
                f"use --folder {kind} (or leave --folder out): Klaviyo imports {folder}/ files as {folder}",
            )
    if folder is None:
        raise SyncError("no import folder given", "--folder", "pass --folder profiles or --folder events")
    return folder
