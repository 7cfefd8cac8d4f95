"""Emulator -> loader (run_sync) -> dbt build -> marts checked row by row against the API's truth.

Two syncs with growth in between (new, late, future-dated and updated rows), on DuckDB and on the
real PostgreSQL; after each build the marts must equal what the API serves up to the run's start
(future-dated events wait for their time), with no duplicates.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from loader.destination import make_pipeline
from loader.pipeline import run_sync
from loader.sync_settings import SyncSettings
from loader.transform import DbtBuildSummary, build_models
from loader.transform.dbt_invoke import DbtPaths, dbt_args, invoke_dbt
from loader.transform.dbt_profile_env import dbt_connection
from tests.dbt.expected_marketing import event_credit
from tests.dbt.expected_marts import event_rows, metric_rows, profile_rows, utc_naive
from tests.dbt.warehouse_rows import mart_snapshot

pytestmark = [pytest.mark.dbt, pytest.mark.integration]
KEYS = {"klaviyo_metric": ("account_id", "metric_id"), "klaviyo_profile": ("account_id", "profile_id"),
        "klaviyo_event": ("account_id", "event_id")}


class SyncedWarehouse:
    def __init__(self, name: str, root: Path, dsn: str | None = None) -> None:
        self.name, self.root, self.dsn = name, root, dsn
        self.pipelines_dir = str(root / "pipelines")

    def sync_and_build(self) -> tuple[datetime, DbtBuildSummary]:
        settings = SyncSettings.resolve(pipelines_dir=self.pipelines_dir, destination=self.name)
        result = run_sync(settings, pipeline=make_pipeline(self.name, pipelines_dir=self.pipelines_dir))
        pipeline = make_pipeline(self.name, pipelines_dir=self.pipelines_dir)
        return result.run_start, build_models(self.name, work_dir=self.root / "dbt", pipeline=pipeline)

    def freshness(self) -> dict[str, str]:
        """`dbt source freshness` with the same derived connection: status per source table."""
        pipeline = make_pipeline(self.name, pipelines_dir=self.pipelines_dir)
        conn = dbt_connection(pipeline, self.root / "dbt")
        args = dbt_args(["source", "freshness"], DbtPaths.under(self.root / "dbt"), target=conn.target)
        result = invoke_dbt(args, conn.env)
        return {r.node.name: str(r.status) for r in result.result.results
                if r.node.resource_type == "source"}  # not the package's on-run-start hook

    def marts(self) -> dict[str, list[dict[str, Any]]]:
        if self.name == "duckdb":
            import duckdb

            connection: Any = duckdb.connect(str(self.root / "warehouse.duckdb"))
        else:
            import psycopg2

            connection = psycopg2.connect(self.dsn)
        try:
            return mart_snapshot(connection)
        finally:
            connection.close()


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def synced(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> SyncedWarehouse:
    if request.param == "postgres":
        return SyncedWarehouse("postgres", tmp_path, request.getfixturevalue("postgres_db").dsn)
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(tmp_path / "warehouse.duckdb"))
    return SyncedWarehouse("duckdb", tmp_path)


def _assert_marts_equal_truth(marts: dict[str, list[dict[str, Any]]], emulator: Any, until: datetime) -> None:
    truth = emulator.truth
    accounts = {row["account_id"] for row in marts["klaviyo_account"]}
    assert len(accounts) == 1, accounts  # one emulated account; its resources carry its id
    (account_id,) = accounts

    def tagged(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**r, "account_id": account_id} for r in resources]

    metrics = tagged(truth.metrics())
    profiles = tagged([p for p in truth.profiles() if utc_naive(p["attributes"]["updated"]) < _naive(until)])
    events = tagged(truth.events(until=until))
    loaded = {event["id"] for event in events}
    expected = {
        "klaviyo_metric": metric_rows(metrics),
        "klaviyo_profile": profile_rows(profiles),
        "klaviyo_event": event_rows(events, metrics, event_credit(
            _attribution_row(account_id, event_id, a)
            for event_id, credited in truth.attributions().items() if event_id in loaded for a in credited)),
    }
    for mart, key in KEYS.items():
        ids = [tuple(row[k] for k in key) for row in marts[mart]]
        assert len(ids) == len(set(ids)), f"{mart} has duplicate {key}s"
        assert set(ids) == set(expected[mart]), mart
        for row, row_key in zip(marts[mart], ids, strict=True):
            actual = {k: v for k, v in row.items() if k != "_loaded_at"}
            assert actual == expected[mart][row_key], f"{mart} {key}={row_key}"


def _attribution_row(account_id: str, event_id: str, attribution: dict[str, Any]) -> dict[str, Any]:
    """A raw `event_attributions` row of an attribution resource, as the loader writes it."""
    def related(name: str) -> str | None:
        data = (attribution["relationships"].get(name) or {}).get("data")
        return data["id"] if data else None

    return {"account_id": account_id, "event_id": event_id, "attribution_id": attribution["id"],
            **{column: related(name) for column, name in (
                ("campaign_id", "campaign"), ("campaign_message_id", "campaign-message"),
                ("flow_id", "flow"), ("flow_message_id", "flow-message"))}}


def _naive(moment: datetime) -> datetime:
    return utc_naive(moment.isoformat())  # type: ignore[return-value]


def test_sync_then_build_twice_matches_the_api(synced: SyncedWarehouse, make_emulator: Any) -> None:
    running = make_emulator(profiles=40, events=400, metrics=8)
    first_start, first = synced.sync_and_build()
    assert first.success, first.failures
    # every model of the package: the default objects sync every raw table it reads
    assert first.models_built == 24 and first.tests_failed == 0
    marts = synced.marts()
    assert any(e["value"] is not None for e in marts["klaviyo_event"]), "no $value reached the mart"
    _assert_marts_equal_truth(marts, running.emulator, first_start)

    running.emulator.grow(new_events=40, late_events=10, late_by=timedelta(minutes=30), future_events=3,
                          updated_profiles=6, new_profiles=4)
    second_start, second = synced.sync_and_build()
    assert second.success, second.failures
    _assert_marts_equal_truth(synced.marts(), running.emulator, second_start)
    # the loader just loaded (schema `klaviyo` in _dlt_loads) and the newest past event is minutes old
    assert synced.freshness() == {"_dlt_loads": "pass", "events": "pass"}
