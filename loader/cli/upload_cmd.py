"""`klaviyo-sync upload` and `imports`: send export files to Klaviyo's SFTP, show the import history."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
from rich.table import Table

from loader.cli.app import main
from loader.errors import SyncError
from loader.export.exporter import read_manifest
from loader.upload.history import ImportHistory, history_path
from loader.upload.settings import resolve_sftp_settings
from loader.upload.uploader import FOLDERS, UploadOptions, upload_files


def _expand(files: tuple[Path, ...]) -> tuple[list[Path], dict[Path, str]]:
    """Files as given; a `*.manifest.json` stands for the CSV files it lists. Also the `kind` of
    each manifest given (profiles or events)."""
    out: list[Path] = []
    kinds: dict[Path, str] = {}
    for path in files:
        if path.name.endswith(".manifest.json"):
            manifest = read_manifest(path)
            entries: list[dict[str, object]] = manifest.get("files") or []  # type: ignore[assignment]
            out += [path.parent / str(entry["name"]) for entry in entries]
            kinds[path] = str(manifest.get("kind") or "")
        else:
            out.append(path)
    return out, kinds


def choose_folder(folder: str | None, kinds: dict[Path, str]) -> str:
    """`--folder`, checked against the kind of every manifest given; the manifests' kind when
    `--folder` is not given. A profiles export is never sent to events/ or the other way round."""
    for manifest, kind in kinds.items():
        if kind not in FOLDERS:
            raise SyncError(
                f"manifest kind {kind!r} is not profiles or events",
                f"{manifest}, key kind",
                "pass a manifest written by `klaviyo-sync export`",
            )
        if folder is None:
            folder = kind
        elif kind != folder:
            raise SyncError(
                f"this manifest holds a {kind} export but --folder is {folder}",
                str(manifest),
                f"use --folder {kind} (or leave --folder out): Klaviyo imports {folder}/ files as {folder}",
            )
    if folder is None:
        raise SyncError("no import folder given", "--folder", "pass --folder profiles or --folder events")
    return folder


@main.command("upload")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--folder", type=click.Choice(FOLDERS), help="Klaviyo import folder (default: the manifest's kind)."
)
@click.option("--host", help="[export.sftp] host")
@click.option("--port", type=int, help="[export.sftp] port (default 22)")
@click.option("--user", help="[export.sftp] user")
@click.option(
    "--key",
    "key_path",
    help="Private key path ([export.sftp] key_path); an encrypted key's passphrase comes from secrets "
    "([export.sftp] key_passphrase or env EXPORT__SFTP__KEY_PASSPHRASE), never the command line.",
)
@click.option("--known-hosts", help="known_hosts file holding the server key ([export.sftp] known_hosts).")
@click.option(
    "--host-fingerprint", help="Pinned server key fingerprint, SHA256:... (instead of known_hosts)."
)
@click.option(
    "--timeout", type=click.FloatRange(min=0.1), help="[export.sftp] timeout, seconds (default 30)."
)
@click.option("--parallel", type=click.IntRange(1, 16), default=4, show_default=True)
@click.option("--retries", type=click.IntRange(0, 20), default=4, show_default=True, help="Retries per file.")
@click.option("--history", "history_file", help="Import history ledger ([export] history_path).")
@click.option("--progress/--no-progress", default=True, show_default=True)
@click.option("--force", is_flag=True, help="Upload again files the import history shows as completed.")
def upload_cmd(
    files: tuple[Path, ...],
    folder: str | None,
    host: str | None,
    port: int | None,
    user: str | None,
    key_path: str | None,
    known_hosts: str | None,
    host_fingerprint: str | None,
    timeout: float | None,
    parallel: int,
    retries: int,
    history_file: str | None,
    progress: bool,
    force: bool,
) -> None:
    """Upload CSV files (or an export manifest) to profiles/ or events/ over verified SFTP."""
    paths, kinds = _expand(files)
    folder = choose_folder(folder, kinds)
    settings = resolve_sftp_settings(host, port, user, key_path, known_hosts, host_fingerprint, timeout)
    options = UploadOptions(folder, parallel=parallel, attempts=retries + 1, force=force)
    history = ImportHistory(history_path(history_file))
    columns = ("{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=Console(stderr=True), disable=not progress) as bar:
        tasks = {p: bar.add_task(p.name, total=p.stat().st_size if p.is_file() else 0) for p in paths}
        records = upload_files(
            settings, paths, options, history, lambda p, n: bar.update(tasks[p], completed=n)
        )
    for record in sorted(records, key=lambda r: r.remote_path):
        resumed = f" (resumed at byte {record.resumed_from})" if record.resumed_from else ""
        click.echo(f"Uploaded {record.file} -> {record.remote_path}{resumed}")
    sent = {record.file for record in records}
    for path in paths:
        if str(path.resolve()) not in sent:
            click.echo(
                f"Skipped {path}: already uploaded (see `klaviyo-sync imports`; --force sends it again)"
            )


@main.command("imports")
@click.option("--history", "history_file", help="Import history ledger ([export] history_path).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def imports_cmd(history_file: str | None, as_json: bool, limit: int) -> None:
    """Show the import history: status, rows, bytes, date, uploaded by, remote path, error."""
    records = ImportHistory(history_path(history_file)).records()[-limit:]
    if as_json:
        click.echo(json.dumps([asdict(r) for r in records], indent=2))
        return
    table = Table("Status", "Rows", "Bytes", "Date", "Uploaded by", "Remote path", "Error")
    for r in records:
        rows = "" if r.rows is None else str(r.rows)
        table.add_row(
            r.status,
            rows,
            str(r.bytes),
            r.finished_at or r.started_at,
            r.uploaded_by,
            f"{r.host}/{r.remote_path}",
            r.error or "",
        )
    Console(width=200).print(table)
