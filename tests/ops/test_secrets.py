"""No secret reaches the ledger tables, the CLI output or the dashboard, even when an error quotes one."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from loader.cli import main
from loader.ledger import schema
from loader.ledger.observer import LedgerObserver
from loader.ops.dashboard import render_dashboard
from loader.ops.queries import load_view
from loader.sync_observer import Unit
from tests.ops.conftest import Ops

pytestmark = pytest.mark.integration
PASSWORD = "hunter2-warehouse-password"


def _all_ledger_text(ops: Ops) -> str:
    store = ops.store()
    with store.pipeline.dataset().sql_client as client:
        chunks = []
        for table in (schema.RUNS_TABLE, schema.ERRORS_TABLE):
            name = client.make_qualified_table_name(table)
            with client.execute_query(f"SELECT * FROM {name}") as cursor:
                chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_secrets_quoted_by_errors_are_removed_everywhere(ops: Ops, monkeypatch: pytest.MonkeyPatch) -> None:
    key = ops.emulator.api_key
    ops.run()
    ledger = LedgerObserver(ops.store(), run_id="leaky", attempt=1, trigger="manual", secrets=[key, PASSWORD])
    events = Unit("default", "events")
    ledger.on_run_start([events], {events: "periodic"})
    leak = RuntimeError(
        f"request with Authorization: Klaviyo-API-Key {key} failed; "
        f"warehouse postgresql://loader:{PASSWORD}@db.example:5432/dw said: password {PASSWORD} expired"
    )
    ledger.on_error(events, leak)
    ledger.finish_failed(leak, "Failed", [events])

    text = _all_ledger_text(ops)
    assert "leaky" in text and "expired" in text  # the error is there ...
    assert key not in text and PASSWORD not in text  # ... without the secrets

    monkeypatch.setenv("KLAVIYO_SYNC__PIPELINES_DIR", ops.pipelines_dir)
    for args in (["status"], ["status", "--json"], ["errors"], ["errors", "--json"]):
        output = CliRunner().invoke(main, args, catch_exceptions=False).output
        assert "expired" in output or "leaky" in output
        assert key not in output and PASSWORD not in output

    html = render_dashboard(load_view(ops.store()), "duckdb", "klaviyo_raw")
    assert "expired" in html and key not in html and PASSWORD not in html
