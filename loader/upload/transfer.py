"""One safe file transfer over an open SFTP session: temporary name, size check, rename.

A file goes to `<folder>/.<name>.part` (why that name is assumed safe: see connection.py), its size is
checked on the server (and its sha256 when the server offers the `check-file` extension; OpenSSH
does not), then it is renamed to `<folder>/<name>` (`posix-rename`, else plain rename): the import
folder never sees a partial file under its final name.

After a dropped connection the transfer resumes from the size of the remote `.part` file, once its
last bytes are confirmed equal to the local file. Resuming opens the `.part` for writing at an
offset (`r+b`, then seek); servers without random-access writes (AWS Transfer Family on S3, which
Klaviyo uses, may refuse it) answer with an error on a live connection: the `.part` is then deleted
and the file sent again from byte 0 instead of failing every retry the same way.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import paramiko  # type: ignore[import-untyped]

from loader.upload.sftp_writes import write_from

log = logging.getLogger(__name__)

READ_BLOCK_BYTES = 4 * 1024 * 1024
RESUME_CHECK_BYTES = 64 * 1024
Progress = Callable[[int], None] | None


@dataclass
class Transfer:
    """What one attempt did: where it started (resume offset) and the remote paths."""

    remote_path: str
    temp_path: str
    size: int
    resumed_from: int = 0
    checksum_verified: bool = False


def remote_paths(local: Path, folder: str) -> tuple[str, str]:
    folder = folder.strip("/")
    return f"{folder}/{local.name}", f"{folder}/.{local.name}.part"


def send_file(sftp: paramiko.SFTPClient, local: Path, folder: str, on_bytes: Progress = None) -> Transfer:
    """Upload `local` into `folder` through a temporary name, verify it, rename it into place.

    `on_bytes(n)` is called with the number of bytes of the file sent so far (resumed bytes included).
    A server that stops answering raises TimeoutError (the connection is closed at once).
    """
    final, temp = remote_paths(local, folder)
    transfer = Transfer(final, temp, local.stat().st_size)
    offset = _resume_offset(sftp, local, temp, transfer.size)
    transfer.resumed_from = _write_resuming(sftp, local, temp, offset, on_bytes)
    remote_size = sftp.stat(temp).st_size
    if remote_size != transfer.size:
        raise OSError(
            f"size check failed for {temp}: {remote_size} bytes on the server, {transfer.size} local"
        )
    transfer.checksum_verified = _checksum_matches(sftp, local, temp)
    _rename(sftp, temp, final)
    return transfer


def _resume_offset(sftp: paramiko.SFTPClient, local: Path, temp: str, size: int) -> int:
    try:
        have = int(sftp.stat(temp).st_size or 0)
    except FileNotFoundError:
        return 0
    if have == 0 or have > size:
        return 0
    check = min(RESUME_CHECK_BYTES, have)
    with sftp.open(temp, "rb") as remote, local.open("rb") as source:
        remote.seek(have - check)
        source.seek(have - check)
        if remote.read(check) != source.read(check):
            log.warning("partial %s differs from the local file: starting again", temp)
            return 0
    return have


def _alive(sftp: paramiko.SFTPClient) -> bool:
    channel = sftp.get_channel()
    return bool(channel is not None and not channel.closed and channel.get_transport().is_active())


def _write_resuming(
    sftp: paramiko.SFTPClient, local: Path, temp: str, offset: int, on_bytes: Progress
) -> int:
    """Write from `offset`; if the server refuses the resumed write on a live connection, start
    again from byte 0. Returns the offset the finished write started at."""
    if offset:
        log.warning("resuming %s at byte %d of %d", local.name, offset, local.stat().st_size)
        if on_bytes:
            on_bytes(offset)
        try:
            _write(sftp, local, temp, offset, on_bytes)
            return offset
        except OSError as exc:
            if isinstance(exc, TimeoutError) or not _alive(sftp):
                raise
            log.warning(
                "the server refused to resume %s at byte %d (%s: %s): deleting it, starting from byte 0",
                temp,
                offset,
                type(exc).__name__,
                exc,
            )
            sftp.remove(temp)
    _write(sftp, local, temp, 0, on_bytes)
    return 0


def _write(sftp: paramiko.SFTPClient, local: Path, temp: str, offset: int, on_bytes: Progress) -> None:
    remote = sftp.open(temp, "r+b" if offset else "wb")
    try:
        with local.open("rb", buffering=0) as source:
            source.seek(offset)
            sent = write_from(sftp, remote.handle, source, offset, temp, on_bytes)
        log.debug(
            "%s: %d writes of up to %d bytes, at most %d waiting for a reply",
            temp,
            sent.requests,
            sent.write_bytes,
            sent.most_in_flight,
        )
        remote.close()
    except TimeoutError as exc:
        waited = sftp.get_channel().gettimeout()
        sftp.get_channel().get_transport().close()  # stalled: no second wait to close the file
        with contextlib.suppress(Exception):
            remote.close()
        raise TimeoutError(f"no answer from the server for {waited:g} s while writing {temp}") from exc
    except BaseException:
        with contextlib.suppress(Exception):
            remote.close()
        raise


def _checksum_matches(sftp: paramiko.SFTPClient, local: Path, temp: str) -> bool:
    """True when the server confirmed the sha256; False when it cannot (OpenSSH has no check-file)."""
    try:
        with sftp.open(temp, "rb") as remote:
            remote_digest = remote.check("sha256", 0, 0, 0)
    except TimeoutError:
        raise
    except OSError:
        return False
    digest = hashlib.sha256()
    with local.open("rb") as source:
        while block := source.read(READ_BLOCK_BYTES):
            digest.update(block)
    if remote_digest != digest.digest():
        sftp.remove(temp)
        raise OSError(f"sha256 mismatch for {temp}: the upload will start again")
    return True


def _rename(sftp: paramiko.SFTPClient, temp: str, final: str) -> None:
    try:
        sftp.posix_rename(temp, final)
    except OSError:
        try:
            sftp.stat(final)
            sftp.remove(final)
        except FileNotFoundError:
            pass
        sftp.rename(temp, final)
