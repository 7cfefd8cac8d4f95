"""One verified SFTP connection and one safe file transfer (paramiko).

- Host keys are always verified: known_hosts (entries `[host]:port` for ports other than 22) with a
  reject-by-default policy, or a pinned `SHA256:` fingerprint. An unknown host is never trusted.
- Fast ciphers first (`aes128-gcm@openssh.com` roughly doubles paramiko's throughput).
- A file goes to `<folder>/.<name>.part`, its size is checked on the server (and its sha256 when the
  server offers the `check-file` extension; OpenSSH does not), then it is renamed to `<folder>/<name>`
  (`posix-rename`, else plain rename): the import folder never sees a partial file under its final
  name. After a dropped connection the transfer resumes from the size of the remote `.part` file,
  once its last bytes are confirmed equal to the local file.
"""

from __future__ import annotations

import hashlib
import logging
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko  # type: ignore[import-untyped]

from loader.errors import SyncError
from loader.export.keys import fingerprint, load_private_key

log = logging.getLogger(__name__)

PREFERRED_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes256-ctr")
WRITE_REQUEST_BYTES = 255 * 1024  # OpenSSH drops the session on SFTP writes over 256 KiB
READ_BLOCK_BYTES = 4 * 1024 * 1024
RESUME_CHECK_BYTES = 64 * 1024
WINDOW_BYTES = 16 * 1024 * 1024


@dataclass
class SftpSettings:
    """Where and how to connect. `key_passphrase` is a secret: never logged, never in repr."""

    host: str
    user: str
    key_path: Path
    known_hosts: Path | None = None
    host_fingerprint: str | None = None
    port: int = 22
    key_passphrase: str | None = field(default=None, repr=False)
    timeout: float = 20.0

    @property
    def address(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"


class _RejectUnlessPinned(paramiko.MissingHostKeyPolicy):
    """Reject every host key not in known_hosts, unless it matches the pinned fingerprint."""

    def __init__(self, settings: SftpSettings) -> None:
        self.settings = settings

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        seen = fingerprint(key.asbytes())
        if self.settings.host_fingerprint and seen == self.settings.host_fingerprint:
            return
        if self.settings.host_fingerprint:
            raise SyncError(
                f"host key of {hostname} is {key.get_name()} {seen}, not the pinned fingerprint",
                "--host-fingerprint / [export.sftp] host_fingerprint",
                "check with the server's owner which key is right; never accept a changed key blindly",
            )
        raise SyncError(
            f"unknown host {hostname}: its key {key.get_name()} {seen} is not in known_hosts",
            str(self.settings.known_hosts or "--known-hosts (none given)"),
            f"verify that fingerprint out of band, then add the key (ssh-keyscan) or pin it with "
            f"--host-fingerprint {seen}",
        )


def _transport_factory(sock: socket.socket, **kwargs: Any) -> paramiko.Transport:
    transport = paramiko.Transport(
        sock, default_window_size=WINDOW_BYTES, default_max_packet_size=32768, **kwargs
    )
    options = transport.get_security_options()
    offered = tuple(options.ciphers)
    options.ciphers = tuple(c for c in PREFERRED_CIPHERS if c in offered) + tuple(
        c for c in offered if c not in PREFERRED_CIPHERS
    )
    return transport


@contextmanager
def connect(settings: SftpSettings) -> Iterator[paramiko.SFTPClient]:
    """An authenticated SFTP session; raises SyncError for trust/auth problems, OSError otherwise."""
    key = load_private_key(settings.key_path, settings.key_passphrase)
    client = paramiko.SSHClient()
    if settings.known_hosts is not None:
        if not settings.known_hosts.is_file():
            raise SyncError(
                "known_hosts file not found", str(settings.known_hosts), "pass --known-hosts FILE"
            )
        client.load_system_host_keys(str(settings.known_hosts))
    client.set_missing_host_key_policy(_RejectUnlessPinned(settings))
    try:
        client.connect(
            settings.host,
            port=settings.port,
            username=settings.user,
            pkey=key,
            timeout=settings.timeout,
            banner_timeout=settings.timeout,
            auth_timeout=settings.timeout,
            allow_agent=False,
            look_for_keys=False,
            transport_factory=_transport_factory,
        )
        yield client.open_sftp()
    except paramiko.BadHostKeyException as exc:
        raise SyncError(
            f"host key mismatch for {settings.host}:{settings.port}: server sent {exc.key.get_name()} "
            f"{fingerprint(exc.key.asbytes())}, known_hosts has {fingerprint(exc.expected_key.asbytes())}",
            str(settings.known_hosts),
            "possible man-in-the-middle: confirm the new key with the server's owner before updating",
        ) from exc
    except paramiko.AuthenticationException as exc:
        raise SyncError(
            f"the server refused key authentication for user {settings.user!r} "
            f"(key {fingerprint(key.asbytes())})",
            f"{settings.address}, --key {settings.key_path}",
            "add this key's .pub in Klaviyo's SFTP settings (check it with `klaviyo-sync check-key`) "
            "and use the username shown there",
        ) from exc
    finally:
        client.close()


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


def send_file(
    sftp: paramiko.SFTPClient, local: Path, folder: str, on_bytes: Callable[[int], None] | None = None
) -> Transfer:
    """Upload `local` into `folder` through a temporary name, verify it, rename it into place.

    `on_bytes(n)` is called with the number of bytes of the file sent so far (resumed bytes included).
    """
    final, temp = remote_paths(local, folder)
    transfer = Transfer(final, temp, local.stat().st_size)
    transfer.resumed_from = _resume_offset(sftp, local, temp, transfer.size)
    if transfer.resumed_from:
        log.warning("resuming %s at byte %d of %d", local.name, transfer.resumed_from, transfer.size)
        if on_bytes:
            on_bytes(transfer.resumed_from)
    _write(sftp, local, temp, transfer.resumed_from, on_bytes)
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


def _write(
    sftp: paramiko.SFTPClient, local: Path, temp: str, offset: int, on_bytes: Callable[[int], None] | None
) -> None:
    with sftp.open(temp, "r+b" if offset else "wb") as remote, local.open("rb") as source:
        remote.MAX_REQUEST_SIZE = WRITE_REQUEST_BYTES
        remote.set_pipelined(True)
        remote.seek(offset)
        source.seek(offset)
        while block := source.read(READ_BLOCK_BYTES):
            remote.write(block)
            offset += len(block)
            if on_bytes:
                on_bytes(offset)


def _checksum_matches(sftp: paramiko.SFTPClient, local: Path, temp: str) -> bool:
    """True when the server confirmed the sha256; False when it cannot (OpenSSH has no check-file)."""
    try:
        with sftp.open(temp, "rb") as remote:
            remote_digest = remote.check("sha256", 0, 0, 0)
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
