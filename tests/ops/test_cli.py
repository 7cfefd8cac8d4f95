"""The ops commands as a user runs them: JSON schemas, tables, pause/resume, check; no secret shown."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from click.testing import CliRunner, Result

from loader.cli import main
from loader.emulator import FaultConfig
from loader.ledger import statuses
from tests.fixtures.emulator import RunningEmulator
from tests.ops.conftest import Ops

pytestmark = pytest.mark.integration

HISTORICAL_KEYS = {"account", "name", "status", "progress_pct", "run_id", "attempt", "started_at", "ended_at"}
PERIODIC_KEYS = {"account", "name", "status", "progress_pct", "run_id", "attempt", "freshness_seconds",
                 "complete_until", "last_run_at", "next_run_at"}
ERROR_KEYS = {"run_id", "account", "account_id", "object", "attempt", "summary", "code", "external_message",
              "occurred_at"}
CONNECTION_KEYS = {"destination", "dataset", "status", "errors_24h", "last_sync_at", "next_run_at",
                   "accounts"}


@pytest.fixture
def cli(ops: Ops, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("KLAVIYO_SYNC__PIPELINES_DIR", ops.pipelines_dir)
    monkeypatch.setenv("COLUMNS", "200")

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return invoke


def _iso(value: str | None) -> None:
    if value is not None:
        assert datetime.fromisoformat(value).utcoffset() is not None, value


def _check_status_schema(doc: dict[str, Any]) -> None:
    assert set(doc) == {
        "schema_version", "generated_at", "connection", "historical", "periodic", "errors_24h", "imports"
    }
    assert doc["schema_version"] == 2 and set(doc["connection"]) == CONNECTION_KEYS
    _iso(doc["generated_at"])
    for tab, keys in (("historical", HISTORICAL_KEYS), ("periodic", PERIODIC_KEYS)):
        for row in doc[tab]:
            assert set(row) == keys and row["status"] in statuses.STATUSES
            for key in keys:
                if key.endswith("_at"):
                    _iso(row[key])
    for error in doc["errors_24h"]:
        assert set(error) == ERROR_KEYS
        _iso(error["occurred_at"])


def test_status_errors_pause_resume(ops: Ops, cli: Any) -> None:
    ops.emulator.emulator.set_faults(FaultConfig(malformed_pages=(1,)))
    ops.run()  # attempt 1 Errored, attempt 2 Completed

    paused = cli("pause", "events")
    assert paused.exit_code == 0 and paused.output.strip() == "events: Paused"

    status = cli("status", "--json")
    assert status.exit_code == 0, status.output
    doc = json.loads(status.output)
    _check_status_schema(doc)
    assert doc["connection"]["status"] == "Enabled" and doc["connection"]["errors_24h"] == 1
    assert {r["name"]: r["status"] for r in doc["historical"]} == dict.fromkeys(
        ("metrics", "profiles", "events"), statuses.COMPLETED)
    periodic = {r["name"]: r for r in doc["periodic"]}
    assert periodic["events"]["status"] == statuses.PAUSED and periodic["profiles"]["status"] == "Completed"
    assert periodic["profiles"]["freshness_seconds"] > 0
    assert [e["code"] for e in doc["errors_24h"]] == ["malformed_page"]

    table = cli("status")
    assert table.exit_code == 0
    for text in ("Historical", "Periodic", "Paused", "Completed", "malformed", "Errors in the last 24 hours"):
        assert text in table.output

    errors = cli("errors", "--since", "1h", "--json")
    doc = json.loads(errors.output)
    assert set(doc) == {"schema_version", "generated_at", "since", "errors"}
    assert [set(e) for e in doc["errors"]] == [ERROR_KEYS] and doc["errors"][0]["attempt"] == 1
    assert "malformed" in cli("errors").output

    bad = cli("errors", "--since", "yesterday")
    assert bad.exit_code == 1 and "Error: invalid duration 'yesterday' (--since)" in bad.output

    assert cli("resume", "events").output.strip() == "events: Enabled"
    disabled = cli("disable", "profiles", "events").output.split()
    assert disabled == ["profiles:", "Disabled", "events:", "Disabled"]
    assert json.loads(cli("status", "--json").output)["connection"]["status"] == statuses.DISABLED

    for result in (paused, status, table, errors):
        assert ops.emulator.api_key not in result.output


def test_check_enabled_and_unable_to_connect(
    ops: Ops, cli: Any, make_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = cli("check")
    assert good.exit_code == 0, good.output
    assert good.output.splitlines()[-1] == "Enabled" and "events:read" in good.output

    monkeypatch.setenv("KLAVIYO_API_KEY", "pk_not_the_right_key_000000000")
    wrong = cli("check")
    assert wrong.exit_code == 1 and wrong.output.splitlines()[-1] == "Unable to connect"
    assert "401" in wrong.output and "hint: set KLAVIYO_API_KEY" in wrong.output
    assert "pk_not_the_right_key" not in wrong.output

    limited: RunningEmulator = make_emulator(scopes=("metrics:read", "profiles:read"))
    scope = cli("check")
    assert scope.exit_code == 1 and "403" in scope.output and "events:read" in scope.output
    assert limited.api_key not in scope.output

    password = "warehouse-secret-pw"
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", f"postgresql://u:{password}@127.0.0.1:1/db")
    down = cli("check", "--destination", "postgres")
    assert down.exit_code == 1 and down.output.splitlines()[-1] == "Unable to connect"
    assert "destination postgres" in down.output and "DESTINATION__POSTGRES__CREDENTIALS" in down.output
    assert "127.0.0.1" in down.output  # the driver's own message is shown ...
    assert password not in down.output  # ... without the password

    unreachable = cli("status", "--destination", "postgres")
    assert unreachable.exit_code == 1 and "Error: the sync ledger is not reachable" in unreachable.output
    assert "klaviyo-sync check" in unreachable.output and password not in unreachable.output
