"""Where the klaviyo_warehouse dbt project lives: the repository checkout, or inside the wheel.

In a checkout `dbt_project.yml` sits at the repository root, next to the `loader` package. A built
wheel carries the same tree under `loader/dbt_package/` (copied there by setup.py's build step).
"""

from __future__ import annotations

import re
from pathlib import Path

from loader.errors import SyncError

PROJECT_NAME = "klaviyo_warehouse"
PACKAGE_DIR_NAME = "dbt_package"
PROFILES_SUBDIR = "dbt_project"
_NAME_LINE = re.compile(rf"^name:\s*['\"]?{PROJECT_NAME}['\"]?\s*$", re.MULTILINE)


def _candidates() -> list[Path]:
    package_dir = Path(__file__).resolve().parent.parent
    return [package_dir / PACKAGE_DIR_NAME, package_dir.parent]


def _is_our_project(directory: Path) -> bool:
    project_file = directory / "dbt_project.yml"
    if not project_file.is_file():
        return False
    return bool(_NAME_LINE.search(project_file.read_text(encoding="utf-8")))


def find_dbt_project() -> Path:
    """The directory holding the package's `dbt_project.yml` (installed copy first, then checkout)."""
    for candidate in _candidates():
        if _is_our_project(candidate):
            return candidate
    raise SyncError(
        "the klaviyo_warehouse dbt project was not found",
        ", ".join(str(c / "dbt_project.yml") for c in _candidates()),
        "reinstall klaviyo-warehouse-sync (the wheel ships the dbt project in loader/dbt_package)",
    )


def profiles_dir(project_dir: Path) -> Path:
    """The directory of the committed, env-var-only `profiles.yml`."""
    return project_dir / PROFILES_SUBDIR
