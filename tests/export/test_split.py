"""Oversized results are split under --max-file-mb, every part with its header; the manifest is exact."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from loader.errors import SyncError
from loader.export.exporter import ExportResult
from tests.export.helpers import exported_rows, rows_of

Run = Callable[..., ExportResult]
QUERY = """SELECT 'user' || i || '@example.com' AS email, 'Name, ' || i || ' "quoted"' AS first_name,
           repeat('z', (i % 97)::INT) AS notes FROM range(3000) r(i) ORDER BY i"""


def test_split_parts_under_limit_with_header(run_export: Run, tmp_path: Path) -> None:
    result = run_export(QUERY, max_file_mb=0.05, batch_rows=700)
    limit = 50_000
    assert len(result.files) >= 4
    header = b"Email,First Name,notes\n"
    for part in result.files:
        data = (result.manifest.parent / part.name).read_bytes()
        assert len(data) <= limit and data.startswith(header)
        assert len(data) == part.bytes and hashlib.sha256(data).hexdigest() == part.sha256
        assert len(rows_of(result.manifest.parent / part.name)) == part.rows
    assert sum(p.bytes for p in result.files[:-1]) > 0.95 * limit * (len(result.files) - 1)
    rows = exported_rows(result)
    assert [r["Email"] for r in rows] == [f"user{i}@example.com" for i in range(3000)]
    assert rows[5]["First Name"] == 'Name, 5 "quoted"' and rows[96]["notes"] == "z" * 96
    manifest = json.loads(result.manifest.read_text())
    assert manifest["rows"] == 3000 and [f["name"] for f in manifest["files"]] == [
        p.name for p in result.files
    ]
    assert not [p for p in (tmp_path / "out").rglob(".*")] and not (tmp_path / "out" / "rejects").exists()


def test_single_file_when_under_limit(run_export: Run) -> None:
    result = run_export(QUERY)
    assert len(result.files) == 1 and result.files[0].rows == 3000


def test_row_larger_than_limit_refused(run_export: Run, tmp_path: Path) -> None:
    with pytest.raises(SyncError, match="larger than the file size limit"):
        run_export("SELECT 'a@x.io' AS email, repeat('x', 5000) AS notes", max_file_mb=0.001)
    assert not list((tmp_path / "out").glob("*.csv"))
