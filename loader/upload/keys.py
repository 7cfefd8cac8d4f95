"""SSH keys for Klaviyo's SFTP import: generate a key pair, check a public key before pasting it.

Klaviyo accepts keys starting with `ssh-rsa`, `ecdsa-sha2-*`, `ssh-ed25519`, `sk-ecdsa-sha2-*` or
`sk-ssh-ed25519` (docs/klaviyo-api.md §4.1, [H1]). Keys are generated with `cryptography` (paramiko's
own dependency; paramiko cannot generate ed25519 keys) in OpenSSH format and loaded back with
paramiko to prove they work for the upload.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import socket
import struct
from dataclasses import dataclass
from pathlib import Path

import paramiko  # type: ignore[import-untyped]
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from loader.errors import SyncError

KEY_TYPES = ("ed25519", "rsa", "ecdsa")
ACCEPTED_PREFIXES = ("ssh-rsa", "ecdsa-sha2-", "ssh-ed25519", "sk-ecdsa-sha2-", "sk-ssh-ed25519")
MIN_RSA_BITS = 2048


@dataclass(frozen=True)
class KeyCheck:
    """The verdict on one public key: accepted or not, and why."""

    ok: bool
    reason: str
    key_type: str = ""
    bits: int | None = None
    fingerprint: str = ""
    fix: str = "generate an accepted key with `klaviyo-sync keygen --type ed25519 --out PATH`"


def fingerprint(blob: bytes) -> str:
    """OpenSSH's `SHA256:...` fingerprint of a public key blob."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


PrivateKey = ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def _new_key(key_type: str, rsa_bits: int) -> PrivateKey:
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    if key_type == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1())
    raise SyncError(f"unknown key type {key_type!r}", "--type", f"use one of: {', '.join(KEY_TYPES)}")


def generate_key(
    out: Path,
    key_type: str = "ed25519",
    *,
    passphrase: str | None = None,
    comment: str | None = None,
    rsa_bits: int = 4096,
    overwrite: bool = False,
) -> str:
    """Write the private key to `out` (mode 0600) and `out.pub`; return the public line."""
    public_path = out.with_name(out.name + ".pub")
    for path in (out, public_path):
        if path.exists() and not overwrite:
            raise SyncError("key file already exists", str(path), "choose another --out, or pass --force")
    key = _new_key(key_type, rsa_bits)
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, encryption)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    line = f"{public.decode()} {comment or _default_comment()}"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private)
    public_path.write_text(line + "\n", encoding="ascii")
    load_private_key(out, passphrase)  # proves paramiko can use it for the upload
    return line


def _default_comment() -> str:
    return f"klaviyo-sync@{socket.gethostname()}"


def load_private_key(path: Path, passphrase: str | None = None) -> paramiko.PKey:
    """The private key for the upload, with a clear error when it is missing, locked or unreadable."""
    try:
        return paramiko.PKey.from_path(path, password=passphrase.encode() if passphrase else None)  # type: ignore[arg-type]
    except FileNotFoundError as exc:
        raise SyncError("private key not found", str(path), "pass --key (see `klaviyo-sync keygen`)") from exc
    except (paramiko.PasswordRequiredException, TypeError) as exc:
        raise SyncError(
            "the private key is encrypted and no passphrase was given",
            str(path),
            "set export.sftp.key_passphrase in .dlt/secrets.toml or EXPORT__SFTP__KEY_PASSPHRASE",
        ) from exc
    except (paramiko.SSHException, ValueError, OSError) as exc:
        if passphrase and _encrypted(path):
            raise SyncError(
                "wrong passphrase for the private key",
                f"{path}, passphrase from export.sftp.key_passphrase",
                "set the key's passphrase in .dlt/secrets.toml [export.sftp] key_passphrase "
                "or EXPORT__SFTP__KEY_PASSPHRASE",
            ) from exc
        raise SyncError(
            f"cannot read the private key ({type(exc).__name__}; wrong passphrase or not an SSH key)",
            str(path),
            "check the passphrase, or generate a new key with `klaviyo-sync keygen`",
        ) from exc


