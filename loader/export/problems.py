"""The problems report of an export: one CSV line per problem (file, row, column, reason).

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
            self._csv = csv.DictWriter(self._file, ["file", "row", "column", "reason"], lineterminator="\n")
            self._csv.writeheader()
        self._csv.writerow(
            {"file": problem.file, "row": problem.row, "column": problem.column, "reason": problem.reason}
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
