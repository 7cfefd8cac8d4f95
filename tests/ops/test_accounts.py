"""Several accounts in one ledger: per-account statuses, retries of only the failed accounts, per-account
switches honoured by the runner, reports grouped by account. The loader is a stand-in keeping
`run_sync`'s contract (tests/ops/accounts.py), so an account can fail on demand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from loader.cli import main
from loader.errors import SyncError
from loader.ledger import schema, statuses
from loader.ledger.store import LedgerStore
from loader.ops.controls import set_control
from loader.ops.dashboard import render_dashboard
from loader.ops.queries import load_view
from loader.ops.report_json import status_document
from loader.ops.report_text import print_status
from loader.ops.retry_policy import RetryPolicy
from loader.ops.run_entry import guarded_run
from loader.ops.runner import OpsResult, run_guarded
from loader.sync_observer import Unit
from tests.fixtures.fake_loader import KEYS, FakeLoader, flaky, revoked, two_accounts

FAST = RetryPolicy(attempts=3, backoff_seconds=0.01, max_backoff_seconds=0.05)
UNITS = ("metrics", "profiles", "events")




def _store(root: Path) -> LedgerStore:
    return LedgerStore.open("duckdb", str(root / "pipelines"))


def _statuses(store: LedgerStore) -> dict[tuple[str, str, int], str]:
    return {(r.account, r.object, r.attempt): r.status for r in store.runs()}


def _ledger_text(store: LedgerStore) -> str:
    with store.pipeline.dataset().sql_client as client:
        chunks = []
        for table in (schema.RUNS_TABLE, schema.ERRORS_TABLE):
            with client.execute_query(f"SELECT * FROM {client.make_qualified_table_name(table)}") as cursor:
                chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_a_revoked_account_fails_at_once_while_the_other_loads(duckdb_root: Path, fake_loader: FakeLoader
                                                               ) -> None:
    fake_loader.failures["beta"] = [revoked("beta")]
    lines: list[str] = []
    outcome = guarded_run(two_accounts(duckdb_root), echo=lines.append)
    assert isinstance(outcome, OpsResult)
    assert set(outcome.objects) == {Unit("acme", o) for o in UNITS}
    assert set(outcome.failed) == {Unit("beta", o) for o in UNITS} and outcome.failed_accounts == ["beta"]
    assert outcome.attempts == 1 and len(fake_loader.calls) == 1  # a 401 is not retried
    assert any(line.startswith("account beta: metrics, profiles, events not loaded") for line in lines)

    store = _store(duckdb_root)
    assert _statuses(store) == {
        **{("acme", o, 1): statuses.COMPLETED for o in UNITS},
        **{("beta", o, 1): statuses.FAILED for o in UNITS},
    }
    assert {r.account_id for r in store.runs() if r.account == "acme"} == {"ID_ACME"}
    (error,) = store.errors()
    assert (error.account, error.code, error.object) == ("beta", "401", None)

    view = load_view(store)
    assert view.accounts == ["acme", "beta"]
    rows = {(r.account, r.name): r.status for r in view.historical}
    assert rows[("acme", "events")] == statuses.COMPLETED and rows[("beta", "events")] == statuses.FAILED
    assert {(r.account, r.name) for r in view.periodic} == {("acme", o) for o in UNITS}  # fresh ones only
    text = _ledger_text(store)
    assert all(key not in text for key in KEYS.values())


def test_only_the_failed_account_is_retried(duckdb_root: Path, fake_loader: FakeLoader) -> None:
    fake_loader.failures["beta"] = [flaky("beta")]
    retries: list[int] = []
    outcome = run_guarded(two_accounts(duckdb_root), policy=FAST, on_retry=lambda n, e, w: retries.append(n))
    assert outcome.failed == {} and outcome.attempts == 2 and retries == [1]
    assert fake_loader.calls == [
        {"acme": ("profiles", "events"), "beta": ("profiles", "events")},
        {"beta": ("profiles", "events")},
    ]
    assert set(outcome.objects) == {Unit(a, o) for a in ("acme", "beta") for o in UNITS}
    assert _statuses(_store(duckdb_root)) == {
        **{("acme", o, 1): statuses.COMPLETED for o in UNITS},
        **{("beta", o, 1): statuses.ERRORED for o in UNITS},
        **{("beta", o, 2): statuses.COMPLETED for o in UNITS},
    }


def test_retries_exhausted_then_failed_and_all_failing_raises(duckdb_root: Path, fake_loader: FakeLoader
                                                               ) -> None:
    fake_loader.failures["beta"] = [flaky("beta") for _ in range(3)]
    outcome = run_guarded(two_accounts(duckdb_root), policy=FAST)
    assert outcome.attempts == 3 and outcome.failed_accounts == ["beta"]
    beta = {r.attempt: r.status for r in _store(duckdb_root).runs() if r.unit == Unit("beta", "events")}
    assert beta == {1: statuses.ERRORED, 2: statuses.ERRORED, 3: statuses.FAILED}

    fake_loader.failures.update(acme=[revoked("acme")], beta=[revoked("beta")])
    with pytest.raises(SyncError, match="account acme"):  # the first account's error
        run_guarded(two_accounts(duckdb_root), policy=FAST)
    runs = _store(duckdb_root).runs()
    last = max(runs, key=lambda r: r.started_at).run_id
    latest = [r for r in runs if r.run_id == last]
    assert latest and {r.status for r in latest} == {statuses.FAILED}
    assert len([e for e in _store(duckdb_root).errors() if e.code == "401"]) == 2  # one per account


def test_switches_per_account_are_honoured(duckdb_root: Path, fake_loader: FakeLoader) -> None:
    store = _store(duckdb_root)
    set_control(store, "pause", ["events"], ["acme"])
    set_control(store, "disable", ["profiles", "events"], ["beta"])
    outcome = run_guarded(two_accounts(duckdb_root), policy=FAST)
    assert fake_loader.calls == [{"acme": ("profiles",)}]  # beta has nothing left: not synced at all
    assert outcome.skipped == {
        Unit("acme", "events"): statuses.PAUSED, Unit("beta", "profiles"): statuses.DISABLED,
        Unit("beta", "events"): statuses.DISABLED,
    }
    assert outcome.ran == [Unit("acme", "metrics"), Unit("acme", "profiles")]
    view = load_view(store)
    assert view.account_connection("beta") == statuses.DISABLED and view.connection == "Enabled"
    assert {(r.account, r.name): r.status for r in view.historical}[("acme", "events")] == statuses.PAUSED

    set_control(store, "disable", ["profiles", "events"], ["acme"])
    lines: list[str] = []
    assert guarded_run(two_accounts(duckdb_root), echo=lines.append) is None  # everything skipped
    hint = "acme/events: skipped (Disabled) - run `klaviyo-sync enable events --account acme`"
    assert hint in " ".join(lines)
    assert load_view(store).connection == statuses.DISABLED


def test_campaigns_and_flows_are_switched_like_the_others(duckdb_root: Path, fake_loader: FakeLoader) -> None:
    settings = two_accounts(duckdb_root, objects=("profiles", "events", "campaigns", "flows"))
    store = _store(duckdb_root)
    set_control(store, "pause", ["flows"], ["acme"])
    set_control(store, "disable", ["profiles", "events"], ["acme"])
    outcome = run_guarded(settings, policy=FAST)
    assert fake_loader.calls[0]["acme"] == ("campaigns",)
    assert outcome.skipped[Unit("acme", "flows")] == statuses.PAUSED
    # acme still syncs campaigns: it is not Disabled until every object it syncs is
    assert load_view(store).account_connection("acme") == "Enabled"
    set_control(store, "disable", ["campaigns", "flows"], ["acme"])
    run_guarded(settings, policy=FAST)
    assert fake_loader.calls[-1] == {"beta": ("profiles", "events", "campaigns", "flows")}
    assert load_view(store).account_connection("acme") == statuses.DISABLED


def test_reports_group_by_account(duckdb_root: Path, fake_loader: FakeLoader, monkeypatch: pytest.MonkeyPatch
                                  ) -> None:
    fake_loader.failures["beta"] = [revoked("beta")]
    guarded_run(two_accounts(duckdb_root), echo=lambda line: None)
    store = _store(duckdb_root)
    view = load_view(store)

    doc = status_document(view, "duckdb", "klaviyo_raw")
    assert doc["schema_version"] == 2
    assert [a["name"] for a in doc["connection"]["accounts"]] == ["acme", "beta"]
    assert {a["name"]: a["errors_24h"] for a in doc["connection"]["accounts"]} == {"acme": 0, "beta": 1}
    assert {(r["account"], r["name"], r["status"]) for r in doc["historical"]} >= {
        ("acme", "events", statuses.COMPLETED), ("beta", "events", statuses.FAILED)}
    assert doc["errors_24h"][0]["account"] == "beta"

    console = Console(record=True, width=200)
    print_status(console, view, "duckdb", "klaviyo_raw")
    text = console.export_text()
    assert text.index("Account acme") < text.index("Account beta")
    assert "Historical - account beta" in text and "Periodic - account acme" in text

    html = render_dashboard(view, "duckdb", "klaviyo_raw")
    assert 'data-account-header="acme"' in html and 'data-account-header="beta"' in html
    assert "klaviyo-sync pause events --account acme" in html and "<form" not in html  # static: commands
    assert 'data-errors="' in html and all(key not in html for key in KEYS.values())

    # the switch commands: --account, or every configured account
    monkeypatch.setenv("KLAVIYO_SYNC__PIPELINES_DIR", str(duckdb_root / "pipelines"))
    for name, key in KEYS.items():
        monkeypatch.setenv(f"SOURCES__KLAVIYO__ACCOUNTS__{name.upper()}__API_KEY", key)
    one = CliRunner().invoke(main, ["pause", "events", "--account", "beta"], catch_exceptions=False)
    assert one.exit_code == 0 and one.output.strip() == "beta/events: Paused"
    every = CliRunner().invoke(main, ["pause", "profiles"], catch_exceptions=False)
    assert every.output.split() == ["acme/profiles:", "Paused", "beta/profiles:", "Paused"]
    bad = CliRunner().invoke(main, ["pause", "events", "--account", "gamma"])
    assert bad.exit_code == 1 and "Error: unknown account gamma (--account)" in bad.output
    controls = _store(duckdb_root).controls()
    assert controls[Unit("beta", "events")].paused and Unit("acme", "events") not in controls
    status = CliRunner().invoke(main, ["status", "--json"], catch_exceptions=False)
    rows = {(r["account"], r["name"]): r["status"] for r in json.loads(status.output)["periodic"]}
    assert rows[("acme", "profiles")] == statuses.PAUSED and rows[("acme", "events")] == statuses.COMPLETED
