"""`klaviyo-sync forget` as a user runs it: the person leaves no trace in any raw table or mart
(every column of every table of the warehouse is searched for the email and phone), the deletion is
recorded by id only, and the next sync does not bring the person back. An unknown person is a
clear error that changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from loader.cli import main
from tests.fixtures.warehouse import Warehouse

pytestmark = pytest.mark.integration
OBJECTS = ("profiles", "events", "lists")


def every_value(warehouse: Warehouse) -> str:
    """The text of every row of every table in every schema of the warehouse (raw and marts)."""
    with warehouse.pipeline().sql_client() as client:
        tables = client.execute_sql(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('information_schema', 'pg_catalog')")
        parts = []
        for schema, table in tables:
            rows = client.execute_sql(f'SELECT * FROM "{schema}"."{table}"')
            parts.append(f"{schema}.{table}: {rows!r}")
    return "\n".join(parts).lower()


def _cli(warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    monkeypatch.setenv("KLAVIYO_SYNC__PIPELINES_DIR", warehouse.pipelines_dir)
    flags = ["--destination", warehouse.name, "--dbt-dir", str(tmp_path / "dbt")]
    return CliRunner().invoke(main, [*args, *flags])


def _person(warehouse: Warehouse) -> dict[str, Any]:
    """A stored profile with events and a list membership."""
    with warehouse.pipeline().sql_client() as client:
        names = {t: client.make_qualified_table_name(t) for t in ("profiles", "events", "list_members")}
        pid = client.execute_sql(
            f"SELECT e.profile_id FROM {names['events']} e JOIN {names['list_members']} m "
            "ON m.profile_id = e.profile_id GROUP BY e.profile_id ORDER BY e.profile_id")[0][0]
    attributes = {r[0]: r[1] for r in warehouse.rows("profiles", "id, attributes")}[pid]
    attributes = json.loads(attributes) if isinstance(attributes, str) else attributes
    return {"id": pid, "email": attributes["email"], "phone": attributes["phone_number"]}


@pytest.mark.parametrize("warehouse", ["duckdb"], indirect=True)
def test_forget_leaves_no_trace_and_survives_the_next_sync(
    warehouse: Warehouse, emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _cli(warehouse, tmp_path, monkeypatch, "run", "--objects", ",".join(OBJECTS))
    assert first.exit_code == 0, first.output  # loaded and the marts built
    person = _person(warehouse)
    email = person["email"].lower()
    before = every_value(warehouse)
    assert email in before and person["id"].lower() in before, "the person is there (else vacuous)"

    unknown = _cli(warehouse, tmp_path, monkeypatch, "forget", "--email", "nobody@example.invalid")
    assert unknown.exit_code == 1 and "Error: no stored profile has this email" in unknown.output
    assert "nobody@example.invalid" not in unknown.output

    done = _cli(warehouse, tmp_path, monkeypatch, "forget", "--email", person["email"].upper())
    assert done.exit_code == 0, done.output
    assert email not in done.output
    after = every_value(warehouse)
    assert email not in after, "the email is nowhere"
    assert not person["phone"] or person["phone"].lower() not in after, "the phone is nowhere"
    assert [r for r in warehouse.rows("deletions", "id, object, reason")
            if r[0] == person["id"]] == [(person["id"], "profile", "forget")]
    members = warehouse.rows("list_members", "profile_id AS id, list_id")
    assert person["id"] not in {r[0] for r in members}

    emulator.emulator.grow(updated_profiles=50, new_events=200)
    warehouse.sync(objects=OBJECTS, reconcile="now", reread="3650d")
    assert email not in every_value(warehouse), "the next sync did not bring the person back"
    assert person["id"] not in {r[0] for r in warehouse.rows("profiles", "id")}
    members = warehouse.rows("list_members", "profile_id AS id, list_id")
    assert person["id"] not in {r[0] for r in members}, "nor their memberships (the lists reconciled)"
    assert members, "the reconcile wrote the others' memberships (else vacuous)"
