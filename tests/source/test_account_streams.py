"""Several accounts' streams read side by side: all items arrive, a failure stays with its unit,
and a consumer that stops early stops every stream thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any
from unittest.mock import MagicMock

from loader.errors import SyncError
from loader.source.account_streams import Stream, read_streams
from loader.source.context import AccountContext, ExtractReport
from loader.sync_observer import Unit


def account(name: str, report: ExtractReport) -> AccountContext:
    return AccountContext(name=name, account_id=name.upper(), attributes={}, client=MagicMock(),
                          catalog=MagicMock(), options=MagicMock(), report=report)


def numbers(prefix: str, count: int, fail_at: int | None = None) -> Iterator[str]:
    for n in range(count):
        if n == fail_at:
            raise SyncError("the page is malformed", "GET /api/events (page 3)", "run again",
                            code="malformed")
        yield f"{prefix}{n}"


def test_every_item_arrives_and_a_failure_stays_with_its_unit() -> None:
    report = ExtractReport(datetime.now(timezone.utc))
    a, b = account("acme", report), account("globex", report)
    streams = [Stream(a, "events", lambda: numbers("a", 50)),
               Stream(b, "events", lambda: numbers("b", 50, 30)),
               Stream(b, "profiles", lambda: numbers("p", 20))]
    items = list(read_streams(streams, queue_items=2))
    assert sorted(i for i in items if i.startswith("a")) == sorted(f"a{n}" for n in range(50))
    assert {i for i in items if i.startswith("b")} == {f"b{n}" for n in range(30)}
    assert len([i for i in items if i.startswith("p")]) == 20
    assert set(report.failed) == {Unit("globex", "events")}
    error = report.failed[Unit("globex", "events")]
    assert isinstance(error, SyncError) and error.where == "account globex: GET /api/events (page 3)"
    assert error.code == "malformed"


def test_a_consumer_that_stops_early_stops_the_streams() -> None:
    report = ExtractReport(datetime.now(timezone.utc))
    closed = threading.Event()

    def endless() -> Iterator[Any]:
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    reader = read_streams([Stream(account("acme", report), "events", endless)], queue_items=1)
    assert [next(reader) for _ in range(3)] == [0, 1, 2]
    reader.close()
    assert closed.is_set(), "the stream's generator was closed (its fetch threads with it)"
    assert not [t for t in threading.enumerate() if t.name.startswith("klaviyo-acme")]