def _encrypted(path: Path) -> bool:
    try:
        paramiko.PKey.from_path(path)
    except (paramiko.PasswordRequiredException, TypeError):
        return True
    except (paramiko.SSHException, ValueError, OSError):
        return False
    return False


def check_public_key(text: str) -> KeyCheck:
    """Whether Klaviyo would accept this public key line, and if not, why."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return KeyCheck(False, "the file is empty")
    joined = "\n".join(lines)
    if "PRIVATE KEY" in joined:
        return KeyCheck(
            False,
            "this is a PRIVATE key: paste only the .pub file, never the private one",
            fix="pass the .pub file (PATH.pub, written next to the private key by `klaviyo-sync keygen`)",
        )
    if joined.startswith("---- BEGIN SSH2 PUBLIC KEY"):
        return KeyCheck(False, "RFC 4716 (SSH2) format: convert it with `ssh-keygen -i -f FILE`")
    if joined.startswith("-----BEGIN"):
        return KeyCheck(False, "PEM format: convert it with `ssh-keygen -i -m PKCS8 -f FILE`")
    if len(lines) > 1:
        return KeyCheck(False, f"{len(lines)} keys in one file: Klaviyo takes one key per entry")
    parts = lines[0].split()
    if len(parts) < 2:
        return KeyCheck(False, "expected `<type> <base64 data> [comment]` on one line")
    return _check_line(parts[0], parts[1])


def check_public_key_file(path: Path) -> KeyCheck:
    """The verdict on the public key in `path` when Klaviyo accepts it; else a SyncError saying why."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SyncError(
            f"cannot read the key file ({type(exc).__name__})", str(path), "pass PATH.pub"
        ) from exc
    verdict = check_public_key(text)
    if not verdict.ok:
        raise SyncError(f"key refused: {verdict.reason}", str(path), verdict.fix)
    return verdict


def _check_line(key_type: str, data: str) -> KeyCheck:
    if "-cert-v01@openssh.com" in key_type:
        return KeyCheck(False, f"{key_type} is a certificate, not a plain key: Klaviyo accepts plain keys")
    if not key_type.startswith(ACCEPTED_PREFIXES):
        why = "DSA keys are obsolete" if key_type == "ssh-dss" else f"type {key_type!r} is refused"
        allowed = "ssh-rsa, ecdsa-sha2-*, ssh-ed25519, sk-ecdsa-sha2-*, sk-ssh-ed25519"
        return KeyCheck(False, f"{why}: Klaviyo accepts only {allowed}", key_type)
    try:
        blob = base64.b64decode(data, validate=True)
        (length,) = struct.unpack(">I", blob[:4])
        embedded = blob[4 : 4 + length].decode("ascii")
    except (binascii.Error, struct.error, UnicodeDecodeError):
        return KeyCheck(False, "the key data is not valid OpenSSH base64 (truncated copy?)", key_type)
    if embedded != key_type:
        return KeyCheck(False, f"the line says {key_type} but the key data is {embedded}", key_type)
    bits = _bits(key_type, blob)
    if key_type == "ssh-rsa" and bits is not None and bits < MIN_RSA_BITS:
        reason = f"RSA key of {bits} bits is too weak: use at least {MIN_RSA_BITS} (or ed25519)"
        return KeyCheck(False, reason, key_type, bits, fingerprint(blob))
    return KeyCheck(True, "accepted", key_type, bits, fingerprint(blob))


def _bits(key_type: str, blob: bytes) -> int | None:
    try:
        return int(paramiko.PKey.from_type_string(key_type, blob).get_bits())
    except Exception:  # noqa: BLE001 - sk-* keys paramiko cannot load: size is not needed for them
        return None
