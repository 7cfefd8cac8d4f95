"""Read several accounts at once: one thread per account stream, one bounded queue to dlt.

Every resource (metrics, profiles, events) reads each account as its own stream (a generator that
pages that account's slices on its own worker threads and pacers). The streams run side by side and
their items reach dlt in arrival order through a queue of at most `queue_items` items, so a slow
account never holds up a fast one and memory stays bounded.

A stream that fails (a revoked key, a missing scope, a malformed page) fails only its unit (account,
object): the error is recorded for it with the account named in it, and every other stream goes on
(a revoked key fails the account's other streams by itself, at their next request). A failed stream
never writes its cursor (each stream writes its state only after its last item), and what it read
before failing is merged on (account_id, id), so nothing is lost or duplicated by the next run.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from loader.errors import SyncError
from loader.source.context import AccountContext
from loader.source.fetch import PUT_POLL_S, Stopped, drain, put_until_stopped
from loader.sync_observer import DEFAULT_ACCOUNT


@dataclass
class Stream:
    """One account's share of one resource: `items()` yields what dlt gets."""

    account: AccountContext
    obj: str
    items: Callable[[], Iterator[Any]]


class _End:
    pass


def read_streams(streams: list[Stream], queue_items: int) -> Iterator[Any]:
    """Every item of every stream, as they arrive; a failing stream fails only its account."""
    if not streams:
        return
    inbox: queue.Queue[Any] = queue.Queue(maxsize=max(1, queue_items))
    stop = threading.Event()

    def run(stream: Stream) -> None:
        account = stream.account
        items = stream.items()
        try:
            for item in items:
                put_until_stopped(inbox, item, stop)
        except Stopped:
            pass
        except BaseException as exc:  # noqa: BLE001 - recorded for this unit only
            account.report.fail(account.unit(stream.obj), for_account(exc, account.name))
        finally:
            items.close()  # type: ignore[attr-defined]
            _force_put(inbox, _End())

    threads = [
        threading.Thread(target=run, args=(stream,), name=f"klaviyo-{stream.account.name}-{stream.obj}",
                         daemon=True)
        for stream in streams
    ]
    for thread in threads:
        thread.start()
    running = len(threads)
    try:
        while running:
            item = inbox.get()
            if isinstance(item, _End):
                running -= 1
                continue
            yield item
    finally:
        stop.set()
        while any(thread.is_alive() for thread in threads):
            drain(inbox)
            for thread in threads:
                thread.join(PUT_POLL_S)


def for_account(exc: BaseException, name: str) -> BaseException:
    """The error with the account named in its `where` (its type, hence the retry rule, is kept);
    a lone unnamed account ("default") is not named."""
    if isinstance(exc, SyncError) and name != DEFAULT_ACCOUNT and not exc.where.startswith("account "):
        return exc.located(f"account {name}: {exc.where}")
    return exc


def _force_put(inbox: queue.Queue[Any], item: object) -> None:
    while True:
        try:
            inbox.put(item, timeout=PUT_POLL_S)
            return
        except queue.Full:
            continue
