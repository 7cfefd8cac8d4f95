"""keygen writes usable OpenSSH keys; check-key accepts only Klaviyo's key types and says why not."""

from __future__ import annotations

import base64
import stat
import subprocess
from pathlib import Path

import paramiko
import pytest
from click.testing import CliRunner

from loader.cli import main
from loader.errors import SyncError
from loader.upload.keys import check_public_key, generate_key, load_private_key


@pytest.mark.parametrize("kind", ["ed25519", "rsa", "ecdsa"])
def test_keygen_cli_writes_private_0600_and_pub(kind: str, tmp_path: Path) -> None:
    out = tmp_path / f"id_{kind}"
    result = CliRunner().invoke(main, ["keygen", "--type", kind, "--out", str(out), "--bits", "2048"])
    assert result.exit_code == 0, result.output
    public = (tmp_path / f"id_{kind}.pub").read_text().strip()
    assert public in result.stdout and "Paste this public key" in result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_text().startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert check_public_key(public).ok
    # OpenSSH itself derives the same public key from the private one
    derived = subprocess.run(["ssh-keygen", "-y", "-f", str(out)], capture_output=True, text=True, check=True)
    assert derived.stdout.split()[:2] == public.split()[:2]


def test_keygen_refuses_to_overwrite(tmp_path: Path) -> None:
    generate_key(tmp_path / "k")
    with pytest.raises(SyncError, match="key file already exists"):
        generate_key(tmp_path / "k")


def test_passphrase_protected_key(tmp_path: Path) -> None:
    generate_key(tmp_path / "k", passphrase="correct horse")
    assert isinstance(load_private_key(tmp_path / "k", "correct horse"), paramiko.Ed25519Key)
    with pytest.raises(SyncError, match="encrypted and no passphrase"):
        load_private_key(tmp_path / "k")
    with pytest.raises(SyncError, match="wrong passphrase for the private key") as raised:
        load_private_key(tmp_path / "k", "s3cr3t-guess")
    assert "s3cr3t-guess" not in str(raised.value)


def _ssh_keygen(tmp_path: Path, *args: str) -> str:
    path = tmp_path / "made"
    subprocess.run(["ssh-keygen", "-q", "-N", "", "-f", str(path), *args], check=True)
    return (tmp_path / "made.pub").read_text()


def test_check_key_accepts_openssh_ecdsa_384(tmp_path: Path) -> None:
    verdict = check_public_key(_ssh_keygen(tmp_path, "-t", "ecdsa", "-b", "384"))
    assert (
        verdict.ok and verdict.key_type == "ecdsa-sha2-nistp384" and verdict.fingerprint.startswith("SHA256:")
    )


def test_check_key_accepts_security_key_type() -> None:
    blob = (
        b"\x00\x00\x00\x1ask-ssh-ed25519@openssh.com"
        + b"\x00\x00\x00\x20"
        + bytes(32)
        + b"\x00\x00\x00\x04ssh:"
    )
    line = f"sk-ssh-ed25519@openssh.com {base64.b64encode(blob).decode()} me@laptop"
    assert check_public_key(line).ok


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "DSA keys are obsolete: Klaviyo accepts only ssh-rsa"),
        ("ssh-ed25519-cert-v01@openssh.com AAAA", "certificate"),
        ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG", "not valid OpenSSH base64"),
        ("---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n---- END SSH2 PUBLIC KEY ----", "ssh-keygen -i"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbg==\n-----END OPENSSH PRIVATE KEY-----", "PRIVATE key"),
    ],
)
def test_check_key_refusals(text: str, reason: str) -> None:
    verdict = check_public_key(text)
    assert not verdict.ok and reason in verdict.reason


def test_check_key_refuses_mismatched_and_weak_keys(tmp_path: Path) -> None:
    ed = _ssh_keygen(tmp_path, "-t", "ed25519").split()
    assert (
        "the line says ssh-rsa but the key data is ssh-ed25519" in check_public_key(f"ssh-rsa {ed[1]}").reason
    )
    (tmp_path / "made").unlink()
    (tmp_path / "made.pub").unlink()
    weak = check_public_key(_ssh_keygen(tmp_path, "-t", "rsa", "-b", "1024"))
    assert not weak.ok and "1024 bits is too weak" in weak.reason


def test_check_key_cli(tmp_path: Path) -> None:
    generate_key(tmp_path / "good")
    ok = CliRunner().invoke(main, ["check-key", str(tmp_path / "good.pub")])
    assert ok.exit_code == 0 and ok.stdout.startswith("OK: ssh-ed25519 256 bits SHA256:")
    bad = CliRunner().invoke(main, ["check-key", str(tmp_path / "good")])
    assert bad.exit_code == 1
    assert "Error: key refused: this is a PRIVATE key" in bad.stderr and str(tmp_path / "good") in bad.stderr
    assert "- pass the .pub file" in bad.stderr and "generate an accepted key" not in bad.stderr
    assert "BEGIN OPENSSH" not in bad.output


def test_unreadable_private_key_is_not_called_a_wrong_passphrase(tmp_path: Path) -> None:
    (tmp_path / "junk").write_text("not a key\n")
    with pytest.raises(SyncError, match="cannot read the private key"):
        load_private_key(tmp_path / "junk", "any")


def test_keygen_cli_asks_for_a_passphrase(tmp_path: Path) -> None:
    out = tmp_path / "locked"
    args = ["keygen", "--out", str(out), "--passphrase", "--comment", "ops@example"]
    result = CliRunner().invoke(main, args, input="horse battery\nhorse battery\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith(" ops@example") and "horse battery" not in result.stdout
    assert isinstance(load_private_key(out, "horse battery"), paramiko.Ed25519Key)
    with pytest.raises(SyncError, match="encrypted and no passphrase"):
        load_private_key(out)


def test_check_key_of_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    missing = tmp_path / "none.pub"
    result = CliRunner().invoke(main, ["check-key", str(missing)])
    assert result.exit_code == 1
    what = "Error: cannot read the key file (FileNotFoundError)"
    assert result.stderr == f"{what} ({missing}) - pass PATH.pub\n"
