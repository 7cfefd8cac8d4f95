"""Export, then upload over a real OpenSSH sshd: byte-identical files, trust and auth refusals."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import duckdb
import psycopg2
import pytest
from click.testing import CliRunner

from loader.cli import main
from loader.errors import SyncError
from loader.export.exporter import ExportOptions, export
from loader.export.query import Source
from loader.upload.history import ImportHistory
from loader.upload.keys import fingerprint
from loader.upload.settings import SftpSettings
from loader.upload.uploader import UploadOptions, upload_files
from tests.fixtures.postgres import PostgresDatabase
from tests.fixtures.sshd import ClientKeys, SshdServer

pytestmark = pytest.mark.sftp


def settings_for(server: SshdServer, key: Path, known_hosts: Path | None, **extra: object) -> SftpSettings:
    return SftpSettings(server.host, server.user, key, known_hosts, port=server.port, **extra)  # type: ignore[arg-type]


def known_hosts(server: SshdServer, tmp_path: Path) -> Path:
    path = tmp_path / "known_hosts"
    path.write_text(server.known_hosts_line())
    return path


def test_duckdb_export_uploads_byte_identical_with_ed25519_and_rsa(
    sftp_remote: SshdServer, sftp_keys: ClientKeys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE p AS SELECT 'u' || i || '@x.io' AS email, i AS n FROM range(2000) r(i)")
        con.execute(
            """CREATE TABLE e AS SELECT 'ev' || i AS event_id, 'Placed Order' AS metric_name,
               TIMESTAMP '2024-01-01' + i * INTERVAL 1 MINUTE AS occurred_at, 'u' || i || '@x.io' AS email,
               i * 2.5 AS value FROM range(1500) r(i)"""
        )
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(db))
    out = tmp_path / "out"
    profiles = export(Source(table="main.p"), ExportOptions("profiles", out, max_file_mb=0.02, stem="p"))
    events = export(Source(table="main.e"), ExportOptions("events", out, stem="e"))
    assert len(profiles.files) >= 2 and len(events.files) == 1
    history = ImportHistory(tmp_path / "history.jsonl")
    kh = known_hosts(sftp_remote, tmp_path)
    plan = [(profiles, "profiles", "ed25519"), (events, "events", "rsa")]
    for result, folder, kind in plan:
        files = [out / part.name for part in result.files]
        records = upload_files(
            settings_for(sftp_remote, sftp_keys.key(kind), kh),
            files,
            UploadOptions(folder, parallel=3),
            history,
        )
        assert {r.status for r in records} == {"completed"}
        for part in result.files:
            assert (sftp_remote.remote / folder / part.name).read_bytes() == (out / part.name).read_bytes()
        assert sorted(p.name for p in (sftp_remote.remote / folder).iterdir()) == sorted(
            p.name for p in result.files
        )
    rows = {r.remote_path: r.rows for r in history.records()}
    assert rows == {f"profiles/{p.name}": p.rows for p in profiles.files} | {
        f"events/{p.name}": p.rows for p in events.files
    }


@pytest.mark.postgres
def test_postgres_export_then_cli_upload_of_manifest(
    sftp_remote: SshdServer,
    sftp_keys: ClientKeys,
    postgres_db: PostgresDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with psycopg2.connect(postgres_db.dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE people AS SELECT 'pg' || i || '@x.io' AS email FROM generate_series(1, 300) i"
        )
    out = tmp_path / "out"
    runner = CliRunner()
    exported = runner.invoke(
        main,
        ["export", "--query", "SELECT email FROM public.people ORDER BY email", "--kind", "profiles"]
        + ["--out", str(out), "--destination", "postgres", "--name", "pg"],
    )
    assert exported.exit_code == 0, exported.output
    monkeypatch.setenv("EXPORT__SFTP__HOST", sftp_remote.host)
    monkeypatch.setenv("EXPORT__SFTP__PORT", str(sftp_remote.port))
    monkeypatch.setenv("EXPORT__SFTP__USER", sftp_remote.user)
    monkeypatch.setenv("EXPORT__SFTP__KEY_PATH", str(sftp_keys.key("ed25519")))
    monkeypatch.setenv("EXPORT__SFTP__KNOWN_HOSTS", str(known_hosts(sftp_remote, tmp_path)))
    monkeypatch.setenv("KLAVIYO_SYNC__PIPELINES_DIR", str(tmp_path / "pipelines"))
    monkeypatch.chdir(tmp_path)
    # no --history: the import history is the PostgreSQL ledger's klaviyo_sync_imports
    upload = ["upload", str(out / "pg.manifest.json"), "--folder", "profiles", "--destination", "postgres"]
    uploaded = runner.invoke(main, [*upload, "--account", "acme"])
    assert uploaded.exit_code == 0, uploaded.output
    assert (sftp_remote.remote / "profiles" / "pg-0001.csv").read_bytes() == (
        out / "pg-0001.csv"
    ).read_bytes()
    listed = runner.invoke(main, ["imports", "--destination", "postgres", "--json"])
    [record] = json.loads(listed.stdout)
    assert (record["status"], record["row_count"], record["rows_sent_pct"], record["remote_path"]) == (
        "Completed",
        300,
        100.0,
        "profiles/pg-0001.csv",
    )
    assert record["account"] == "acme" and record["imported_by"].endswith(f"as {sftp_remote.user}")
    table = runner.invoke(main, ["imports", "--destination", "postgres"])
    assert "Completed" in table.stdout and "300" in table.stdout
    again = runner.invoke(main, [*upload, "--account", "acme"])  # the ledger shows it done: not sent twice
    assert again.exit_code == 0 and "Skipped" in again.stdout, again.output


def _small_file(tmp_path: Path) -> Path:
    path = tmp_path / "one.csv"
    path.write_text("Email\na@x.io\n")
    return path


@pytest.mark.parametrize("kind", ["ed25519", "rsa", "ecdsa"])
def test_each_key_type_uploads(
    kind: str, sftp_remote: SshdServer, sftp_keys: ClientKeys, tmp_path: Path
) -> None:
    settings = settings_for(sftp_remote, sftp_keys.key(kind), known_hosts(sftp_remote, tmp_path))
    [record] = upload_files(
        settings, [_small_file(tmp_path)], UploadOptions("events"), ImportHistory(tmp_path / "h")
    )
    assert record.status == "completed"
    assert (sftp_remote.remote / "events" / "one.csv").read_text() == "Email\na@x.io\n"


def test_host_key_mismatch_refused(sftp_remote: SshdServer, sftp_keys: ClientKeys, tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    other = SshdServer(tmp_path / "other")  # not started: only its (different) host key is used
    kh = tmp_path / "known_hosts"
    kh.write_text(f"[{sftp_remote.host}]:{sftp_remote.port} {other.host_public_key}\n")
    settings = settings_for(sftp_remote, sftp_keys.key("ed25519"), kh)
    with pytest.raises(SyncError) as raised:
        upload_files(
            settings, [_small_file(tmp_path)], UploadOptions("profiles"), ImportHistory(tmp_path / "h")
        )
    assert "host key mismatch" in str(raised.value) and "man-in-the-middle" in str(raised.value)
    assert not list((sftp_remote.remote / "profiles").iterdir())


def test_unknown_host_refused_unless_pinned(
    sftp_remote: SshdServer, sftp_keys: ClientKeys, tmp_path: Path
) -> None:
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    files = [_small_file(tmp_path)]
    history = ImportHistory(tmp_path / "h")
    with pytest.raises(SyncError, match=r"unknown host \[127.0.0.1\]:\d+: its key ssh-ed25519 SHA256:"):
        upload_files(
            settings_for(sftp_remote, sftp_keys.key("ed25519"), empty),
            files,
            UploadOptions("events"),
            history,
        )
    with pytest.raises(SyncError, match="not the pinned fingerprint"):
        pinned_wrong = settings_for(
            sftp_remote, sftp_keys.key("ed25519"), None, host_fingerprint="SHA256:AAAA"
        )
        upload_files(pinned_wrong, files, UploadOptions("events"), history)
    assert not list((sftp_remote.remote / "events").iterdir())
    blob = base64.b64decode(sftp_remote.host_public_key.split()[1])
    pinned = settings_for(sftp_remote, sftp_keys.key("ed25519"), None, host_fingerprint=fingerprint(blob))
    upload_files(pinned, files, UploadOptions("events"), history)
    assert (sftp_remote.remote / "events" / "one.csv").read_text() == "Email\na@x.io\n"


def test_wrong_client_key_refused_clearly(
    sftp_remote: SshdServer, sftp_keys: ClientKeys, tmp_path: Path
) -> None:
    from loader.upload.keys import generate_key

    generate_key(tmp_path / "stranger")
    args = ["upload", str(_small_file(tmp_path)), "--folder", "profiles", "--host", sftp_remote.host]
    args += ["--port", str(sftp_remote.port), "--user", sftp_remote.user, "--key", str(tmp_path / "stranger")]
    args += ["--known-hosts", str(known_hosts(sftp_remote, tmp_path)), "--history", str(tmp_path / "h.jsonl")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert f"the server refused key authentication for user '{sftp_remote.user}'" in result.stderr
    assert "Klaviyo's SFTP settings" in result.stderr and "Traceback" not in result.output
    [record] = ImportHistory(tmp_path / "h.jsonl").records()
    assert record.status == "incomplete" and "refused key authentication" in (record.error or "")


def test_missing_host_key_source_is_a_config_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "upload",
            str(_small_file(tmp_path)),
            "--folder",
            "events",
            "--host",
            "h",
            "--user",
            "u",
            "--key",
            "k",
        ],
    )
    assert result.exit_code == 1 and "no way to verify the server's host key" in result.stderr


def test_non_utf8_file_refused_before_upload(
    sftp_remote: SshdServer, sftp_keys: ClientKeys, tmp_path: Path
) -> None:
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("Email,City\na@x.io,Paris\nb@x.io,Montr\xe9al\n".encode("latin-1"))
    settings = settings_for(sftp_remote, sftp_keys.key("ed25519"), known_hosts(sftp_remote, tmp_path))
    with pytest.raises(SyncError) as raised:
        upload_files(settings, [bad], UploadOptions("profiles"), ImportHistory(tmp_path / "h"))
    assert str(raised.value).startswith(f"not UTF-8 text (byte 0xe9) ({bad}, line 3, column 2)")
    assert not list((sftp_remote.remote / "profiles").iterdir())


def test_passphrase_from_secrets_never_shown(
    sftp_remote: SshdServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loader.upload.keys import generate_key

    passphrase = "pass-phrase-4f9c2e7a"
    sftp_remote.authorize(generate_key(tmp_path / "locked", passphrase=passphrase))
    monkeypatch.setenv("EXPORT__SFTP__KEY_PASSPHRASE", passphrase)
    history = tmp_path / "h.jsonl"
    base = ["--debug", "upload", str(_small_file(tmp_path)), "--folder", "events", "--host", sftp_remote.host]
    base += ["--port", str(sftp_remote.port), "--user", sftp_remote.user, "--key", str(tmp_path / "locked")]
    base += ["--history", str(history)]
    ok = CliRunner().invoke(main, [*base, "--known-hosts", str(known_hosts(sftp_remote, tmp_path))])
    assert ok.exit_code == 0, ok.output
    assert (sftp_remote.remote / "events" / "one.csv").exists()
    wrong = tmp_path / "wrong_known_hosts"
    wrong.write_text(f"[{sftp_remote.host}]:{sftp_remote.port} ssh-ed25519 {'A' * 68}\n")
    failed = CliRunner().invoke(main, [*base, "--force", "--known-hosts", str(wrong)])
    assert failed.exit_code == 1
    assert passphrase not in failed.output and passphrase not in ok.output
    assert passphrase not in history.read_text()
