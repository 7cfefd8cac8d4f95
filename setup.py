"""Build hook: ship the klaviyo_warehouse dbt project inside the wheel, under loader/dbt_package/.

All metadata lives in pyproject.toml. In a checkout the dbt project sits at the repository root
(`dbt_project.yml`, `macros/`, `dbt_project/`); `loader.transform.find_dbt_project` looks for the
installed copy first, then for the checkout, so a regular (non-editable) install works from any
working directory.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
DBT_PROJECT_FILES = ("dbt_project.yml", "macros", "dbt_project")
IGNORED = shutil.ignore_patterns("target", "logs", "dbt_packages", "__pycache__", "*.duckdb", ".user.yml")


class BuildPyWithDbtProject(build_py):
    """The usual build_py, then a copy of the dbt project into the built `loader` package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install uses the checkout's own dbt project
        destination = Path(self.build_lib) / "loader" / "dbt_package"
        shutil.rmtree(destination, ignore_errors=True)
        destination.mkdir(parents=True)
        for name in DBT_PROJECT_FILES:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, destination / name, ignore=IGNORED)
            else:
                shutil.copy2(source, destination / name)


setup(cmdclass={"build_py": BuildPyWithDbtProject})
