"""sshd killed or stalled (SIGSTOP) mid-upload: no file under the final name; a retry resumes and
completes byte-identical. A server refusing to resume gets the file again from byte 0."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import psutil
import pytest

from loader.errors import SyncError
from loader.upload.history import ImportHistory
from loader.upload.settings import SftpSettings
from loader.upload.uploader import ByteCallback, UploadOptions, upload_files
from tests.fixtures.sshd import ClientKeys, SshdServer

pytestmark = pytest.mark.sftp
SIZE = 12 * 1024 * 1024
HALFWAY = 3 * 1024 * 1024


def _wait_for_partial(server: SshdServer, name: str, at_least: int) -> int:
    """Poll the server's temporary file until it holds `at_least` bytes (the server really wrote them)."""
    partial = server.remote / "profiles" / f".{name}.part"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if partial.exists() and partial.stat().st_size >= at_least:
            return partial.stat().st_size
        time.sleep(0.01)
    raise AssertionError(f"{partial} never reached {at_least} bytes")


def _setup(server: SshdServer, keys: ClientKeys, tmp_path: Path) -> tuple[SftpSettings, Path]:
    known = tmp_path / "known_hosts"
    known.write_text(server.known_hosts_line())
    local = tmp_path / "big.csv"
    local.write_bytes(b"\n".join(os.urandom(512).hex().encode() for _ in range(SIZE // 1025)))
    return SftpSettings(server.host, server.user, keys.key("ed25519"), known, port=server.port), local


def test_dropped_connection_retried_and_resumed(
    sftp_remote: SshdServer, sftp_keys: ClientKeys, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings, local = _setup(sftp_remote, sftp_keys, tmp_path)
    killed: list[int] = []

    def on_bytes(path: Path, sent: int) -> None:
        if not killed:
            _wait_for_partial(sftp_remote, path.name, HALFWAY)
            killed.append(sftp_remote.kill_sessions())

    history = ImportHistory(tmp_path / "h.jsonl")
    with caplog.at_level(logging.WARNING, logger="loader.upload"):
        [record] = upload_files(settings, [local], UploadOptions("profiles", backoff=0.1), history, on_bytes)
    assert killed and killed[0] >= 1
    assert record.status == "completed" and record.resumed_from >= HALFWAY
    assert (sftp_remote.remote / "profiles" / "big.csv").read_bytes() == local.read_bytes()
    assert not (sftp_remote.remote / "profiles" / ".big.csv.part").exists()
    messages = [r.getMessage() for r in caplog.records]
    assert any("failed" in m and "attempt 1/5, retrying in" in m for m in messages)
    assert any(m.startswith("resuming big.csv at byte") for m in messages)


def test_server_down_leaves_no_final_file_then_rerun_completes(
    sftp_remote: SshdServer, sftp_keys: ClientKeys, tmp_path: Path
) -> None:
    settings, local = _setup(sftp_remote, sftp_keys, tmp_path)
    history = ImportHistory(tmp_path / "h.jsonl")

    def kill_server(path: Path, sent: int) -> None:
        if sftp_remote.process is not None:
            _wait_for_partial(sftp_remote, path.name, HALFWAY)
            sftp_remote.stop()

    options = UploadOptions("profiles", attempts=2, backoff=0.05)
    with pytest.raises(SyncError, match=r"^upload of big.csv failed after 2 attempt\(s\): "):
        upload_files(settings, [local], options, history, kill_server)
    folder = sftp_remote.remote / "profiles"
    assert not (folder / "big.csv").exists()
    partial = (folder / ".big.csv.part").stat().st_size
    assert HALFWAY <= partial < SIZE
    [failed] = history.records()
    assert failed.status == "incomplete" and "after 2 attempt(s)" in (failed.error or "")
    # the bytes sent before the server went: at least what it stored, at most the file
    assert failed.sent_bytes is not None and partial <= failed.sent_bytes <= SIZE

    sftp_remote.start()
    [record] = upload_files(settings, [local], options, history)
    assert record.status == "completed" and record.resumed_from == partial
    assert (folder / "big.csv").read_bytes() == local.read_bytes()
    assert [r.status for r in history.records()] == ["incomplete", "completed"]


STALL_SIZE = 8 * 1024 * 1024


def _stall_setup(server: SshdServer, keys: ClientKeys, tmp_path: Path) -> tuple[SftpSettings, Path]:
    settings, local = _setup(server, keys, tmp_path)
    local.write_bytes(local.read_bytes()[:STALL_SIZE])
    settings.timeout = 2.0
    return settings, local


def _freeze_once(server: SshdServer, frozen: list[object]) -> ByteCallback:
    """A progress callback that SIGSTOPs the sshd session serving the upload once 2 MiB are on disk."""

    def on_bytes(path: Path, sent: int) -> None:
        if not frozen:
            _wait_for_partial(server, path.name, 2 * 1024 * 1024)
            frozen.extend(server.freeze_sessions())

    return on_bytes


def test_stalled_server_times_out_clearly_then_rerun_completes(
    sftp_remote: SshdServer, sftp_keys: ClientKeys, tmp_path: Path
) -> None:
    settings, local = _stall_setup(sftp_remote, sftp_keys, tmp_path)
    history = ImportHistory(tmp_path / "h.jsonl")
    frozen: list[object] = []
    started = time.monotonic()
    with pytest.raises(SyncError) as raised:
        upload_files(
            settings,
            [local],
            UploadOptions("profiles", attempts=1),
            history,
            _freeze_once(sftp_remote, frozen),
        )
    assert frozen and time.monotonic() - started < 20
    assert str(raised.value).startswith(
        "upload of big.csv failed after 1 attempt(s): TimeoutError: no answer from the server for 2 s "
        f"while writing profiles/.big.csv.part ({settings.address}) - check that the server is reachable"
    )
    folder = sftp_remote.remote / "profiles"
    assert not (folder / "big.csv").exists()
    assert 0 < (folder / ".big.csv.part").stat().st_size < STALL_SIZE

    psutil.wait_procs(sftp_remote.thaw_sessions(), timeout=10)  # the stalled session notices and exits
    [record] = upload_files(settings, [local], UploadOptions("profiles", attempts=1), history)
    assert record.status == "completed" and record.resumed_from > 0
    assert (folder / "big.csv").read_bytes() == local.read_bytes()


def test_stall_is_retried_with_backoff_and_resumed(
    sftp_remote: SshdServer, sftp_keys: ClientKeys, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings, local = _stall_setup(sftp_remote, sftp_keys, tmp_path)
    frozen: list[object] = []
    options = UploadOptions("profiles", attempts=3, backoff=0.1)
    with caplog.at_level(logging.WARNING, logger="loader.upload"):
        [record] = upload_files(
            settings, [local], options, ImportHistory(tmp_path / "h.jsonl"), _freeze_once(sftp_remote, frozen)
        )
    assert frozen  # the first session stays stopped: the retry used a new connection
    assert record.status == "completed" and record.resumed_from > 0
    assert (sftp_remote.remote / "profiles" / "big.csv").read_bytes() == local.read_bytes()
    messages = [r.getMessage() for r in caplog.records]
    assert any(
        "(TimeoutError: no answer from the server for 2 s" in m and "attempt 1/3" in m for m in messages
    )


def test_resume_refused_by_server_restarts_from_byte_zero(
    sshd_file_modes: SshdServer, sftp_keys: ClientKeys, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A server refusing the `r+b` open of the partial file (here: a read-only `.part` on a server
    whose SFTP process is not root) gets it deleted and the file sent again from byte 0."""
    settings, local = _setup(sshd_file_modes, sftp_keys, tmp_path)
    local.write_bytes(local.read_bytes()[: 1024 * 1024])
    partial = sshd_file_modes.remote / "profiles" / f".{local.name}.part"
    partial.write_bytes(local.read_bytes()[: 300 * 1024])
    sshd_file_modes.owned_by_sftp_user(partial).chmod(0o444)
    with caplog.at_level(logging.WARNING, logger="loader.upload"):
        [record] = upload_files(
            settings, [local], UploadOptions("profiles", attempts=1), ImportHistory(tmp_path / "h.jsonl")
        )
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("resuming big.csv at byte 307200") for m in messages)
    assert any(
        "refused to resume profiles/.big.csv.part at byte 307200 (PermissionError" in m for m in messages
    )
    assert record.status == "completed" and record.resumed_from == 0
    assert (sshd_file_modes.remote / "profiles" / "big.csv").read_bytes() == local.read_bytes()
    assert not partial.exists()
