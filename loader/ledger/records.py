"""The rows of the ledger tables, as plain dataclasses (one per table)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timezone


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class RunRecord:
    """One object's share of one sync attempt (`klaviyo_sync_runs`, merged on run_id + object)."""

    run_id: str
    object: str
    kind: str
    status: str
    attempt: int
    started_at: datetime
    trigger: str = "manual"
    ended_at: datetime | None = None
    rows_extracted: int = 0
    rows_loaded: int = 0
    cursor_from: datetime | None = None
    cursor_to: datetime | None = None
    progress_pct: float | None = None
    complete_until: datetime | None = None
    freshness_seconds: float | None = None
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    updated_at: datetime = field(default_factory=utc_now)


@dataclass
class ErrorRecord:
    """One error of a run (`klaviyo_sync_errors`, append only); texts are already redacted."""

    run_id: str
    object: str | None
    attempt: int
    summary: str
    code: str
    external_message: str
    occurred_at: datetime = field(default_factory=utc_now)


@dataclass
class ObjectControl:
    """The user's switches for one object (`klaviyo_sync_objects`, merged on object)."""

    object: str
    paused: bool = False
    disabled: bool = False
    updated_at: datetime = field(default_factory=utc_now)


@dataclass
class ScheduleRecord:
    """The scheduler's announced next run (`klaviyo_sync_schedule`, merged on scheduler_id)."""

    scheduler_id: str
    every_seconds: float
    state: str
    next_run_at: datetime | None = None
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    updated_at: datetime = field(default_factory=utc_now)
