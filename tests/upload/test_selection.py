"""Which files and folder an upload takes: manifests expanded, the folder from --folder or the
manifests' kind; a bad manifest stops the upload with its file and key named, before any SFTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from loader.cli import main
from loader.errors import SyncError
from loader.export import manifest
from loader.export.manifest import Manifest, PartInfo
from loader.upload.selection import Selection, select


def _manifest(folder: Path, stem: str, kind: str, parts: int) -> Path:
    files = tuple(PartInfo(f"{stem}-{i:04d}.csv", 1, 10, "0" * 64) for i in range(1, parts + 1))
    record = Manifest(kind, "--table t", "2025-01-02T03:04:05+00:00", 1000, parts, 0, 0, files, None, None)
    path = manifest.path_for(folder, stem)
    manifest.write(path, record)
    return path


def test_manifest_stands_for_its_parts_and_gives_the_folder(tmp_path: Path) -> None:
    given = _manifest(tmp_path, "p", "events", 2)
    plain = tmp_path / "other.csv"
    assert select([plain, given], None) == Selection(
        [plain, tmp_path / "p-0001.csv", tmp_path / "p-0002.csv"], "events"
    )
    assert select([plain], "profiles") == Selection([plain], "profiles")


def test_manifests_of_both_kinds_are_refused(tmp_path: Path) -> None:
    events = _manifest(tmp_path, "e", "events", 1)
    profiles = _manifest(tmp_path, "p", "profiles", 1)
    with pytest.raises(SyncError, match=r"this manifest holds a profiles export but --folder is events"):
        select([events, profiles], None)


def test_manifest_of_an_unknown_kind(tmp_path: Path) -> None:
    path = _manifest(tmp_path, "p", "lists", 1)
    with pytest.raises(SyncError) as raised:
        select([path], None)
    assert str(raised.value).startswith(f"manifest kind 'lists' is not profiles or events ({path}, key kind)")


def test_bad_manifest_fails_the_upload_naming_file_and_key(tmp_path: Path) -> None:
    path = _manifest(tmp_path, "p", "profiles", 1)
    data = json.loads(path.read_text())
    del data["files"][0]["rows"]
    path.write_text(json.dumps(data))
    result = CliRunner().invoke(main, ["upload", str(path), "--no-progress"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: manifest key files[0].rows is missing ({path}, key files[0].rows) - "
        "pass a manifest written by `klaviyo-sync export` (or run the export again)\n"
    )


def test_manifest_that_is_not_json_fails_the_upload(tmp_path: Path) -> None:
    path = tmp_path / "p.manifest.json"
    path.write_text("not json")
    result = CliRunner().invoke(main, ["upload", str(path), "--folder", "profiles"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the manifest is not JSON (Expecting value")
    assert f"({path}) - pass a manifest written by `klaviyo-sync export`" in result.stderr
