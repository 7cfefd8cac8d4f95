"""Flows and their children keep to their budgets without leaving them unused (bench/objects_ratelimit.py
measures it against the emulator at Klaviyo's limits)."""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import pytest

from loader.source.client import Page
from loader.source.marketing import flows_filter
from loader.source.pacer import EndpointPacer
from loader.source.settings import Budget
from tests.source.test_marketing_unit import T0, FakeClient, action, context, flow, flow_message, run, table


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_60_per_minute_budget_is_nearly_used_and_never_exceeded() -> None:
    clock = FakeClock()
    pacer = EndpointPacer(Budget(burst=3, steady=60), clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(180):
        pacer.acquire()
        times.append(clock.now)
        pacer.release()
    assert max(bisect_left(times, t + 60.0) - i for i, t in enumerate(times)) <= 60
    assert max(bisect_left(times, t + 1.0) - i for i, t in enumerate(times)) <= 3
    per_minute = (len(times) - 1) / (times[-1] - times[0]) * 60
    assert per_minute >= 0.95 * 60, f"{per_minute:.1f}/min of 60"


FLOWS = ("F1", "F2", "F3")


class MessagesWaitForActions(FakeClient):
    """Answers a flow-messages request only once every flow's actions were asked for (or 5 s passed)."""

    def __init__(self) -> None:
        routes: dict[tuple[str, str | None], list[dict[str, Any]]] = {
            ("/api/flows", flows_filter(False, None)): [{"data": [flow(f, "2026-02-01T00:00:00+00:00")
                                                                  for f in FLOWS]}]}
        for f in FLOWS:
            routes[(f"/api/flows/{f}/flow-actions", None)] = [{"data": [action(f"A{f}", "send-email")]}]
            routes[(f"/api/flow-actions/A{f}/flow-messages", None)] = [{"data": [flow_message(f"M{f}")]}]
        super().__init__(routes)
        self.lock = threading.Lock()
        self.actions_asked = 0
        self.all_actions_asked = threading.Event()
        self.waited_in_vain = False

    def pages(self, path: str, params: dict[str, str], pacer_keys: Any = None) -> Iterator[Page]:
        if path.endswith("/flow-actions"):
            with self.lock:
                self.actions_asked += 1
                if self.actions_asked == len(FLOWS):
                    self.all_actions_asked.set()
        if path.endswith("/flow-messages") and not self.all_actions_asked.wait(5):
            self.waited_in_vain = True
            self.all_actions_asked.set()  # once is enough to fail
        yield from super().pages(path, params, pacer_keys)


@pytest.fixture
def pipeline(tmp_path: Path) -> dlt.Pipeline:
    return dlt.pipeline("marketing_pacing", destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
                        pipelines_dir=str(tmp_path / "pipelines"), dataset_name="klaviyo_raw")


def test_flow_actions_are_read_while_their_messages_are(pipeline: dlt.Pipeline) -> None:
    client = MessagesWaitForActions()
    run(pipeline, context(client, T0))
    assert not client.waited_in_vain, "the flow-actions waited for the flow-messages of earlier flows"
    assert table(pipeline, "flow_actions", "flow_id, id") == [(f, f"A{f}") for f in FLOWS]
    assert table(pipeline, "flow_messages", "flow_action_id, id") == [(f"A{f}", f"M{f}") for f in FLOWS]
