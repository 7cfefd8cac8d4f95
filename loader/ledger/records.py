"""The rows of the ledger tables, as plain dataclasses (one per table)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timezone

from loader.sync_observer import DEFAULT_ACCOUNT, Unit


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class RunRecord:
    """One account's object's share of one sync attempt (`klaviyo_sync_runs`, merged on run_id +
    account + object). Rows of a ledger written before accounts existed read as account "default"."""

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
    account: str = DEFAULT_ACCOUNT
    account_id: str | None = None  # Klaviyo's id of the account, once known

    @property
    def unit(self) -> Unit:
        return Unit(self.account, self.object)


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
    account: str | None = DEFAULT_ACCOUNT  # None: a run-level error no single account is to blame for
    account_id: str | None = None


@dataclass
class ObjectControl:
    """The user's switches for one account's object (`klaviyo_sync_objects`, merged on account +
    object). Switches set before accounts existed read as account "default"."""

    object: str
    paused: bool = False
    disabled: bool = False
    updated_at: datetime = field(default_factory=utc_now)
    account: str = DEFAULT_ACCOUNT
    account_id: str | None = None

    @property
    def unit(self) -> Unit:
        return Unit(self.account, self.object)


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


IMPORT_COMPLETED = "Completed"  # Klaviyo's UI: Status "Completed or incomplete."
IMPORT_INCOMPLETE = "Incomplete"


@dataclass
class ImportRecord:
    """One file sent to Klaviyo's SFTP import (`klaviyo_sync_imports`, merged on import_id): the
    columns of Klaviyo's "recent imports" list (status, rows, share of rows sent, import date,
    imported by, file) and what a re-run needs (where it went, its size and sha256)."""

    import_id: str
    status: str  # IMPORT_COMPLETED or IMPORT_INCOMPLETE
    file: str  # the local file's absolute path
    imported_at: datetime  # when the upload started ("Import date")
    imported_by: str  # user@machine as the SFTP user ("Imported by")
    row_count: int | None = None  # data rows in the file (None: not counted)
    rows_sent_pct: float | None = None  # share of the file sent (by bytes; rows go in order)
    byte_count: int = 0
    folder: str = ""  # profiles or events
    remote_path: str = ""
    sftp_host: str = ""  # host:port of the SFTP server
    sha256: str | None = None
    finished_at: datetime | None = None
    resumed_from: int = 0  # byte offset a retry resumed at
    error: str | None = None  # redacted
    account: str = DEFAULT_ACCOUNT  # the configured account whose Klaviyo import this went to
    account_id: str | None = None
    updated_at: datetime = field(default_factory=utc_now)
