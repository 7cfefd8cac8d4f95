"""One sync at a time per pipeline on this machine: an exclusive, non-blocking file lock.

The operating system releases the lock when its process dies (even on kill -9), so a crashed run
never blocks the next one; the ledger rows it left "In progress" are then closed by `recovery`.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from loader.errors import SyncError


class LockBusy(SyncError):
    """Another sync (a manual run or the scheduler) holds the lock."""


@contextmanager
def sync_lock(path: Path) -> Iterator[None]:
    """Hold the lock for the block, or raise `LockBusy` at once naming the holder's pid."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle: IO[str] = open(path, "a+")  # noqa: SIM115 - closed in finally
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise LockBusy(
                f"another sync is already running (pid {holder})",
                f"lock file {path}",
                "wait for it to finish (klaviyo-sync status shows it), or stop the scheduler first",
                code="locked",
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()  # closing the descriptor releases the lock
