"""A real upload runs its writing thread and paramiko's transport thread on one core (cpu_affinity.py)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import paramiko
import pytest

from loader.upload.history import ImportHistory
from loader.upload.settings import SftpSettings
from loader.upload.uploader import UploadOptions, upload_files
from tests.fixtures.sshd import ClientKeys, SshdServer

pytestmark = [
    pytest.mark.sftp,
    pytest.mark.skipif(
        not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
        reason="needs Linux with at least two allowed cores",
    ),
]


def _allowed_cores(thread: threading.Thread) -> set[int]:
    """The CPU set of any thread of this process, from /proc (Cpus_allowed_list, e.g. `0-1,3`)."""
    status = Path(f"/proc/self/task/{thread.native_id}/status").read_text()
    field = "Cpus_allowed_list:"
    listed = next(line[len(field) :].strip() for line in status.splitlines() if line.startswith(field))
    cores: set[int] = set()
    for part in listed.split(","):
        first, _, last = part.partition("-")
        cores.update(range(int(first), int(last or first) + 1))
    return cores


def test_both_threads_of_each_upload_share_one_core(
    sftp_remote: SshdServer, sftp_keys: ClientKeys, tmp_path: Path
) -> None:
    known = tmp_path / "known_hosts"
    known.write_text(sftp_remote.known_hosts_line())
    key = sftp_keys.key("ed25519")
    settings = SftpSettings(sftp_remote.host, sftp_remote.user, key, known, port=sftp_remote.port)
    files = []
    for name in ("a.csv", "b.csv"):
        files.append(tmp_path / name)
        files[-1].write_bytes(b"email\n" + b"someone@example.com\n" * 600_000)
    seen: list[tuple[set[int], list[set[int]]]] = []
    counting: list[set[int]] = []

    def on_bytes(_path: Path, _sent: int) -> None:  # runs in the uploading thread
        threads = [t for t in threading.enumerate() if t.is_alive()]
        transports = [t for t in threads if isinstance(t, paramiko.Transport)]
        seen.append((_allowed_cores(threading.current_thread()), [_allowed_cores(t) for t in transports]))
        counting.extend(_allowed_cores(t) for t in threads if t.name.startswith("kws-upload-facts"))

    before = os.sched_getaffinity(0)
    history = ImportHistory(tmp_path / "h.jsonl")
    upload_files(settings, files, UploadOptions("profiles", parallel=2), history, on_bytes)
    assert seen
    cores = {frozenset(mine) for mine, _ in seen} | {frozenset(t) for _, ts in seen for t in ts}
    assert len(cores) == 1 and len(next(iter(cores))) == 1  # one core, the same for every thread
    # the rows and sha256 of these manifest-less files are counted beside them, on any core
    assert counting and all(allowed == before for allowed in counting)
    for path in files:
        assert (sftp_remote.remote / "profiles" / path.name).read_bytes() == path.read_bytes()
