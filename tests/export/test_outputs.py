"""The output directory: a rerun with the same --name replaces the set; clear errors; no empty rejects/."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from loader.errors import SyncError
from loader.export.exporter import ExportResult
from loader.export.outputs import remove_stale
from tests.export.helpers import exported_rows

Run = Callable[..., ExportResult]
MANY = "SELECT 'user' || i || '@example.com' AS email, repeat('n', 20) AS notes FROM range(20000) r(i)"
FEW = "SELECT * FROM (VALUES ('a@x.io', 'Subscribe'), ('b@x.io', 'Subscribe')) t(email, email_consent)"


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file())


def test_rerun_with_same_name_replaces_the_set(run_export: Run, tmp_path: Path) -> None:
    out = tmp_path / "out"
    bad = "SELECT * FROM (VALUES ('a@x.io', 'x'), ('broken', 'y')) t(email, notes)"
    first = run_export(f"{MANY} UNION ALL {bad}", max_file_mb=0.1, stem="s")
    assert len(first.files) >= 3 and first.rejected == 1
    (out / "s-notes.txt").write_text("kept")  # not our naming pattern: never touched
    (out / "other-0002.csv").write_text("kept")
    (out / "rejects" / "other.problems.csv").write_text("kept")
    second = run_export(FEW, max_file_mb=0.1, stem="s")
    assert [p.name for p in second.files] == ["s-0001.csv"] and second.rejected == 0
    assert _names(out) == ["other-0002.csv", "s-0001.csv", "s-notes.txt", "s.manifest.json"]
    assert _names(out / "rejects") == ["other.problems.csv"]
    manifest = json.loads((out / "s.manifest.json").read_text())
    assert [f["name"] for f in manifest["files"]] == ["s-0001.csv"] and manifest["rejects_file"] is None
    assert [r["Email"] for r in exported_rows(second)] == ["a@x.io", "b@x.io"]


def test_rerun_keeps_its_own_rejects_and_removes_the_empty_folder(run_export: Run, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_export("SELECT * FROM (VALUES ('a@x.io'), ('broken')) t(email)", stem="s")
    assert _names(out / "rejects") == ["s.problems.csv", "s.rejects-0001.csv"]
    run_export("SELECT * FROM (VALUES ('a@x.io'), ('also broken')) t(email)", stem="s")
    assert "also broken" in (out / "rejects" / "s.rejects-0001.csv").read_text()
    run_export(FEW, stem="s")
    assert not (out / "rejects").exists() and _names(out) == ["s-0001.csv", "s.manifest.json"]


def test_stale_files_match_exactly_our_pattern(tmp_path: Path) -> None:
    names = [
        "s-0001.csv",
        "s-0002.csv",
        "s-12345.csv",
        "s-0001-0001.csv",
        "s-001.csv",
        "s-0002.csv.bak",
        "s.x-0002.csv",
        "S-0002.csv",
        ".s-0003.csv.tmp",
        "s.manifest.json",
    ]
    rejects = [
        "s.rejects-0001.csv",
        "s.rejects-0002.csv",
        "s.problems.csv",
        "s.x.problems.csv",
        "s-0001.problems.csv",
        "s.notes.csv",
    ]
    (tmp_path / "rejects").mkdir()
    for name in names:
        (tmp_path / name).write_text("x")
    for name in rejects:
        (tmp_path / "rejects" / name).write_text("x")
    removed = remove_stale(tmp_path, "s", {"s-0001.csv", "rejects/s.rejects-0001.csv"})
    assert sorted(str(p.relative_to(tmp_path)) for p in removed) == [
        "rejects/s.problems.csv",
        "rejects/s.rejects-0002.csv",
        "s-0002.csv",
        "s-12345.csv",
    ]


def test_failed_export_leaves_no_empty_rejects_folder(run_export: Run, tmp_path: Path) -> None:
    with pytest.raises(SyncError, match="larger than the file size limit"):
        run_export("SELECT 'a@x.io' AS email, repeat('x', 5000) AS notes", max_file_mb=0.001)
    assert (tmp_path / "out").is_dir() and not (tmp_path / "out" / "rejects").exists()
    with pytest.raises(SyncError, match="no profile identifier column"):
        run_export("SELECT 1 AS n")
    assert not (tmp_path / "out" / "rejects").exists()


def test_out_that_cannot_be_created_is_named(run_export: Run, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(SyncError) as raised:
        run_export(FEW, out_dir=blocker / "out")
    assert "cannot create the output directory" in raised.value.what
    assert str(blocker / "out") in str(raised.value)
