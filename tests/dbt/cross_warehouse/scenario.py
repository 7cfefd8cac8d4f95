"""Two loads and two `dbt build`s on an emulated warehouse, and the checks against the ground truth.

The same flow and checks as the DuckDB/PostgreSQL mart tests (tests/dbt/test_marts.py): seed load 1
-> build -> snapshot; seed load 2 (new, late, future, updated and re-read rows) -> incremental build
-> snapshot. The ground truth is computed in Python from the API resources (tests/dbt/expected_marts).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from loader.transform.dbt_invoke import DbtPaths, dbt_args, invoke_dbt
from loader.transform.dbt_project import find_dbt_project, profiles_dir
from tests.dbt.expected_marts import event_rows, metric_rows, profile_rows
from tests.dbt.raw_seed import KlaviyoRawData

Batch = dict[str, list[dict[str, Any]]]
Snapshot = dict[str, list[dict[str, Any]]]
KEYS = {"klaviyo_metric": "metric_id", "klaviyo_profile": "profile_id", "klaviyo_event": "event_id"}
JSON_COLUMNS = {"integration", "location", "properties", "subscriptions", "predictive_analytics",
                "event_properties"}


@dataclass
class TwoLoadRun:
    data: KlaviyoRawData
    initial: Batch = field(default_factory=dict)
    growth: Batch = field(default_factory=dict)
    builds: dict[str, Any] = field(default_factory=dict)
    snapshots: dict[str, Snapshot] = field(default_factory=dict)


def dbt_build(target: str, env: Mapping[str, str], work_dir: Path) -> Any:
    """`dbt build` of the package in this process, with the committed env-var-only profiles.yml."""
    project = find_dbt_project()
    paths = DbtPaths(project, profiles_dir(project), work_dir / "target", work_dir / "logs")
    return invoke_dbt(dbt_args(["build"], paths, target=target), {"KLAVIYO_DBT_THREADS": "2", **env})


def run_two_loads(
    seed: Callable[[Batch, str, datetime], None],
    build: Callable[[], Any],
    read_marts: Callable[[], Snapshot],
) -> TwoLoadRun:
    data = KlaviyoRawData.initial()
    run = TwoLoadRun(data)
    run.initial = {"metrics": list(data.metrics.values()), "profiles": list(data.profiles.values()),
                   "events": list(data.events.values())}
    seed(run.initial, "1000000001.000001", datetime.now(timezone.utc))
    run.builds["first"] = build()
    run.snapshots["first"] = read_marts()
    run.growth = data.grow()
    seed(run.growth, "1000000002.000002", datetime.now(timezone.utc))
    run.builds["second"] = build()
    run.snapshots["second"] = read_marts()
    return run


def normalise(row: Mapping[str, Any]) -> dict[str, Any]:
    """A mart row as the ground truth spells it: lower-case names, JSON parsed, naive UTC, floats."""
    out = {}
    for name, value in row.items():
        name = name.lower()
        if name in JSON_COLUMNS and isinstance(value, str):
            value = json.loads(value)
        elif isinstance(value, Decimal):
            value = float(value)
        elif isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        out[name] = value
    return out


def build_failures(result: Any) -> list[str]:
    """Every node of a dbtRunnerResult that did not succeed/pass, with its message."""
    if result.exception is not None:
        return [repr(result.exception)]
    bad = [f"{r.node.name}: {r.status}: {r.message}" for r in result.result
           if str(r.status) not in ("success", "pass")]
    return bad or ([] if result.success else ["dbt reported failure"])


def expected_marts(batch_or_data: Batch | KlaviyoRawData) -> dict[str, dict[str, dict[str, Any]]]:
    if isinstance(batch_or_data, KlaviyoRawData):
        data = batch_or_data
        batch = {"metrics": list(data.metrics.values()), "profiles": list(data.profiles.values()),
                 "events": list(data.events.values())}
    else:
        batch = batch_or_data
    return {
        "klaviyo_metric": metric_rows(batch["metrics"]),
        "klaviyo_profile": profile_rows(batch["profiles"]),
        "klaviyo_event": event_rows(batch["events"], batch["metrics"]),
    }


def assert_marts_match(snapshot: Snapshot, expected: dict[str, dict[str, dict[str, Any]]]) -> None:
    for mart, key in KEYS.items():
        ids = [row[key] for row in snapshot[mart]]
        assert len(ids) == len(set(ids)), f"{mart}: duplicate {key}s"
        assert set(ids) == set(expected[mart]), mart
        for row in snapshot[mart]:
            actual = {k: v for k, v in row.items() if k != "_loaded_at"}
            assert actual == expected[mart][row[key]], f"{mart} {key}={row[key]}"


def assert_incremental(run: TwoLoadRun) -> None:
    """Only rows of the second load were rewritten by the second build; the rest kept load 1's time."""
    first = {r["event_id"]: r["_loaded_at"] for r in run.snapshots["first"]["klaviyo_event"]}
    load_1 = max(first.values())
    grown = {e["id"] for e in run.growth["events"]}
    for row in run.snapshots["second"]["klaviyo_event"]:
        if row["event_id"] in grown:
            assert row["_loaded_at"] > load_1, row["event_id"]
        else:
            assert row["_loaded_at"] == first[row["event_id"]], row["event_id"]
    profiles = run.snapshots["second"]["klaviyo_profile"]
    assert {p["profile_id"] for p in profiles if p["_loaded_at"] > load_1} == {
        p["id"] for p in run.growth["profiles"]
    }


def assert_edge_cases(run: TwoLoadRun) -> None:
    """Offsets other than UTC, `$value` as number / numeric text / junk / missing, no profile."""
    events = {r["event_id"]: r for r in run.snapshots["first"]["klaviyo_event"]}
    raw = run.data.events
    for event_id in ("E000001", "E000002"):  # +02:00 and -05:30 in the raw data
        assert not raw[event_id]["attributes"]["datetime"].endswith("+00:00")
        occurred_at = events[event_id]["occurred_at"].replace(tzinfo=timezone.utc)
        assert occurred_at.timestamp() == raw[event_id]["attributes"]["timestamp"]
    values = [events[i]["value"] for i in ("E000000", "E000001", "E000002", "E000003")]
    assert values == [19.99, 12.5, None, None]
    assert events["E000004"]["profile_id"] is None


class TwoLoadRunChecks:
    """The checks every warehouse's two-load run must pass; a test module subclasses this as
    `TestXxx` and provides a `two_load_run` fixture."""

    def test_both_builds_run_every_model_and_test(self, two_load_run: TwoLoadRun) -> None:
        for step, result in two_load_run.builds.items():
            assert build_failures(result) == [], step
            assert len([r for r in result.result if r.node.resource_type == "model"]) == 7, step

    def test_first_build_matches_the_ground_truth_row_by_row(self, two_load_run: TwoLoadRun) -> None:
        assert_marts_match(two_load_run.snapshots["first"], expected_marts(two_load_run.initial))

    def test_utc_value_and_profile_edge_cases(self, two_load_run: TwoLoadRun) -> None:
        assert_edge_cases(two_load_run)

    def test_second_load_is_merged_incrementally_without_duplicates(self, two_load_run: TwoLoadRun) -> None:
        assert_marts_match(two_load_run.snapshots["second"], expected_marts(two_load_run.data))
        assert_incremental(two_load_run)
