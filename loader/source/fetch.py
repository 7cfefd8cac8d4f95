"""Fetch many paged queries at once, streaming their pages through a bounded queue.

Worker threads page through one query ("task") each and put every page on a queue of at most
`queue_pages` pages; the caller's generator takes them off and hands them to dlt. Memory stays
bounded however large the window: a slow consumer blocks the workers, never the other way round.
The first error stops every worker and is re-raised in the caller, so a failed run yields nothing
more (and its cursor never moves).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from loader.source.client import KlaviyoClient, Page

PUT_POLL_S = 0.2


@dataclass(frozen=True)
class Task:
    """One paged query: `params` on `path`; `weight` is its share of the progress bar."""

    path: str
    params: Mapping[str, str]
    pacer_keys: tuple[str, ...] = ()
    weight: float = 1.0
    label: str = field(default="", compare=False)


class _Done:
    def __init__(self, task: Task) -> None:
        self.task = task


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Stopped(Exception):
    pass


ProgressCallback = Callable[[float, int], None]


def fetch_pages(
    client: KlaviyoClient,
    tasks: list[Task],
    *,
    workers: int,
    queue_pages: int,
    progress: ProgressCallback | None = None,
) -> Iterator[Page]:
    """Yield every page of every task, in arrival order, using up to `workers` threads."""
    if not tasks:
        return
    inbox: queue.Queue[Page | _Done | _Failed] = queue.Queue(maxsize=max(1, queue_pages))
    stop = threading.Event()

    def put(item: Page | _Done | _Failed) -> None:
        while not stop.is_set():
            try:
                inbox.put(item, timeout=PUT_POLL_S)
                return
            except queue.Full:
                continue
        raise _Stopped

    def work(task: Task) -> None:
        try:
            if stop.is_set():
                return
            for page in client.pages(task.path, task.params, task.pacer_keys or None):
                put(page)
            put(_Done(task))
        except _Stopped:
            return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer thread
            stop.set()
            _force_put(inbox, _Failed(exc))

    total = sum(t.weight for t in tasks) or 1.0
    done_weight, rows, remaining = 0.0, 0, len(tasks)
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(tasks))), thread_name_prefix="klaviyo")
    try:
        for task in tasks:
            pool.submit(work, task)
        while remaining:
            item = inbox.get()
            if isinstance(item, _Failed):
                raise item.error
            if isinstance(item, _Done):
                remaining -= 1
                done_weight += item.task.weight
                if progress:
                    progress(done_weight / total, rows)
                continue
            rows += len(item.data)
            yield item
    finally:
        stop.set()
        _drain(inbox)
        pool.shutdown(wait=True, cancel_futures=True)


def _force_put(inbox: queue.Queue, item: object) -> None:
    """Make room for an error report even when the queue is full."""
    while True:
        try:
            inbox.put_nowait(item)
            return
        except queue.Full:
            _drain(inbox, keep_failures=True)


def _drain(inbox: queue.Queue, keep_failures: bool = False) -> None:
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
