"""`build_models` / `find_dbt_project`: the dbt runner behind `klaviyo-sync run`.

Real dbt runs in-process on DuckDB and PostgreSQL; one test installs the built wheel into a
private directory and builds from there, to prove the installed package finds its dbt project and
writes dbt's files to the chosen work directory only.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from loader.errors import SyncError
from loader.transform import build_models, find_dbt_project
from tests.dbt.raw_seed import KlaviyoRawData
from tests.dbt.warehouses import duckdb_warehouse, postgres_warehouse

pytestmark = [pytest.mark.dbt]
REPO = Path(__file__).resolve().parents[2]


def _everything(data: KlaviyoRawData) -> dict[str, list[dict]]:
    return data.everything()


def test_find_dbt_project_in_the_checkout() -> None:
    project = find_dbt_project()
    assert project == REPO
    assert yaml.safe_load((project / "dbt_project.yml").read_text())["name"] == "klaviyo_warehouse"


@pytest.mark.postgres
def test_failing_data_tests_are_summarised_and_secrets_stay_out(postgres_server, tmp_path: Path) -> None:
    data = KlaviyoRawData.initial(n_metrics=2, n_profiles=3, n_events=4)
    data.profiles["P00001"]["attributes"]["email"] = "not-an-email"
    warehouse = postgres_warehouse(tmp_path, postgres_server.dsn(postgres_server.create_database()))
    warehouse.load(_everything(data))

    summary = build_models("postgres", work_dir=tmp_path / "dbt", pipeline=warehouse.pipeline)

    assert not summary.success
    assert summary.models_built == 9 and summary.tests_failed == 1 and summary.tests_passed >= 20
    failed = [line.split(":")[0] for line in summary.failures]
    assert failed == ["test assert_klaviyo_profile_email_has_at_sign"]
    printed = "\n".join(summary.lines())
    log_text = summary.log_file.read_text()
    assert "assert_klaviyo_profile_email_has_at_sign" in log_text
    for text in (printed, log_text):
        assert postgres_server.password not in text
    with pytest.raises(SyncError, match="assert_klaviyo_profile_email_has_at_sign"):
        summary.raise_for_failure()


@pytest.mark.postgres
def test_wrong_password_is_a_clear_error_without_the_password(postgres_server, tmp_path: Path) -> None:
    database = postgres_server.create_database()
    wrong = "wrong-password-1234"
    dsn = f"postgresql://{postgres_server.user}:{wrong}@{postgres_server.host}:{postgres_server.port}/{database}"
    warehouse = postgres_warehouse(tmp_path, dsn)
    with pytest.raises(SyncError) as caught:
        build_models("postgres", work_dir=tmp_path / "dbt", pipeline=warehouse.pipeline)
    message = str(caught.value)
    assert "password authentication failed" in message
    assert wrong not in message and caught.value.where == "destination postgres"
    log = tmp_path / "dbt" / "logs" / "dbt.log"  # caught before dbt starts: no log, or none with it
    assert not log.exists() or wrong not in log.read_text()


def test_events_only_sync_builds_without_profile_models_and_select_narrows(tmp_path: Path) -> None:
    data = KlaviyoRawData.initial(n_metrics=2, n_profiles=2, n_events=5)
    warehouse = duckdb_warehouse(tmp_path)
    warehouse.load({"accounts": [data.account], "metrics": list(data.metrics.values()),
                    "events": list(data.events.values())})

    root_handlers = list(logging.getLogger().handlers)

    summary = warehouse.build()  # the raw profiles table does not exist: its models are skipped

    assert summary.success, summary.failures
    assert logging.getLogger().handlers == root_handlers, "dbt must not reconfigure the app's logging"
    built = {uid.split(".")[-1] for uid, status in summary.statuses.items() if status == "success"}
    assert "klaviyo_event" in built and "klaviyo_profile" not in built
    assert not any("profile" in uid for uid in summary.statuses)

    only_metrics = warehouse.build(select="klaviyo_metric")
    assert only_metrics.success and only_metrics.models_built == 1
    assert {uid.split(".")[2] for uid in only_metrics.statuses if not uid.startswith("operation.")} == {
        "klaviyo_metric", "klaviyo_warehouse_unique_combination_klaviyo_metric_account_id__metric_id",
        "not_null_klaviyo_metric_account_id", "not_null_klaviyo_metric_metric_id",
        "not_null_klaviyo_metric_metric_name",
        "relationships_klaviyo_metric_account_id__account_id__ref_klaviyo_account_",
        "klaviyo_warehouse_relationships_combination_klaviyo_event__loaded_at__account_id__metric_id__"
        "account_id__metric_id__ref_klaviyo_metric_",
    }  # dbt's eager test selection


def _build_wheel(tmp_path: Path) -> Path:
    """Build the wheel from a copy of the sources (so the checkout gets no build/ directory)."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "dbt_project.yml"):
        shutil.copy2(REPO / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "target", "logs")
    for name in ("loader", "macros", "dbt_project"):
        shutil.copytree(REPO / name, src / name, ignore=ignore)
    readme = REPO / "README.md"
    (src / "README.md").write_text(readme.read_text() if readme.exists() else "klaviyo-warehouse-sync\n")
    code = "import setuptools.build_meta as b, sys; print(b.build_wheel(sys.argv[1]))"
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "dist")], cwd=src, check=True,
                         capture_output=True, text=True)
    return tmp_path / "dist" / out.stdout.strip().splitlines()[-1]


_INSTALLED_BUILD = """
import json, sys
from pathlib import Path
import loader
from loader.transform import build_models, find_dbt_project
summary = build_models("duckdb", work_dir=Path(sys.argv[1]))
print(json.dumps({"loader": loader.__file__, "project": str(find_dbt_project()), "success": summary.success,
                  "models_built": summary.models_built, "log_file": str(summary.log_file)}))
"""


@pytest.mark.slow
def test_installed_wheel_finds_its_dbt_project_and_writes_only_to_work_dir(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    assert (site / "loader" / "dbt_package" / "dbt_project.yml").is_file()
    before = sorted(p.relative_to(site) for p in site.rglob("*"))

    data = KlaviyoRawData.initial(n_metrics=2, n_profiles=3, n_events=6)
    warehouse = duckdb_warehouse(tmp_path / "warehouse")
    warehouse.load(_everything(data))
    elsewhere, work_dir = tmp_path / "elsewhere", tmp_path / "dbt-work"
    elsewhere.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "DLT_DATA_DIR": str(tmp_path / "dlt-data"),
        "DESTINATION__DUCKDB__CREDENTIALS": str(tmp_path / "warehouse" / "klaviyo_sync.duckdb"),
    }
    out = subprocess.run([sys.executable, "-c", _INSTALLED_BUILD, str(work_dir)], cwd=elsewhere, env=env,
                         check=True, capture_output=True, text=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])

    assert Path(report["loader"]).is_relative_to(site)
    assert report["project"] == str(site / "loader" / "dbt_package")
    assert report["success"] and report["models_built"] == 9
    assert Path(report["log_file"]).is_relative_to(work_dir) and Path(report["log_file"]).is_file()
    assert (work_dir / "target" / "manifest.json").is_file()
    after = sorted(p.relative_to(site) for p in site.rglob("*") if "__pycache__" not in p.parts)
    assert after == [p for p in before if "__pycache__" not in p.parts]
    assert list(elsewhere.iterdir()) == []
