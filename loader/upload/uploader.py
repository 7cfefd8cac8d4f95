"""Upload several files to Klaviyo's `profiles/` or `events/` folder: parallel, retried, recorded.

One thread and one SFTP connection per file (at most `parallel` at once). Connection failures and
drops are retried with bounded exponential backoff (tenacity), each retry logged; a retry resumes
from the partial remote file. Trust and authentication failures are not retried. Every upload is
recorded in the import history (incomplete when it starts or fails, completed once renamed).
"""

from __future__ import annotations

import getpass
import logging
import socket
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import paramiko  # type: ignore[import-untyped]
import tenacity

from loader.errors import SyncError
from loader.secrets import redact
from loader.upload.connection import connect
from loader.upload.cpu_affinity import one_core
from loader.upload.file_facts import FileFacts
from loader.upload.history import COMPLETED, History, ImportRecord
from loader.upload.settings import SftpSettings, check_local_setup
from loader.upload.transfer import Transfer, remote_paths, send_file

log = logging.getLogger(__name__)
FOLDERS = ("profiles", "events")
ByteCallback = Callable[[Path, int], None]  # (file, bytes of it sent so far)


@dataclass
class UploadOptions:
    folder: str
    parallel: int = 4
    attempts: int = 5
    backoff: float = 1.0
    backoff_max: float = 30.0
    force: bool = False  # upload again files the history shows as completed


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, (SyncError, PermissionError, FileNotFoundError)):
        return False
    return isinstance(exc, (OSError, EOFError, paramiko.SSHException))


def upload_files(
    settings: SftpSettings,
    files: Sequence[Path],
    options: UploadOptions,
    history: History,
    on_bytes: ByteCallback | None = None,
) -> list[ImportRecord]:
    """Upload every file; raise a SyncError for the failed ones after all have been tried.

    The local set-up (known_hosts, key, passphrase) is checked once first: a mistake there fails
    before any history entry or connection. One failed file re-raises its own error unchanged.
    """
    if options.folder not in FOLDERS:
        raise SyncError(f"unknown folder {options.folder!r}", "--folder", "use profiles or events")
    for path in files:
        if not path.is_file():
            raise SyncError("file to upload not found", str(path), "check the path (see the export manifest)")
    check_local_setup(settings)
    done: list[ImportRecord] = []
    failed: list[tuple[Path, BaseException]] = []
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="kws-upload-facts") as counting,
        ThreadPoolExecutor(max_workers=max(1, min(options.parallel, len(files)))) as pool,
    ):
        facts = {path: FileFacts.of(path, counting) for path in files}  # non-UTF-8 refused here
        if not options.force:
            files = _not_yet_uploaded(settings, files, options.folder, history, facts)
        futures = {
            pool.submit(upload_one, settings, path, options, history, on_bytes, facts[path]): path
            for path in files
        }
        for future in as_completed(futures):
            try:
                done.append(future.result())
            except Exception as exc:  # noqa: BLE001 - reported together below
                failed.append((futures[future], exc))
    if failed:
        raise _failure(settings, failed, len(files))
    return done


def _failure(settings: SftpSettings, failed: list[tuple[Path, BaseException]], total: int) -> BaseException:
    """One failed file: its own error. Several: a count, the first one's what and where."""
    path, first = failed[0]
    if len(failed) == 1:
        return first
    for other, exc in failed:
        log.error("%s: %s", other.name, redact(str(exc)))
    what = first.what if isinstance(first, SyncError) else f"{type(first).__name__}: {redact(str(first))}"
    where = first.where if isinstance(first, SyncError) else settings.address
    return SyncError(
        f"{len(failed)} of {total} upload(s) failed (each is logged above); first: {path.name}: {what}",
        where,
        "fix the cause and run the same upload again: finished files are in place, partial ones resume",
    )


