"""One verified SFTP connection to Klaviyo's import server (paramiko); the settings it uses are in
settings.py, the transfer is in transfer.py.

- Host keys are always verified: known_hosts (entries `[host]:port` for ports other than 22) with a
  reject-by-default policy, or a pinned `SHA256:` fingerprint. An unknown host is never trusted.
- Fast ciphers first (`aes128-gcm@openssh.com` roughly doubles paramiko's throughput).
- A server that stops answering without closing the connection cannot hang an upload: the SFTP
  channel has a timeout (`SftpSettings.timeout`, `[export.sftp] timeout`, default 30 s) and the
  transport sends keepalives every 15 s; a stall becomes a `TimeoutError`, which the uploader retries.

Temporary names: a file is written as `<folder>/.<name>.part` in the import folder itself (Klaviyo's
server shows only `profiles/` and `events/`, so there is nowhere else to put it; docs/klaviyo-api.md
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
from typing import Any

import paramiko  # type: ignore[import-untyped]

from loader.errors import SyncError
from loader.upload.keys import fingerprint
from loader.upload.settings import SftpSettings, require_known_hosts

log = logging.getLogger(__name__)

PREFERRED_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes256-ctr")
WINDOW_BYTES = 16 * 1024 * 1024
KEEPALIVE_SECONDS = 15


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
        require_known_hosts(settings.known_hosts)
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
