"""The pipelined SFTP write loop (loader/upload/sftp_writes.py) against a real OpenSSH sftp server."""

from __future__ import annotations

import os
import struct
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from loader.upload import sftp_writes
from loader.upload.connection import connect
from loader.upload.settings import SftpSettings
from loader.upload.transfer import send_file
from tests.emulator.helpers import wait_until
from tests.fixtures.sshd import ClientKeys, SshdServer

pytestmark = pytest.mark.sftp


def _settings(server: SshdServer, keys: ClientKeys, tmp_path: Path) -> SftpSettings:
    known = tmp_path / "known_hosts"
    known.write_text(server.known_hosts_line())
    return SftpSettings(server.host, server.user, keys.key("ed25519"), known, port=server.port)


def _random_file(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def _recorded_writes(server: SshdServer) -> list[tuple[int, int]]:
    """(offset, length) of every SSH_FXP_WRITE the client sent, from the server's recording."""
    assert server.requests_path is not None
    stream = server.requests_path.read_bytes() if server.requests_path.exists() else b""
    writes, at = [], 0
    while at + 5 <= len(stream):
        (size,) = struct.unpack_from(">I", stream, at)
        if at + 4 + size > len(stream):
            break  # the rest is still on its way
        if stream[at + 4] == sftp_writes.FXP_WRITE:
            (handle_size,) = struct.unpack_from(">I", stream, at + 9)
            offset, length = struct.unpack_from(">QI", stream, at + 13 + handle_size)
            writes.append((offset, length))
        at += 4 + size
    return writes


def _wait_for_writes(server: SshdServer, total: int) -> list[tuple[int, int]]:
    """The recorded writes once they add up to `total` bytes (tee may still be flushing)."""
    wait_until(lambda: sum(length for _, length in _recorded_writes(server)) >= total)
    return _recorded_writes(server)


def _becomes_true(condition: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_write_size_is_the_servers_own_limit(
    sftp_remote: SshdServer, sftp_keys: ClientKeys, tmp_path: Path
) -> None:
    with connect(_settings(sftp_remote, sftp_keys, tmp_path)) as sftp:
        size = sftp_writes.write_size(sftp)
        assert sftp.stat(".").st_mode  # the session still answers after the extended request
    assert sftp_writes.GUARANTEED_WRITE_BYTES < size <= sftp_writes.MAX_WRITE_BYTES


def test_server_without_limits_gets_writes_every_server_accepts(
    sshd_without_limits: SshdServer, sftp_keys: ClientKeys, tmp_path: Path
) -> None:
    local = _random_file(tmp_path / "nolimits.csv", 5 * 32768 + 1234)
    with connect(_settings(sshd_without_limits, sftp_keys, tmp_path)) as sftp:
        assert sftp_writes.write_size(sftp) == sftp_writes.GUARANTEED_WRITE_BYTES
        send_file(sftp, local, "profiles")
    assert (sshd_without_limits.remote / "profiles" / local.name).read_bytes() == local.read_bytes()
    writes = _wait_for_writes(sshd_without_limits, local.stat().st_size)
    assert writes == [(i * 32768, 32768) for i in range(5)] + [(5 * 32768, 1234)]


def test_writes_beyond_the_in_flight_limit_arrive_whole_and_in_place(
    sftp_remote: SshdServer, sftp_keys: ClientKeys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sftp_writes, "IN_FLIGHT", 2)  # every third write waits for a reply
    monkeypatch.setattr(sftp_writes, "MAX_WRITE_BYTES", 4096)
    local = _random_file(tmp_path / "inflight.csv", 300 * 4096 + 17)
    seen: list[int] = []
    monkeypatch.setattr(sftp_writes, "PROGRESS_BYTES", 64 * 1024)
    with connect(_settings(sftp_remote, sftp_keys, tmp_path)) as sftp:
        remote, path = sftp.open("events/inflight.csv", "wb"), "events/inflight.csv"
        with local.open("rb", buffering=0) as source:
            result = sftp_writes.write_from(sftp, remote.handle, source, 0, path, seen.append)
        remote.close()
    assert (sftp_remote.remote / "events" / local.name).read_bytes() == local.read_bytes()
    assert (result.end, result.requests, result.write_bytes) == (local.stat().st_size, 301, 4096)
    assert 1 <= result.most_in_flight <= 2
    assert seen == sorted(seen) and seen[-1] == local.stat().st_size and len(seen) == 19


def test_a_refused_write_names_the_file_and_offset_and_the_session_goes_on(
    sftp_remote: SshdServer, sftp_keys: ClientKeys, tmp_path: Path
) -> None:
    local = _random_file(tmp_path / "refused.csv", 3 * 1024 * 1024)
    (sftp_remote.remote / "profiles" / "readonly.csv").write_bytes(b"x")
    with connect(_settings(sftp_remote, sftp_keys, tmp_path)) as sftp:
        remote = sftp.open("profiles/readonly.csv", "rb")  # a handle the server will not write through
        with local.open("rb", buffering=0) as source, pytest.raises(OSError) as refused:
            sftp_writes.write_from(sftp, remote.handle, source, 0, "profiles/readonly.csv")
        # every write in flight was answered before the error: nothing more comes on the channel
        assert not _becomes_true(sftp.get_channel().recv_ready, within=0.3)
        remote.close()
        assert sftp.stat("profiles/readonly.csv").st_size == 1
        send_file(sftp, local, "profiles")  # replies to the abandoned writes do not confuse later ones
    # OpenSSH answers a write through a read-only handle with SSH_FX_NO_SUCH_FILE
    assert type(refused.value) is FileNotFoundError
    assert "writing profiles/readonly.csv at byte 0" in str(refused.value)
    assert (sftp_remote.remote / "profiles" / local.name).read_bytes() == local.read_bytes()



def test_a_resumed_upload_refused_in_mid_write_starts_again_on_the_same_session(
    sshd_refusing_writes: SshdServer, sftp_keys: ClientKeys, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    local = _random_file(tmp_path / "big.csv", 2 * 1024 * 1024)
    part = sshd_refusing_writes.remote / "profiles" / f".{local.name}.part"
    part.write_bytes(local.read_bytes()[: 100 * 1024])  # left by a dropped upload
    settings = _settings(sshd_refusing_writes, sftp_keys, tmp_path)
    with connect(settings) as sftp, pytest.raises(OSError) as refused:
        send_file(sftp, local, "profiles")
    # the resumed writes were refused with more in flight; the .part was removed through paramiko on
    # the same session and the upload started again from byte 0, where the server refused it too
    assert "refused to resume" in caplog.text and "at byte 102400" in caplog.text
    assert type(refused.value) is PermissionError
    assert f"writing profiles/.{local.name}.part at byte 0" in str(refused.value)
    assert not (sshd_refusing_writes.remote / "profiles" / local.name).exists()
    assert part.stat().st_size == 0  # created again from byte 0, nothing written
