"""SFTP settings: from the command line, else dlt config `[export.sftp]`, the passphrase from secrets.

`check_local_setup` proves, once and before any connection, that the known_hosts file exists and
that the private key loads (with its passphrase): those mistakes fail fast instead of per file.

```toml
# .dlt/config.toml
[export.sftp]
host = "sftp.klaviyo.com"
port = 22
user = "XXXXXX_XXXXX"
key_path = "~/.ssh/klaviyo_sftp"
known_hosts = "~/.ssh/known_hosts"      # or host_fingerprint = "SHA256:..."
timeout = 30                            # seconds without an answer before a retry (--timeout)

# .dlt/secrets.toml (or env EXPORT__SFTP__KEY_PASSPHRASE)
[export.sftp]
key_passphrase = "..."
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
import paramiko  # type: ignore[import-untyped]

from loader.errors import SyncError
from loader.upload.keys import load_private_key

SECTION = "export.sftp"
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
        require_known_hosts(settings.known_hosts)
    settings.private_key()


def require_known_hosts(path: Path) -> None:
    """SyncError unless the known_hosts file `path` can be opened."""
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


def _config(key: str) -> Any:
    return dlt.config.get(f"{SECTION}.{key}")


def _required(value: Any, option: str, key: str) -> Any:
    if value in (None, ""):
        raise SyncError(
            f"missing SFTP setting {key}",
            f"{option} or [{SECTION}] {key} in .dlt/config.toml",
            f"pass {option} or set {key} under [{SECTION}]",
        )
    return value


def _path(value: Any) -> Path | None:
    return Path(str(value)).expanduser() if value else None


def resolve_sftp_settings(
    host: str | None = None,
    port: int | None = None,
    user: str | None = None,
    key_path: str | Path | None = None,
    known_hosts: str | Path | None = None,
    host_fingerprint: str | None = None,
    timeout: float | None = None,
) -> SftpSettings:
    """Merge CLI values over config; refuse to run without a way to verify the host key.

    The known_hosts file and the key (with its passphrase) are checked here, once: a mistake fails
    before any connection, retry or import-history entry.
    """
    known = _path(known_hosts or _config("known_hosts"))
    pinned = host_fingerprint or _config("host_fingerprint")
    if known is None and not pinned:
        raise SyncError(
            "no way to verify the server's host key",
            f"--known-hosts / --host-fingerprint or [{SECTION}] known_hosts / host_fingerprint",
            "pass a known_hosts file holding the server's key, or pin its SHA256 fingerprint",
        )
    settings = SftpSettings(
        host=str(_required(host or _config("host"), "--host", "host")),
        user=str(_required(user or _config("user"), "--user", "user")),
        key_path=Path(str(_required(_path(key_path or _config("key_path")), "--key", "key_path"))),
        known_hosts=known,
        host_fingerprint=str(pinned) if pinned else None,
        port=int(_number(port or _config("port") or 22, "port", "e.g. 22")),
        key_passphrase=dlt.secrets.get(f"{SECTION}.key_passphrase", str) or None,
        timeout=_number(timeout or _config("timeout") or DEFAULT_TIMEOUT, "timeout", "seconds, e.g. 30"),
    )
    check_local_setup(settings)
    return settings


def _number(raw: Any, key: str, example: str) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = -1.0
    if value <= 0:
        raise SyncError(f"{key} {raw!r} is not a positive number", f"--{key} or [{SECTION}] {key}", example)
    return value
