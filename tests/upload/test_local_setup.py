"""Local mistakes (known_hosts, key, passphrase) fail once, up front: no history entry, no retry.
Failed uploads report each error once: one file keeps its own error, several name the first."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from loader.cli import main
from loader.errors import SyncError
from loader.upload.history import ImportHistory
from loader.upload.keys import generate_key
from loader.upload.settings import SftpSettings
from loader.upload.uploader import UploadOptions, upload_files
from tests.fixtures.sshd import free_port

PASSPHRASE = "right-phrase-8d1e"


@pytest.fixture
def local_setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(csv file, passphrase-protected key, known_hosts) with no server listening anywhere."""
    generate_key(tmp_path / "key", passphrase=PASSPHRASE)
    known = tmp_path / "known_hosts"
    known.write_text("")
    csv = tmp_path / "one.csv"
    csv.write_text("Email\na@x.io\n")
    return csv, tmp_path / "key", known


def _upload(tmp_path: Path, csv: Path, key: Path, known: Path) -> tuple[int, str]:
    args = ["upload", str(csv), "--folder", "profiles", "--host", "127.0.0.1", "--port", str(free_port())]
    args += ["--user", "u", "--key", str(key), "--known-hosts", str(known), "--no-progress"]
    result = CliRunner().invoke(main, [*args, "--history", str(tmp_path / "h.jsonl")])
    assert "Traceback" not in result.output
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "no_known_hosts",
            "Error: known_hosts file not readable (FileNotFoundError) ({known}, from --known-hosts",
        ),
        ("no_key", "Error: private key not found ({key}.missing) - pass --key"),
        (
            "wrong_passphrase",
            "Error: wrong passphrase for the private key ({key}, passphrase from export.sftp.key_passphrase)",
        ),
        ("no_passphrase", "Error: the private key is encrypted and no passphrase was given ({key}) - set"),
    ],
)
def test_local_mistakes_fail_fast_without_history(
    case: str,
    expected: str,
    local_setup: tuple[Path, Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    csv, key, known = local_setup
    if case != "no_passphrase":
        monkeypatch.setenv(
            "EXPORT__SFTP__KEY_PASSPHRASE", "wrong-guess-3c" if case == "wrong_passphrase" else PASSPHRASE
        )
    if case == "no_known_hosts":
        known.unlink()
    code, stderr = _upload(tmp_path, csv, key.with_name("key.missing") if case == "no_key" else key, known)
    assert code == 1
    assert stderr.startswith(expected.format(known=known, key=key)), stderr
    assert stderr.count("Error:") == 1 and "wrong-guess-3c" not in stderr and PASSPHRASE not in stderr
    assert not (tmp_path / "h.jsonl").exists()


def test_local_mistakes_checked_before_any_attempt_in_the_library(
    local_setup: tuple[Path, Path, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    csv, key, known = local_setup
    settings = SftpSettings("127.0.0.1", "u", key, known, port=free_port(), key_passphrase="wrong-guess-3c")
    history = ImportHistory(tmp_path / "h.jsonl")
    with (
        caplog.at_level(logging.WARNING),
        pytest.raises(SyncError, match="wrong passphrase for the private key"),
    ):
        upload_files(settings, [csv, csv.with_name("one.csv")], UploadOptions("profiles"), history)
    assert not caplog.records and not history.path.exists()


def test_one_failed_file_keeps_its_own_error(local_setup: tuple[Path, Path, Path], tmp_path: Path) -> None:
    csv, key, known = local_setup
    settings = SftpSettings("127.0.0.1", "u", key, known, port=free_port(), key_passphrase=PASSPHRASE)
    with pytest.raises(SyncError) as raised:
        upload_files(settings, [csv], UploadOptions("profiles", attempts=1), ImportHistory(tmp_path / "h"))
    message = str(raised.value)
    assert message.startswith("upload of one.csv failed after 1 attempt(s): NoValidConnectionsError: ")
    assert message.count(f"({settings.address})") == 1 and message.count(" - ") == 1
    assert "upload(s) failed" not in message


def test_several_failed_files_name_the_first_once(
    local_setup: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    csv, key, known = local_setup
    other = tmp_path / "two.csv"
    other.write_text("Email\nb@x.io\n")
    settings = SftpSettings("127.0.0.1", "u", key, known, port=free_port(), key_passphrase=PASSPHRASE)
    options = UploadOptions("profiles", attempts=1, parallel=1)
    with pytest.raises(SyncError) as raised:
        upload_files(settings, [csv, other], options, ImportHistory(tmp_path / "h"))
    message = str(raised.value)
    assert message.startswith("2 of 2 upload(s) failed (each is logged above); first: ")
    assert ".csv: upload of " in message and "failed after 1 attempt(s): NoValidConnectionsError" in message
    assert message.count(f"({settings.address})") == 1 and message.count(" - ") == 1
