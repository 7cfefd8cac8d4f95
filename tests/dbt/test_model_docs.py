"""The package's YAML documents every model and column, staging and marts alike (no dbt, no warehouse).

The sources YAML holds only the raw tables; each model is described in the models YAML of its own
folder, with a description, and every column listed there is described and appears in the model's
SQL (so a removed column cannot keep stale docs). That every column a model really has is listed is
checked against dbt's catalog on real warehouses (test_marts.py, test_docs_generate_...).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "dbt_project" / "models"
SOURCES_YAML = MODELS / "staging" / "_klaviyo__sources.yml"


def _yaml_files() -> list[Path]:
    return sorted(MODELS.rglob("*.yml"))


def _documented() -> dict[str, tuple[Path, dict[str, Any]]]:
    found: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in _yaml_files():
        for model in yaml.safe_load(path.read_text()).get("models") or []:
            name = model["name"]
            assert name not in found, f"{name} is described twice ({found[name][0]}, {path})"
            found[name] = (path, model)
    return found


def test_the_sources_yaml_defines_only_sources() -> None:
    content = yaml.safe_load(SOURCES_YAML.read_text())
    assert set(content) == {"version", "sources"}
    tables = [t["name"] for s in content["sources"] for t in s["tables"]]
    assert tables == ["_dlt_loads", "accounts", "metrics", "profiles", "events", "campaigns",
                      "campaign_messages", "flows", "flow_actions", "flow_messages", "event_attributions",
                      "deletions", "lists", "segments", "list_members", "segment_members"]
    for source in content["sources"]:
        for table in source["tables"]:
            assert table.get("description", "").strip(), table["name"]
            for column in table.get("columns", []):
                assert column.get("description", "").strip(), f"{table['name']}.{column['name']}"


def test_every_model_and_every_listed_column_is_described_next_to_it() -> None:
    documented = _documented()
    sql_files = sorted(MODELS.rglob("*.sql"))
    assert {p.stem for p in sql_files} == set(documented)
    assert {p.stem for p in sql_files if p.parent.name == "staging"} == {
        "stg_klaviyo__loads", "stg_klaviyo__accounts", "stg_klaviyo__metrics", "stg_klaviyo__profiles",
        "stg_klaviyo__events", "stg_klaviyo__campaigns", "stg_klaviyo__campaign_messages",
        "stg_klaviyo__flows", "stg_klaviyo__flow_actions", "stg_klaviyo__flow_messages",
        "stg_klaviyo__event_attributions", "stg_klaviyo__deletions", "stg_klaviyo__lists",
        "stg_klaviyo__segments", "stg_klaviyo__list_members", "stg_klaviyo__segment_members",
    }
    for sql in sql_files:
        path, model = documented[sql.stem]
        assert path.parent == sql.parent, f"{sql.stem} is described in {path}, not beside its SQL"
        assert model.get("description", "").strip(), f"{sql.stem} has no description"
        columns = model.get("columns") or []
        assert columns, f"{sql.stem} lists no columns"
        text = sql.read_text()
        for column in columns:
            name = column["name"]
            assert column.get("description", "").strip(), f"{sql.stem}.{name} has no description"
            assert re.search(rf"\b{re.escape(name)}\b", text), f"{sql.stem}.{name} is not in its SQL"
