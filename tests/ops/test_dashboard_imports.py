"""The dashboard's Imports tab, rendered by headless Chromium from the ledger's klaviyo_sync_imports."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from loader.ledger.records import IMPORT_COMPLETED, IMPORT_INCOMPLETE, ImportRecord
from loader.ledger.store import LedgerStore
from loader.ops.dashboard import write_dashboard
from tests.fixtures.chromium import Chromium
from tests.ops.test_dashboard import _selftest

pytestmark = pytest.mark.integration


def _at(day: int) -> datetime:
    return datetime(2026, 11, day, 9, 30, tzinfo=timezone.utc)


def test_imports_tab_in_headless_chromium(
    chromium: Chromium, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(tmp_path / "w.duckdb"))
    store = LedgerStore.open("duckdb", str(tmp_path / "pipelines"))
    store.write([
        ImportRecord("i1", IMPORT_COMPLETED, "/out/p-0001.csv", _at(2), "ann@box as kl_user", 300, 100.0,
                     9000, "profiles", "profiles/p-0001.csv", "sftp.example.test:22", account="acme"),
        ImportRecord("i2", IMPORT_INCOMPLETE, "/out/e-0001.csv", _at(3), "bob@box as kl_user", 50, 40.0,
                     2000, "events", "events/e-0001.csv", "sftp.example.test:22", error="connection reset",
                     account="beta"),
    ])
    page = write_dashboard(store, tmp_path / "dashboard.html")

    result = _selftest(chromium.dump_dom(page.as_uri() + "?selftest=1"))
    assert result["imports_shown"] and result["historical_shown"] and result["periodic_shown"]
    assert [(r["id"], r["account"], r["status"], r["rows"], r["sent"], r["by"], r["file"], r["error"])
            for r in result["imports_rows"]] == [  # newest first
        ("i2", "beta", "Incomplete", "50", "40%", "bob@box as kl_user", "events/e-0001.csv",
         "connection reset"),
        ("i1", "acme", "Completed", "300", "100%", "ann@box as kl_user", "profiles/p-0001.csv", ""),
    ]
    dates = [r["date"] for r in result["imports_rows"]]
    assert dates == ["2026-11-03 09:30:00 UTC", "2026-11-02 09:30:00 UTC"]

    assert "<th>Account</th>" in page.read_text()  # two accounts' imports: the column is shown
    assert result["imports_hidden_at_start"]  # as first seen: Historical shown, Imports behind its tab
