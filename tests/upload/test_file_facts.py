"""Rows and sha256 for the import history: from the manifest beside a file, else counted."""

from __future__ import annotations

from pathlib import Path

from loader.export import manifest
from loader.export.manifest import Manifest, PartInfo
from loader.upload.file_facts import FileFacts, listed_in_manifest
from loader.upload.filecheck import rows_and_sha256


def _csv(folder: Path) -> Path:
    path = folder / "p-0001.csv"
    path.write_text("Email\na@x.io\nb@x.io\n")
    return path


def _listing(local: Path, rows: int, size: int) -> PartInfo:
    part = PartInfo(local.name, rows, size, "f" * 64)
    record = Manifest(
        "profiles", "--table t", "2025-01-02T03:04:05+00:00", 1000, rows, 0, 0, (part,), None, None
    )
    manifest.write(manifest.path_for(local.parent, "p"), record)
    return part


def test_facts_come_from_the_manifest_entry_of_the_same_size(tmp_path: Path) -> None:
    local = _csv(tmp_path)
    part = _listing(local, 7, local.stat().st_size)  # not the real rows: proves they were not counted
    (tmp_path / "broken.manifest.json").write_text("{")  # passed over
    assert listed_in_manifest(local) == part
    assert FileFacts.of(local) == FileFacts(7, "f" * 64)


def test_a_file_of_another_size_or_without_a_manifest_is_counted(tmp_path: Path) -> None:
    local = _csv(tmp_path)
    assert listed_in_manifest(local) is None
    _listing(local, 7, local.stat().st_size + 1)
    assert listed_in_manifest(local) is None
    assert FileFacts.of(local) == FileFacts(*rows_and_sha256(local)) and FileFacts.of(local).rows == 2
