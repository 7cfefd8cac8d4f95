"""The problems report of an export: one CSV line per problem.

Columns `result_row` (the row's number in the query result, 1 = first data row: not a line of any
file), `would_be_in_file` (the part the row would have gone into), `column`, `reason`. The rejected
row itself is in the rejects file, with the same number in its `_row` column.

Written as it goes (memory stays bounded), under a temporary name until the export ends; the first
few problems are kept for the console summary and error messages.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import TextIO

from loader.export.validate import Problem

SAMPLE_SIZE = 20
FIELDS = ["result_row", "would_be_in_file", "column", "reason"]


def describe(problem: Problem) -> str:
    """One problem for people: `result row 2 (would be in p-0001.csv), column Email: reason`."""
    return (
        f"result row {problem.row} (would be in {problem.file}), "
        f"column {problem.column}: {problem.reason}"
    )


class ProblemLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self.sample: list[Problem] = []
        self._temp = path.with_name(f".{path.name}.tmp")
        self._file: TextIO | None = None
        self._csv: csv.DictWriter[str] | None = None

    def add(self, problem: Problem) -> None:
        if self._csv is None:
            self._file = open(self._temp, "w", encoding="utf-8", newline="")  # noqa: SIM115
            self._csv = csv.DictWriter(self._file, FIELDS, lineterminator="\n")
            self._csv.writeheader()
        self._csv.writerow(
            {
                "result_row": problem.row,
                "would_be_in_file": problem.file,
                "column": problem.column,
                "reason": problem.reason,
            }
        )
        self.count += 1
        if len(self.sample) < SAMPLE_SIZE:
            self.sample.append(problem)

    def finish(self) -> Path | None:
        """Give the report its final name (None when there was nothing to report)."""
        if self._file is None:
            return None
        self._file.close()
        self._file = None
        os.replace(self._temp, self.path)
        return self.path

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._temp.unlink(missing_ok=True)
