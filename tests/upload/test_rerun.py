"""Re-runs: a finished file is not imported twice, a changed one is; a manifest's kind picks the folder."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from loader.cli import main
from loader.export.exporter import ExportOptions, export
from loader.export.query import Source
from loader.upload.history import ImportHistory
from tests.fixtures.sshd import ClientKeys, SshdServer

pytestmark = pytest.mark.sftp


def _cli(server: SshdServer, keys: ClientKeys, tmp_path: Path) -> list[str]:
    known = tmp_path / "known_hosts"
    known.write_text(server.known_hosts_line())
    args = ["--host", server.host, "--port", str(server.port), "--user", server.user, "--no-progress"]
    args += ["--key", str(keys.key("rsa")), "--known-hosts", str(known)]
    return [*args, "--history", str(tmp_path / "h.jsonl")]


def test_rerun_skips_completed_files_unless_forced(
    sftp_remote: SshdServer, sftp_keys: ClientKeys, tmp_path: Path
) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("Email\na@x.io\n")
    second.write_text("Email\nb@x.io\n")
    args = ["upload", str(first), "--folder", "profiles", *_cli(sftp_remote, sftp_keys, tmp_path)]
    runner = CliRunner()
    assert runner.invoke(main, args).exit_code == 0
    (sftp_remote.remote / "profiles" / "a.csv").unlink()  # as if Klaviyo had ingested it
    rerun = runner.invoke(main, [*args, str(second)])
    assert rerun.exit_code == 0, rerun.output
    assert f"Skipped {first}: already uploaded" in rerun.stdout and "-> profiles/b.csv" in rerun.stdout
    assert sorted(p.name for p in (sftp_remote.remote / "profiles").iterdir()) == ["b.csv"]
    forced = runner.invoke(main, [*args, "--force"])
    assert forced.exit_code == 0 and (sftp_remote.remote / "profiles" / "a.csv").exists()
    statuses = [(Path(r.file).name, r.status) for r in ImportHistory(tmp_path / "h.jsonl").records()]
    assert statuses == [("a.csv", "completed"), ("b.csv", "completed"), ("a.csv", "completed")]


def test_changed_file_of_the_same_size_is_uploaded_again(
    sftp_remote: SshdServer, sftp_keys: ClientKeys, tmp_path: Path
) -> None:
    local = tmp_path / "a.csv"
    local.write_text("Email\na@x.io\n")
    args = ["upload", str(local), "--folder", "profiles", *_cli(sftp_remote, sftp_keys, tmp_path)]
    runner = CliRunner()
    assert runner.invoke(main, args).exit_code == 0
    local.write_text("Email\nb@x.io\n")  # same size, other bytes
    rerun = runner.invoke(main, args)
    assert rerun.exit_code == 0, rerun.output
    assert "-> profiles/a.csv" in rerun.stdout and "Skipped" not in rerun.stdout
    assert (sftp_remote.remote / "profiles" / "a.csv").read_text() == "Email\nb@x.io\n"
    records = ImportHistory(tmp_path / "h.jsonl").records()
    assert [r.bytes for r in records] == [13, 13] and records[0].sha256 != records[1].sha256


def _profiles_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE p AS SELECT 'u' || i || '@x.io' AS email FROM range(20) r(i)")
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(db))
    export(Source(table="main.p"), ExportOptions("profiles", tmp_path / "out", stem="p"))
    return tmp_path / "out" / "p.manifest.json"


def test_manifest_kind_decides_the_folder(
    sftp_remote: SshdServer, sftp_keys: ClientKeys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = _profiles_manifest(tmp_path, monkeypatch)
    runner = CliRunner()
    wrong = runner.invoke(
        main, ["upload", str(manifest), "--folder", "events", *_cli(sftp_remote, sftp_keys, tmp_path)]
    )
    assert wrong.exit_code == 1
    assert wrong.stderr.startswith(
        f"Error: this manifest holds a profiles export but --folder is events ({manifest}) - "
        "use --folder profiles"
    )
    assert not list((sftp_remote.remote / "events").iterdir()) and not (tmp_path / "h.jsonl").exists()
    default = runner.invoke(main, ["upload", str(manifest), *_cli(sftp_remote, sftp_keys, tmp_path)])
    assert default.exit_code == 0, default.output
    assert (sftp_remote.remote / "profiles" / "p-0001.csv").read_bytes() == (
        tmp_path / "out" / "p-0001.csv"
    ).read_bytes()


def test_folder_required_without_a_manifest(tmp_path: Path) -> None:
    plain = tmp_path / "a.csv"
    plain.write_text("Email\na@x.io\n")
    result = CliRunner().invoke(main, ["upload", str(plain), "--host", "h", "--user", "u", "--key", "k"])
    assert result.exit_code == 1 and result.stderr.startswith("Error: no import folder given (--folder)")
