"""One `klaviyo-sync upload`: its arguments in, the files sent and the files skipped out.

The files and the folder come from `selection`, the SFTP settings from the arguments over config
(`settings`), the import history from `--history` or config; `uploader` then sends what the history
does not show as already uploaded (all of it with `force`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from loader.upload.history import ImportHistory, ImportRecord, history_path
from loader.upload.selection import select
from loader.upload.settings import resolve_sftp_settings
from loader.upload.uploader import ByteCallback, UploadOptions, upload_files

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
    history_file: str | None = None
    force: bool = False  # upload again files the import history shows as completed


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
    history = ImportHistory(history_path(request.history_file))
    display = progress or (lambda _files: nullcontext(None))
    with display(selection.files) as on_bytes:
        records = upload_files(settings, selection.files, options, history, on_bytes)
    sent = {record.file for record in records}
    return UploadReport(
        sorted(records, key=lambda r: r.remote_path),
        [path for path in selection.files if str(path.resolve()) not in sent],
    )
