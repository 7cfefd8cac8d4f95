"""One `klaviyo-sync upload`: its arguments in, the files sent and the files skipped out.

The files and the folder come from `selection`, the SFTP settings from the arguments over config
(`settings`); the import history is the warehouse ledger's `klaviyo_sync_imports` (of `--destination`,
for `--account`), into which the previous release's JSON Lines file (`[export] history_path`, else
./klaviyo_sync_imports.jsonl) is migrated first, or a JSON Lines file named by `--history`.
`uploader` then sends what the history does not show as already uploaded (all of it with `force`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from loader.secrets import redact
from loader.sync_observer import DEFAULT_ACCOUNT
from loader.upload.history import History, ImportHistory, ImportRecord, history_path
from loader.upload.selection import select
from loader.upload.settings import resolve_sftp_settings
from loader.upload.uploader import ByteCallback, UploadOptions, upload_files

log = logging.getLogger(__name__)

# Shows the progress of the files it is given while its context is open, through the callback.
ProgressDisplay = Callable[[Sequence[Path]], AbstractContextManager[ByteCallback | None]]


@dataclass(frozen=True)
class UploadRequest:
    """The upload as asked for: None means "not given" (config or the manifests decide)."""

    files: tuple[Path, ...]
    folder: str | None = None
    host: str | None = None
    port: int | None = None
    user: str | None = None
    key_path: str | None = None
    known_hosts: str | None = None
    host_fingerprint: str | None = None
    timeout: float | None = None
    parallel: int = 4
    retries: int = 4  # per file, after the first attempt
    history_file: str | None = None  # a JSON Lines history instead of the ledger
    force: bool = False  # upload again files the import history shows as completed
    destination: str | None = None  # whose ledger holds the import history
    account: str = DEFAULT_ACCOUNT  # the configured account whose Klaviyo import this is


@contextmanager
def open_history(history_file: str | None, destination: str | None, account: str) -> Iterator[History]:
    """The JSON Lines file named, else the ledger's history (the old file migrated into it first);
    on leaving, every record is in the ledger."""
    if history_file:
        yield ImportHistory(history_path(history_file))
        return
    from loader.destination import resolve_pipelines_dir
    from loader.ledger.store import LedgerStore
    from loader.upload.history_migration import migrate_history
    from loader.upload.ledger_history import LedgerHistory

    store = LedgerStore.open(destination, resolve_pipelines_dir())
    migrate_history(history_path(None), store, account)
    history = LedgerHistory(store, account)
    try:
        yield history
    except BaseException:
        try:  # the upload's own error is the one to report; the ledger's is logged
            history.flush()
        except Exception as exc:  # noqa: BLE001
            log.warning("the import history could not be written to the ledger: %s", redact(str(exc)))
        raise
    else:
        history.flush()
    finally:
        history.close()


@dataclass(frozen=True)
class UploadReport:
    uploaded: list[ImportRecord]  # by remote path
    skipped: list[Path]  # already uploaded (see the import history), in the order given


def run_upload(request: UploadRequest, progress: ProgressDisplay | None = None) -> UploadReport:
    """Select, check the local set-up, upload; a SyncError for the first mistake or failed file."""
    selection = select(request.files, request.folder)
    settings = resolve_sftp_settings(
        request.host,
        request.port,
        request.user,
        request.key_path,
        request.known_hosts,
        request.host_fingerprint,
        request.timeout,
    )
    options = UploadOptions(
        selection.folder, parallel=request.parallel, attempts=request.retries + 1, force=request.force
    )
    display = progress or (lambda _files: nullcontext(None))
    with (
        open_history(request.history_file, request.destination, request.account) as history,
        display(selection.files) as on_bytes,
    ):
        records = upload_files(settings, selection.files, options, history, on_bytes)
    sent = {record.file for record in records}
    return UploadReport(
        sorted(records, key=lambda r: r.remote_path),
        [path for path in selection.files if str(path.resolve()) not in sent],
    )
