"""Run one dbt command in this process (dbt's programmatic `dbtRunner`, no CLI spawn).

dbt reads `env_var(...)` from os.environ, so the profile's variables are set for the duration of the
call only (under a lock: dbt's invocation state is process-global). dbt's own files go under
`work_dir` (`target/`, `logs/dbt.log`), never into the installed package.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loader.transform.dbt_project import find_dbt_project, profiles_dir

_DBT_LOCK = threading.Lock()
_QUIET_ENV = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_USE_COLORS": "false"}


@dataclass(frozen=True)
class DbtPaths:
    project_dir: Path
    profiles_dir: Path
    target_path: Path
    log_path: Path

    @classmethod
    def under(cls, work_dir: Path, project_dir: Path | None = None) -> DbtPaths:
        project = project_dir or find_dbt_project()
        work_dir = Path(work_dir).resolve()
        return cls(project, profiles_dir(project), work_dir / "target", work_dir / "logs")

    @property
    def log_file(self) -> Path:
        return self.log_path / "dbt.log"


@contextmanager
def _environment(overrides: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def dbt_args(
    command: Sequence[str],
    paths: DbtPaths,
    *,
    target: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> list[str]:
    """The argument list for `command` with our project, profile and output locations."""
    args = [
        *command,
        "--project-dir", str(paths.project_dir),
        "--profiles-dir", str(paths.profiles_dir),
        "--target-path", str(paths.target_path),
        "--log-path", str(paths.log_path),
        "--log-level", "none",
        "--log-level-file", "debug",
    ]
    if target:
        args += ["--target", target]
    if variables:
        args += ["--vars", json.dumps(dict(variables))]
    return args


@contextmanager
def _root_logging_kept() -> Iterator[None]:
    """Importing dbt adds a root stderr handler; keep the application's logging as it was."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def invoke_dbt(args: Sequence[str], env: Mapping[str, str] | None = None) -> Any:
    """Run dbt with `args` and return its `dbtRunnerResult` (success flag, results, exception)."""
    with _DBT_LOCK, _root_logging_kept(), _environment({**_QUIET_ENV, **(env or {})}):
        from dbt.cli.main import dbtRunner

        return dbtRunner().invoke(list(args))
