"""Fetch time slices in parallel, streaming their pages through a bounded queue.

Worker threads each page through one slice `[start, end)` of a window (sorted ascending by the
cursor field) and put every page on a queue of at most `queue_pages` pages; the caller's generator
takes them off and hands them to dlt. Memory stays bounded however large the window: a slow
consumer blocks the workers, never the other way round.

Slices rarely hold equal amounts of data, so a worker that runs out of slices takes the second half
of the busiest remaining one: the owner's `end` moves down to the midpoint (it drops rows at or after
it and stops), the thief reads `[mid, old end)`. Both sides change only under one lock, and the
midpoint always lies after the last row the owner handed out, so no row is read twice or missed.

The first error stops every worker and is re-raised in the caller, so a failed run yields nothing
more (and its cursor never moves).
"""

from __future__ import annotations

import bisect
import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import orjson

from loader.source.client import KlaviyoClient, Page
from loader.source.event_pages import EventPage
from loader.source.slices import Window, parse_dt

PUT_POLL_S = 0.2
MIN_STEAL = timedelta(seconds=2)


@dataclass
class Task:
    """One slice: `path` with `params` and the filter for `[start, end)` on the sort `field`."""

    path: str
    params: Mapping[str, str]
    make_filter: Callable[[Window], str]
    field: str
    start: datetime
    end: datetime
    pacer_keys: tuple[str, ...] = ()
    position: datetime | None = None  # the cursor field of the last row handed out
    more: bool = False  # its last page linked a next one: only such slices are worth splitting

    def remaining(self) -> timedelta:
        return self.end - (self.position or self.start)


class _Work:
    """Pending and active slices of one fetch, and the split rule; all under one lock."""

    def __init__(self, tasks: list[Task]) -> None:
        self.lock = threading.Condition()
        self.stopped = False
        self.pending = list(reversed(tasks))
        self.active: list[Task] = []
        self.total = sum((t.end - t.start).total_seconds() for t in tasks) or 1.0
        self.finished = 0.0

    def next_task(self) -> Task | None:
        """A pending slice, else half of a splittable one; waits while active slices may become
        splittable; None once everything is done (or stopped)."""
        with self.lock:
            while not self.stopped:
                task = self.pending.pop() if self.pending else self._steal()
                if task is not None:
                    self.active.append(task)
                    return task
                if not self.active:
                    return None
                self.lock.wait(PUT_POLL_S)
            return None

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            self.lock.notify_all()

    def _steal(self) -> Task | None:
        victim = max((t for t in self.active if t.more), key=Task.remaining, default=None)
        if victim is None or victim.remaining() < MIN_STEAL:
            return None
        low = victim.position or victim.start
        mid = low + (victim.end - low) / 2
        if mid <= low:
            return None
        thief = replace(victim, start=mid, end=victim.end, position=None, more=False)
        victim.end = mid
        return thief

    def keep(self, task: Task, data: Any, more: bool) -> tuple[Any, bool]:
        """The rows of a page inside the task's (possibly shrunk) slice, and whether it is complete.
        `data`: a list of resources, or a decoded `EventPage`."""
        with self.lock:
            if more and not task.more:
                self.lock.notify_all()
            task.more = more
            key = _sort_key(data, task.field)
            cut = _first_at_or_after(len(data), key, task.end)
            if cut:
                task.position = key(cut - 1) or task.position
            if cut == len(data):
                return data, False
            return (data.head(cut) if isinstance(data, EventPage) else data[:cut]), True

    def done(self, task: Task) -> None:
        with self.lock:
            self.active.remove(task)
            self.finished += (task.end - task.start).total_seconds()
            self.lock.notify_all()

    def fraction(self) -> float:
        with self.lock:
            moving = sum(((t.position or t.start) - t.start).total_seconds() for t in self.active)
            return min(1.0, (self.finished + moving) / self.total)


SortKey = Callable[[int], "datetime | None"]


def _sort_key(data: Any, field: str) -> SortKey:
    """The sort field of row `index` of a page, parsed when asked (most pages need only the last)."""
    if isinstance(data, EventPage):
        column = data.events[field]
        return lambda index: column[index].as_py()  # type: ignore[no-any-return]
    return lambda index: parse_dt(data[index]["attributes"].get(field))


def _first_at_or_after(rows: int, key: SortKey, end: datetime) -> int:
    """Index of the first of `rows` rows whose sort key is >= end (rows are sorted ascending by it)."""
    if not rows:
        return 0
    last = key(rows - 1)
    if last is None or last < end:
        return rows
    return bisect.bisect_left([key(index) or end for index in range(rows)], end)


