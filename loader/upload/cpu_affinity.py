"""Keep an upload's threads on one CPU core (Linux), so they stop passing the GIL across cores.

An upload is two Python threads handing CPython's GIL to each other for every SSH packet: the one
writing, and paramiko's transport thread, which reads the server's acknowledgements and window
updates. When they run on different cores, each hand-over wakes the other core and either thread can
be descheduled while it holds the GIL, stalling the other. On the same core the hand-over is a plain
switch. Measured with bench/export_upload.py (545 MB over loopback to an sshd on the same 2-core
machine, so the freed core also serves sshd): 216 -> 277-295 MB/s, and the client's own CPU time
1.96 -> 1.6 s, so the saving is in this process, not only room made for the server. Two parallel
uploads: 289 MB/s on one core, 212 spread over both. An upload to a distant server is usually bound
by the network, where this saves CPU rather than time.

`one_core()` narrows only the calling thread's CPU set (Linux applies `sched_setaffinity(0)` to the
calling thread); the threads it starts meanwhile, such as paramiko's transport thread, inherit it.
The set is restored on exit. Uploads running in parallel in one process share its one GIL, so they
share one core too: the core the first of them was running on when it started (the scheduler's own
choice, so separate processes rarely pile onto the same core), kept until no upload runs. It does
nothing where `os.sched_setaffinity` is missing or refused, where one core is allowed, on a Python
without a GIL, or with `KLAVIYO_SYNC_UPLOAD_ANY_CORE=1`: for a host whose cores are busy with
other work, where a pinned upload cannot move away from a loaded core.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

log = logging.getLogger(__name__)

ANY_CORE_ENV = "KLAVIYO_SYNC_UPLOAD_ANY_CORE"
_lock = threading.Lock()
_core: int | None = None  # the core the running uploads share
_running = 0  # uploads inside one_core()


def _current_core() -> int | None:
    """The core the calling thread runs on now (field 39 of /proc/thread-self/stat), if readable."""
    try:
        stat = Path("/proc/thread-self/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[36])
    except (OSError, IndexError, ValueError):
        return None


def _enter(allowed: set[int]) -> int:
    """Count one more running upload; the core they share (chosen by the first one)."""
    global _core, _running
    with _lock:
        if _running == 0 or _core not in allowed:
            current = _current_core()
            _core = current if current in allowed else max(allowed)
        _running += 1
        return _core


def _leave() -> None:
    global _running
    with _lock:
        _running -= 1


def _wanted() -> set[int] | None:
    """The calling thread's CPU set when pinning applies, else None."""
    if not hasattr(os, "sched_setaffinity") or os.environ.get(ANY_CORE_ENV, "").strip() not in ("", "0"):
        return None
    if not getattr(sys, "_is_gil_enabled", lambda: True)():
        return None
    try:
        allowed = os.sched_getaffinity(0)
    except OSError:
        return None
    return allowed if len(allowed) > 1 else None


@contextmanager
def one_core() -> Iterator[int | None]:
    """Run the calling thread (and the threads it starts) on one core; yields the core, or None
    when nothing was changed."""
    allowed = _wanted()
    if allowed is None:
        yield None
        return
    shared = _enter(allowed)
    pinned = True
    try:
        os.sched_setaffinity(0, {shared})
    except OSError as exc:  # a sandbox that forbids it, or the CPU set changed meanwhile
        log.debug("uploads stay on any core: sched_setaffinity refused (%s)", exc)
        pinned = False
    try:
        yield shared if pinned else None
    finally:
        _leave()
        if pinned:
            with suppress(OSError):
                os.sched_setaffinity(0, allowed)
