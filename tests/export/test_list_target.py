"""A profiles export aimed at a Klaviyo list: `--list-id`, a `List ID` column, and both together."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from loader.cli import main
from loader.errors import SyncError
from loader.export.exporter import ExportResult
from tests.export.conftest import DuckWarehouse
from tests.export.helpers import exported_rows, problems_of

Run = Callable[..., ExportResult]
PEOPLE = ("SELECT * FROM (VALUES (1, 'a@x.io', 'Subscribe'), (2, 'b@x.io', 'unsubscribed'))"
          " t(n, email, email_consent)")


def test_list_id_option_adds_the_column_to_every_row(run_export: Run) -> None:
    result = run_export(PEOPLE + " ORDER BY n", list_id="Y6nRLr")
    assert [(r["Email"], r["Email Marketing Consent"], r["List ID"]) for r in exported_rows(result)] == [
        ("a@x.io", "Subscribe", "Y6nRLr"), ("b@x.io", "Unsubscribed", "Y6nRLr")]


def test_list_id_column_checked_per_row_and_against_the_option(run_export: Run) -> None:
    query = ("SELECT * FROM (VALUES (1, 'a@x.io', 'Y6nRLr'), (2, 'b@x.io', NULL), (3, 'c@x.io', 'XyZ123'),"
             " (4, 'd@x.io', 'not-a-list')) t(n, email, list_id) ORDER BY n")
    alone = run_export(query, stem="alone")  # each row its own list; only the malformed one refused
    assert [r["List ID"] for r in exported_rows(alone)] == ["Y6nRLr", "", "XyZ123"]
    assert [(p["result_row"], p["column"]) for p in problems_of(alone)] == [("4", "List ID (list_id)")]
    assert "not a Klaviyo list id: 'not-a-list'" in problems_of(alone)[0]["reason"]

    both = run_export(query, list_id="Y6nRLr", stem="both")  # the empty cell takes --list-id
    assert [(r["Email"], r["List ID"]) for r in exported_rows(both)] == [
        ("a@x.io", "Y6nRLr"), ("b@x.io", "Y6nRLr")]
    assert [(p["result_row"], p["column"], p["reason"]) for p in problems_of(both)] == [
        ("3", "List ID (list_id)", "list id 'XyZ123' disagrees with --list-id Y6nRLr"),
        ("4", "List ID (list_id)", problems_of(alone)[0]["reason"]),
    ]
    disagrees = r"result row 3 .*, column List ID \(list_id\): list id 'XyZ123' disagrees"
    with pytest.raises(SyncError, match=disagrees):
        run_export(query, list_id="Y6nRLr", stem="strict", strict=True)


@pytest.mark.parametrize("bad", ["12345", "Y6nRLr7", "Y6n-Lr", ""])
def test_malformed_list_id_option_fails_before_the_query(run_export: Run, bad: str) -> None:
    with pytest.raises(SyncError, match="not a Klaviyo list id") as raised:
        run_export("SELECT no_such_column FROM nowhere", list_id=bad)
    assert raised.value.where == "--list-id"


def test_list_id_is_for_profiles_only_and_on_the_command_line(duck: DuckWarehouse, tmp_path: Path) -> None:
    duck.sql("CREATE TABLE p AS SELECT 'a@x.io' AS email")
    runner = CliRunner()
    args = ["export", "--table", "main.p", "--out", str(tmp_path / "o"), "--destination", "duckdb"]
    events = runner.invoke(main, [*args, "--kind", "events", "--list-id", "Y6nRLr"])
    assert events.exit_code != 0 and "--list-id applies to profile imports only" in events.output
    done = runner.invoke(main, [*args, "--kind", "profiles", "--list-id", "Y6nRLr", "--name", "p"])
    assert done.exit_code == 0, done.output
    written = (tmp_path / "o" / "p-0001.csv").read_text().splitlines()
    assert written == ["Email,List ID", '"a@x.io","Y6nRLr"']