class _Done:
    pass


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class Stopped(Exception):
    """The consumer stopped: a producer thread ends without putting more."""


def put_until_stopped(inbox: queue.Queue[Any], item: Any, stop: threading.Event) -> None:
    """Put `item` on a bounded queue, waiting while it is full, unless `stop` is set (`Stopped`)."""
    while not stop.is_set():
        try:
            inbox.put(item, timeout=PUT_POLL_S)
            return
        except queue.Full:
            continue
    raise Stopped


ProgressCallback = Callable[[float, int], None]


def fetch_pages(
    client: KlaviyoClient,
    tasks: list[Task],
    *,
    workers: int,
    queue_pages: int,
    progress: ProgressCallback | None = None,
    shape: Callable[[Any, list[dict[str, Any]]], Any] | None = None,
    decode: Callable[[bytes], Any] = orjson.loads,
) -> Iterator[Page]:
    """Yield every page of every task (trimmed to its slice) in arrival order, on `workers` threads.

    `shape(resources, included)` turns a page's resources (and the document's `included` ones)
    into what dlt gets (rows, an arrow table) on the worker thread, so the queue holds compact
    pages and the parsed JSON is freed at once; the yielded
    `Page.data` is then the shaped value and `Page.rows` the number of resources. `decode` parses a
    body (into a JSON document, or a `client.Decoded` page such as loader.source.event_pages makes).
    """
    if not tasks:
        return
    work = _Work(tasks)
    # Parsing and shaping pages is CPU work under the GIL: one thread does it for all workers, so
    # the big short-lived objects live in one malloc arena instead of one per worker thread.
    decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="klaviyo-decode")

    def decoded(body: bytes) -> Any:
        return decoder.submit(decode, body).result()

    def shaped(data: Any, included: list[dict[str, Any]]) -> Any:
        return decoder.submit(shape, data, included).result() if shape else data
    inbox: queue.Queue[Page | _Done | _Failed] = queue.Queue(maxsize=max(1, queue_pages))
    stop = threading.Event()

    def put(item: Page | _Done | _Failed) -> None:
        put_until_stopped(inbox, item, stop)

    def run_worker() -> None:
        try:
            while not stop.is_set() and (task := work.next_task()) is not None:
                _run_task(client, work, task, put, shaped, decoded)
                work.done(task)
            put(_Done())
        except Stopped:
            return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer thread
            stop.set()
            work.stop()
            _force_put(inbox, _Failed(exc))

    count = max(1, workers)
    rows, running = 0, count
    pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="klaviyo")
    try:
        for _ in range(count):
            pool.submit(run_worker)
        while running:
            item = inbox.get()
            if isinstance(item, _Failed):
                raise item.error
            if isinstance(item, _Done):
                running -= 1
                continue
            rows += item.rows
            if progress:
                progress(work.fraction(), rows)
            yield item
    finally:
        stop.set()
        work.stop()
        drain(inbox)
        pool.shutdown(wait=True, cancel_futures=True)
        decoder.shutdown(wait=True, cancel_futures=True)


def _run_task(
    client: KlaviyoClient,
    work: _Work,
    task: Task,
    put: Callable[[Page], None],
    shape: Callable[[Any, list[dict[str, Any]]], Any],
    decode: Callable[[bytes], Any],
) -> None:
    """Page through one slice until its data ends or passes its (possibly moved) end."""
    url: str | None = client.base_url + task.path
    query: Mapping[str, str] | None = {
        **task.params, "filter": task.make_filter(Window(task.start, task.end))
    }
    number = 1
    while url:
        page = client.get_page(url, query, task.pacer_keys or (task.path,), number, decode)
        kept, past_end = work.keep(task, page.data, page.next_url is not None)
        if kept:
            put(replace(page, data=shape(kept, page.included or []), rows=len(kept), included=None))
        if past_end:
            return
        url, query, number = page.next_url, None, number + 1


def _force_put(inbox: queue.Queue, item: object) -> None:
    """Make room for an error report even when the queue is full."""
    while True:
        try:
            inbox.put_nowait(item)
            return
        except queue.Full:
            drain(inbox, keep_failures=True)


def drain(inbox: queue.Queue, keep_failures: bool = False) -> None:
    kept = []
    while True:
        try:
            item = inbox.get_nowait()
        except queue.Empty:
            break
        if keep_failures and isinstance(item, _Failed):
            kept.append(item)
    for item in kept:
        inbox.put_nowait(item)
