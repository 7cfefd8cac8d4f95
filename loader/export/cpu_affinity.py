"""Keep an upload's threads on one CPU core (Linux), so its two threads stop passing the GIL across cores.

An upload is two Python threads handing CPython's GIL to each other for every SSH packet: the one
writing, and paramiko's transport thread, which reads the server's acknowledgements and window
updates. When they run on different cores, each hand-over wakes the other core and either thread can
be descheduled while it holds the GIL, stalling the other. On the same core the hand-over is a plain
switch. Measured on loopback, 2 cores, 545 MB (bench/export_upload.py): 216 -> 277-295 MB/s, CPU
1.96 -> 1.57-1.62 s, and the spread between runs shrinks from ~60 to ~25 MB/s.

`one_core()` narrows only the calling thread's CPU set (Linux applies `sched_setaffinity(0)` to the
calling thread); the threads it starts meanwhile, such as paramiko's transport thread, inherit it.
The set is restored on exit. Uploads running in parallel share the process's one GIL, so they
share one core too: the other cores stay free for the SSH server, the kernel and the rest of the
process. It does nothing where `os.sched_setaffinity` is missing or refused, where a single core
is allowed, or with `KLAVIYO_SYNC_UPLOAD_ANY_CORE=1` (for a host whose cores are all busy with other work).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

log = logging.getLogger(__name__)

ANY_CORE_ENV = "KLAVIYO_SYNC_UPLOAD_ANY_CORE"
_lock = threading.Lock()
_core: int | None = None  # the core every upload of this process runs on, chosen once


def _upload_core(allowed: set[int]) -> int:
    """One core for all uploads of this process: the highest allowed (core 0 often takes more
    interrupts), kept while it stays allowed."""
    global _core
    with _lock:
        if _core not in allowed:
            _core = max(allowed)
        return _core


@contextmanager
def one_core() -> Iterator[int | None]:
    """Run the calling thread (and the threads it starts) on one core; yields the core, or None
    when nothing was changed."""
    if not hasattr(os, "sched_setaffinity") or os.environ.get(ANY_CORE_ENV) == "1":
        yield None
        return
    allowed = os.sched_getaffinity(0)
    if len(allowed) < 2:
        yield None
        return
    core = _upload_core(allowed)
    try:
        os.sched_setaffinity(0, {core})
    except OSError as exc:  # a sandbox that forbids it, or the CPU set changed meanwhile
        log.debug("uploads stay on any core: sched_setaffinity refused (%s)", exc)
        yield None
        return
    try:
        yield core
    finally:
        with suppress(OSError):
            os.sched_setaffinity(0, allowed)
