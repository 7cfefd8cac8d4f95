"""The manifest record: written by the export exactly as documented, read back typed; a bad one is
refused with an error naming the file and the key."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from loader.errors import SyncError
from loader.export import manifest
from loader.export.exporter import ExportResult
from loader.export.manifest import Manifest, PartInfo

Run = Callable[..., ExportResult]
KEYS = [
    "kind",
    "source",
    "created_at",
    "max_file_bytes",
    "rows",
    "rejected_rows",
    "problems",
    "files",
    "rejects_file",
    "problems_file",
]
FIX = "- pass a manifest written by `klaviyo-sync export` (or run the export again)"


def _record() -> Manifest:
    part = PartInfo("p-0001.csv", 2, 40, "ab" * 32)
    rejects, problems = "rejects/p.rejects-0001.csv", "rejects/p.problems.csv"
    return Manifest(
        "profiles", "--table t", "2025-01-02T03:04:05+00:00", 50_000_000, 2, 1, 1, (part,), rejects, problems
    )


def _written(tmp_path: Path, change: Callable[[dict[str, Any]], object]) -> Path:
    """A manifest file: the record above as JSON, changed by `change`."""
    path = tmp_path / "p.manifest.json"
    manifest.write(path, _record())
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    return path


def _refused(path: Path) -> str:
    with pytest.raises(SyncError) as raised:
        manifest.read(path)
    return str(raised.value)


def test_write_then_read_gives_the_same_record(tmp_path: Path) -> None:
    path = tmp_path / "p.manifest.json"
    manifest.write(path, _record())
    text = path.read_text()
    assert list(json.loads(text)) == KEYS and text.endswith("}\n") and text.startswith('{\n  "kind"')
    assert json.loads(text)["files"] == [{"name": "p-0001.csv", "rows": 2, "bytes": 40, "sha256": "ab" * 32}]
    assert manifest.read(path) == _record()
    assert [p.name for p in tmp_path.iterdir()] == ["p.manifest.json"]  # no temporary file left


def test_the_export_writes_what_read_returns(run_export: Run) -> None:
    bad = "SELECT * FROM (VALUES ('a@x.io'), ('broken')) t(email)"
    result = run_export(bad, stem="m")
    record = manifest.read(result.manifest)
    assert record.files == tuple(result.files) and record.kind == "profiles"
    assert (record.rows, record.rejected_rows, record.problems) == (1, 1, 1)
    assert record.rejects_file == "rejects/m.rejects-0001.csv"
    assert record.problems_file == "rejects/m.problems.csv"
    assert record.part_paths(result.manifest.parent) == [result.manifest.parent / "m-0001.csv"]


def test_extra_keys_are_ignored(tmp_path: Path) -> None:
    path = _written(tmp_path, lambda data: data.update(note="added by hand"))
    assert manifest.read(path) == _record()


@pytest.mark.parametrize("key", KEYS)
def test_missing_key_is_named(tmp_path: Path, key: str) -> None:
    path = _written(tmp_path, lambda data: data.pop(key))
    assert _refused(path) == f"manifest key {key} is missing ({path}, key {key}) {FIX}"


def test_missing_key_of_a_file_entry_is_named(tmp_path: Path) -> None:
    path = _written(tmp_path, lambda data: data["files"][0].pop("sha256"))
    assert _refused(path).startswith(f"manifest key files[0].sha256 is missing ({path}, key files[0].sha256)")


@pytest.mark.parametrize(
    ("key", "value", "what"),
    [
        ("rows", "2", 'manifest key rows is "2", not an integer'),
        ("rows", True, "manifest key rows is true, not an integer"),
        ("rows", 2.5, "manifest key rows is 2.5, not an integer"),
        ("rows", -1, "manifest key rows is -1, not a count (0 or more)"),
        ("kind", None, "manifest key kind is null, not a string"),
        ("files", {"name": "p-0001.csv"}, 'manifest key files is {"name": "p-0001.csv"}, not a list'),
        ("rejects_file", 3, "manifest key rejects_file is 3, not a string or null"),
        ("source", ["x" * 100], f'manifest key source is ["{"x" * 35}..., not a string'),
    ],
)
def test_wrong_type_is_named(tmp_path: Path, key: str, value: object, what: str) -> None:
    path = _written(tmp_path, lambda data: data.update({key: value}))
    assert _refused(path) == f"{what} ({path}, key {key}) {FIX}"


def test_wrong_type_in_a_file_entry_is_named(tmp_path: Path) -> None:
    path = _written(tmp_path, lambda data: data["files"][0].update(bytes="40"))
    where = f"({path}, key files[0].bytes)"
    assert _refused(path).startswith(f'manifest key files[0].bytes is "40", not an integer {where}')
    path = _written(tmp_path, lambda data: data["files"].append("p-0002.csv"))
    where = f"({path}, key files[1])"
    assert _refused(path).startswith(f'manifest key files[1] is "p-0002.csv", not an object {where}')


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ('{"kind": "profiles",', "the manifest is not JSON (Expecting property name enclosed in double"),
        ("", "the manifest is not JSON (Expecting value: line 1 column 1 (char 0))"),
        ("[1, 2]", "the manifest is not a JSON object"),
    ],
)
def test_not_a_json_object(tmp_path: Path, text: str, what: str) -> None:
    path = tmp_path / "p.manifest.json"
    path.write_text(text)
    message = _refused(path)
    assert message.startswith(what) and message.endswith(f"({path}) {FIX}")


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "p.manifest.json"
    assert _refused(path).startswith("cannot read manifest: [Errno 2] No such file or directory")
    path.write_bytes(b'{"kind": "\xff"}')
    assert _refused(path).startswith("cannot read manifest: 'utf-8' codec can't decode byte 0xff")
