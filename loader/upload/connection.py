"""One verified SFTP connection to Klaviyo's import server (paramiko); the transfer is in transfer.py.

- Host keys are always verified: known_hosts (entries `[host]:port` for ports other than 22) with a
  reject-by-default policy, or a pinned `SHA256:` fingerprint. An unknown host is never trusted.
- Fast ciphers first (`aes128-gcm@openssh.com` roughly doubles paramiko's throughput).
- A server that stops answering without closing the connection cannot hang an upload: the SFTP
  channel has a timeout (`SftpSettings.timeout`, `[export.sftp] timeout`, default 30 s) and the
  transport sends keepalives every 15 s; a stall becomes a `TimeoutError`, which the uploader retries.
- `check_local_setup` proves, once and before any connection, that the known_hosts file exists and
  that the private key loads (with its passphrase): those mistakes fail fast instead of per file.

Temporary names: a file is written as `<folder>/.<name>.part` in the import folder itself (Klaviyo's
server shows only `profiles/` and `events/`, so there is nowhere else to put it; klaviyo-facts.md
§4.1), then renamed to `<folder>/<name>`. This assumes Klaviyo ingests only finished `.csv` files and
ignores a dot-file ending in `.part`: §4.1 says "CSVs placed into the events folder will generate
Klaviyo events" but does not state what happens to other names, so it is an assumption, not a
documented guarantee.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko  # type: ignore[import-untyped]

from loader.errors import SyncError
from loader.upload.keys import fingerprint, load_private_key

log = logging.getLogger(__name__)

PREFERRED_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes256-ctr")
WINDOW_BYTES = 16 * 1024 * 1024
KEEPALIVE_SECONDS = 15
DEFAULT_TIMEOUT = 30.0


@dataclass
class SftpSettings:
    """Where and how to connect. `key_passphrase` is a secret: never logged, never in repr.

    `timeout` bounds the connection set-up and every wait for the server during a transfer.
    """

    host: str
    user: str
    key_path: Path
    known_hosts: Path | None = None
    host_fingerprint: str | None = None
    port: int = 22
    key_passphrase: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    _key: paramiko.PKey | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def address(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"

    def private_key(self) -> paramiko.PKey:
        """The client key, loaded once (SyncError when missing, locked or a wrong passphrase)."""
        if self._key is None:
            self._key = load_private_key(self.key_path, self.key_passphrase)
        return self._key


def check_local_setup(settings: SftpSettings) -> None:
    """Fail fast, before any connection: the known_hosts file is readable and the key loads."""
    if settings.known_hosts is not None:
        _require_known_hosts(settings.known_hosts)
    settings.private_key()


def _require_known_hosts(path: Path) -> None:
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise SyncError(
            f"known_hosts file not readable ({type(exc).__name__})",
            f"{path}, from --known-hosts or [export.sftp] known_hosts",
            "pass the file holding the server's host key (verify its fingerprint, then ssh-keyscan it), "
            "or pin the key with --host-fingerprint",
        ) from exc


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


def _open_sftp(transport: paramiko.Transport, timeout: float) -> paramiko.SFTPClient:
    """The SFTP channel, with `timeout` on every later wait; a server silent during the set-up
    gets its connection closed by a timer (paramiko's subsystem request has no timeout)."""
    guard = threading.Timer(timeout, transport.close)
    guard.daemon = True
    guard.start()
    try:
        channel = transport.open_session(timeout=timeout)
        channel.settimeout(timeout)
        channel.invoke_subsystem("sftp")
        return paramiko.SFTPClient(channel)
    except (EOFError, paramiko.SSHException) as exc:
        if not guard.is_alive():
            raise TimeoutError(f"no answer from the server for {timeout:g} s opening SFTP") from exc
        raise
    finally:
        guard.cancel()


@contextmanager
def connect(settings: SftpSettings) -> Iterator[paramiko.SFTPClient]:
    """An authenticated SFTP session; raises SyncError for trust/auth problems, OSError otherwise."""
    key = settings.private_key()
    client = paramiko.SSHClient()
    if settings.known_hosts is not None:
        _require_known_hosts(settings.known_hosts)
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
            channel_timeout=settings.timeout,
            allow_agent=False,
            look_for_keys=False,
            transport_factory=_transport_factory,
        )
        transport = client.get_transport()
        transport.set_keepalive(KEEPALIVE_SECONDS)
        yield _open_sftp(transport, settings.timeout)
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
