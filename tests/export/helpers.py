"""Reading back what an export wrote."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from loader.export.exporter import ExportResult


def rows_of(path: Path) -> list[dict[str, str]]:
    """The data rows of one CSV file (the file must be UTF-8)."""
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))


def exported_rows(result: ExportResult) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for part in result.files:
        rows += rows_of(result.manifest.parent / part.name)
    return rows


def problems_of(result: ExportResult) -> list[dict[str, str]]:
    return rows_of(result.problems_file) if result.problems_file else []
