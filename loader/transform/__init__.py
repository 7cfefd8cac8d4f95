"""Build the klaviyo_warehouse dbt package after a load (`dbt build` in-process via dbtRunner)."""

from loader.transform.dbt_build import DbtBuildSummary, build_models
from loader.transform.dbt_project import find_dbt_project

__all__ = ["DbtBuildSummary", "build_models", "find_dbt_project"]
