"""Parallel slice fetching with work stealing: every row once, however the work is split."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import partial

import pytest

from loader.source import fetch
from loader.source.client import KlaviyoClient
from loader.source.fetch import Task, fetch_pages
from loader.source.slices import events_filter, profiles_filter

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("workers,page_size", [(1, 1000), (8, 7), (16, 3)])
def test_split_slices_read_every_event_once(emulator, workers: int, page_size: int, monkeypatch) -> None:
    steals = []
    original = fetch._Work._steal

    def counting_steal(self):  # type: ignore[no-untyped-def]
        task = original(self)
        if task is not None:
            steals.append(task)
        return task

    monkeypatch.setattr(fetch._Work, "_steal", counting_steal)
    client = KlaviyoClient(emulator.base_url, emulator.api_key)
    end = datetime.now(timezone.utc)
    start = end - timedelta(days=500)
    params = {"sort": "datetime", "page[size]": str(page_size)}
    one_slice = [Task("/api/events", params, partial(events_filter, metric_id=None), "datetime", start, end)]
    pages = list(fetch_pages(client, one_slice, workers=workers, queue_pages=4))
    ids = [item["id"] for page in pages for item in page.data]
    assert len(ids) == len(set(ids)), "an event was read twice"
    assert set(ids) == {e["id"] for e in emulator.emulator.truth.events(until=end)}
    assert (len(steals) > 0) == (workers > 1), "idle workers split the busy slice"


def test_split_profiles_on_strict_greater_than(emulator) -> None:
    client = KlaviyoClient(emulator.base_url, emulator.api_key)
    end = datetime.now(timezone.utc)
    updated = sorted(p["attributes"]["updated"] for p in emulator.emulator.truth.profiles())
    start = datetime.fromisoformat(updated[0]).astimezone(timezone.utc)
    params = {"sort": "updated", "page[size]": "5", "additional-fields[profile]": "subscriptions"}
    tasks = [Task("/api/profiles", params, profiles_filter, "updated", start, end)]
    pages = list(fetch_pages(client, tasks, workers=6, queue_pages=2))
    ids = [item["id"] for page in pages for item in page.data]
    assert len(ids) == len(set(ids))
    assert set(ids) == {p["id"] for p in emulator.emulator.truth.profiles()}