def _not_yet_uploaded(
    settings: SftpSettings,
    files: Sequence[Path],
    folder: str,
    history: History,
    facts: dict[Path, FileFacts],
) -> list[Path]:
    """Files without a completed upload of the same bytes (size and sha256) to the same place (a
    re-run never imports a finished file twice, a changed file is sent again); skips are logged.
    A file's sha256 is waited for only when the history holds a completed upload of its size."""
    host = f"{settings.host}:{settings.port}"
    completed: dict[tuple[str, str, int], set[str | None]] = {}
    for r in history.records():
        if r.status == COMPLETED and r.host == host:
            completed.setdefault((r.file, r.remote_path, r.bytes), set()).add(r.sha256)
    pending = []
    for path in files:
        remote = remote_paths(path, folder)[0]
        same_place = completed.get((str(path.resolve()), remote, path.stat().st_size))
        if same_place and facts[path].resolved().sha256 in same_place:
            log.warning(
                "%s: already uploaded to %s (see `klaviyo-sync imports`; --force sends it again)",
                path.name,
                remote,
            )
        else:
            pending.append(path)
    return pending


def upload_one(
    settings: SftpSettings,
    local: Path,
    options: UploadOptions,
    history: History,
    on_bytes: ByteCallback | None = None,
    facts: FileFacts | None = None,
) -> ImportRecord:
    """Upload one file with retries, its history entry written at the start and at the end (the
    rows and sha256 of a file without a manifest are counted beside the transfer)."""
    facts = facts or FileFacts.of(local).resolved()
    record = ImportRecord(
        id=uuid.uuid4().hex,
        file=str(local.resolve()),
        remote_path=remote_paths(local, options.folder)[0],
        host=f"{settings.host}:{settings.port}",
        status="incomplete",
        bytes=local.stat().st_size,
        rows=facts.rows,
        started_at=_now(),
        uploaded_by=f"{getpass.getuser()}@{socket.gethostname()} as {settings.user}",
        sha256=facts.sha256,
    )
    history.record(record)
    sent = [0]  # the furthest byte sent (reported every few MB), for the share of an incomplete upload

    def track(path: Path, count: int) -> None:
        sent[0] = max(sent[0], count)
        if on_bytes:
            on_bytes(path, count)

    try:
        transfer = _with_retries(settings, local, options, track)
    except BaseException as exc:
        record.error, record.finished_at, record.sent_bytes = redact(str(exc)), _now(), sent[0]
        history.record(record)
        raise
    facts = facts.resolved()
    record.rows, record.sha256 = facts.rows, facts.sha256
    record.status, record.finished_at, record.resumed_from = COMPLETED, _now(), transfer.resumed_from
    record.sent_bytes = record.bytes
    history.record(record)
    return record


def _with_retries(
    settings: SftpSettings, local: Path, options: UploadOptions, on_bytes: ByteCallback | None
) -> Transfer:
    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "%s: %s to %s failed (%s: %s); attempt %d/%d, retrying in %.1f s",
            local.name,
            "upload",
            settings.address,
            type(exc).__name__,
            redact(str(exc)),
            state.attempt_number,
            options.attempts,
            wait,
        )

    progress = (lambda n: on_bytes(local, n)) if on_bytes else None
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(max(1, options.attempts)),
        wait=tenacity.wait_exponential(multiplier=options.backoff, max=options.backoff_max),
        retry=tenacity.retry_if_exception(_transient),
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        for attempt in retrying:
            with attempt, one_core(), connect(settings) as sftp:  # see cpu_affinity.py
                return _send(sftp, local, options.folder, progress)
    except SyncError:
        raise
    except Exception as exc:
        raise SyncError(
            f"upload of {local.name} failed after {options.attempts} attempt(s): "
            f"{type(exc).__name__}: {redact(str(exc))}",
            settings.address,
            "check that the server is reachable, then run the upload again: it resumes the partial file",
        ) from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _send(
    sftp: paramiko.SFTPClient, local: Path, folder: str, progress: Callable[[int], None] | None
) -> Transfer:
    try:
        return send_file(sftp, local, folder, progress)
    except PermissionError as exc:
        raise SyncError(
            f"permission denied: {exc}", f"remote folder {folder}/", "check the SFTP user's rights"
        ) from exc
    except FileNotFoundError as exc:
        raise SyncError(
            f"remote folder {folder!r} not found ({exc})",
            "--folder",
            "Klaviyo's server has profiles/ and events/",
        ) from exc
