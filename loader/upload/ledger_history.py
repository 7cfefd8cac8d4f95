"""The import history in the warehouse ledger (`klaviyo_sync_imports`), as the uploader's `History`.

A ledger write is a dlt load (about a second), so records are written by one background thread
that takes every record waiting at once: parallel uploads share their loads. A start record
("Incomplete") is not waited for; a finished one is, before its upload counts as done, so that a
re-run never sends again a file the ledger does not yet show as completed. `flush` waits for
everything recorded so far and raises the first write error.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone

from loader.ledger.records import IMPORT_COMPLETED, IMPORT_INCOMPLETE
from loader.ledger.records import ImportRecord as LedgerImport
from loader.ledger.store import LedgerStore
from loader.sync_observer import DEFAULT_ACCOUNT
from loader.upload.history import COMPLETED, INCOMPLETE, ImportRecord


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def to_ledger(record: ImportRecord, account: str = DEFAULT_ACCOUNT) -> LedgerImport:
    """The ledger row of an upload record (its updated_at: when it last changed, so the same
    record always makes the same row)."""
    started = _moment(record.started_at)
    assert started is not None
    finished = _moment(record.finished_at)
    completed = record.status == COMPLETED
    sent = record.bytes if completed else record.sent_bytes
    share = None if sent is None else (100.0 if not record.bytes else round(100.0 * sent / record.bytes, 1))
    return LedgerImport(
        import_id=record.id, status=IMPORT_COMPLETED if completed else IMPORT_INCOMPLETE, file=record.file,
        imported_at=started, imported_by=record.uploaded_by, row_count=record.rows, rows_sent_pct=share,
        byte_count=record.bytes, folder=record.remote_path.split("/", 1)[0], remote_path=record.remote_path,
        sftp_host=record.host, sha256=record.sha256, finished_at=finished, resumed_from=record.resumed_from,
        error=record.error, account=account, updated_at=finished or started,
    )


def from_ledger(row: LedgerImport) -> ImportRecord:
    """The uploader's view of a ledger row (what a re-run compares)."""
    sent = None if row.rows_sent_pct is None else round(row.byte_count * row.rows_sent_pct / 100.0)
    return ImportRecord(
        id=row.import_id, file=row.file, remote_path=row.remote_path, host=row.sftp_host,
        status=COMPLETED if row.status == IMPORT_COMPLETED else INCOMPLETE, bytes=row.byte_count,
        rows=row.row_count, started_at=_text(row.imported_at) or "", uploaded_by=row.imported_by,
        finished_at=_text(row.finished_at), sha256=row.sha256, resumed_from=row.resumed_from,
        error=row.error, sent_bytes=sent,
    )


class LedgerHistory:
    """The uploader's history, kept in the ledger of one destination; records go under `account`."""

    def __init__(self, store: LedgerStore, account: str = DEFAULT_ACCOUNT) -> None:
        self.store = store
        self.account = account
        self._lock = threading.Lock()
        self._waiting: list[tuple[LedgerImport, Future[None]]] = []
        self._all: list[Future[None]] = []
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kws-imports-ledger")

    def record(self, record: ImportRecord) -> None:
        done: Future[None] = Future()
        with self._lock:
            self._waiting.append((to_ledger(record, self.account), done))
            self._all.append(done)
            if len(self._waiting) == 1:
                self._writer.submit(self._write_waiting)
        if record.status == COMPLETED:
            done.result()

    def _write_waiting(self) -> None:
        with self._lock:
            batch, self._waiting = self._waiting, []
        try:
            self.store.write([row for row, _ in batch])
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for these records
            for _, done in batch:
                done.set_exception(exc)
            return
        for _, done in batch:
            done.set_result(None)

    def flush(self) -> None:
        """Wait until everything recorded is in the ledger; the first write error, if any."""
        with self._lock:
            pending = list(self._all)
        for done in pending:
            done.result()

    def records(self) -> list[ImportRecord]:
        """Every account's uploads, as in the JSON Lines history: a re-run compares the SFTP server,
        the remote path and the bytes, which tell accounts apart as before."""
        self.flush()
        return [from_ledger(row) for row in self.store.imports()]

    def close(self) -> None:
        self._writer.shutdown(wait=True)
