"""`klaviyo-sync upload`, `imports`, `keygen` and `check-key`: Klaviyo's SFTP import, its history and
its SSH keys."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from loader.cli import options
from loader.cli.app import main
from loader.destination import resolve_pipelines_dir
from loader.sync_observer import DEFAULT_ACCOUNT
from loader.upload.history import ImportHistory, history_path
from loader.upload.keys import KEY_TYPES, check_public_key_file, generate_key
from loader.upload.request import UploadRequest, run_upload
from loader.upload.uploader import FOLDERS, ByteCallback

HISTORY_HELP = (
    "Keep the import history in this JSON Lines file instead of the warehouse ledger (the previous "
    "release's format). Without it the history is the ledger table klaviyo_sync_imports, and the "
    "file at [export] history_path (default ./klaviyo_sync_imports.jsonl) is migrated into it once."
)


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
@click.option("--history", "history_file", help=HISTORY_HELP)
@click.option("--progress/--no-progress", default=True, show_default=True)
@click.option("--force", is_flag=True, help="Upload again files the import history shows as completed.")
@click.option("--account", default=DEFAULT_ACCOUNT, show_default=True,
              help="The configured account whose Klaviyo import this is (recorded with each upload).")
@options.destination
def upload_cmd(progress: bool, **request: Any) -> None:
    """Upload CSV files (or an export manifest) to profiles/ or events/ over verified SFTP."""
    # every option but --progress is the UploadRequest field of the same name
    report = run_upload(UploadRequest(**request), partial(_progress_bars, progress))
    for record in report.uploaded:
        resumed = f" (resumed at byte {record.resumed_from})" if record.resumed_from else ""
        click.echo(f"Uploaded {record.file} -> {record.remote_path}{resumed}")
    for path in report.skipped:
        click.echo(f"Skipped {path}: already uploaded (see `klaviyo-sync imports`; --force sends it again)")


@contextmanager
def _progress_bars(show: bool, paths: Sequence[Path]) -> Iterator[ByteCallback]:
    """One bar per file on stderr (hidden unless `show`), moved by the callback yielded."""
    columns = ("{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=Console(stderr=True), disable=not show) as bar:
        tasks = {p: bar.add_task(p.name, total=p.stat().st_size if p.is_file() else 0) for p in paths}
        yield lambda p, n: bar.update(tasks[p], completed=n)


@main.command("imports")
@click.option("--history", "history_file", help=HISTORY_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--account", help="Only this account's imports (default: every account).")
@options.destination
def imports_cmd(
    history_file: str | None, as_json: bool, limit: int, account: str | None, destination: str | None
) -> None:
    """The import history: status, rows, share sent, date, imported by, file, remote path, error."""
    from loader.ledger.records import ImportRecord as LedgerImport
    from loader.upload.history_report import import_document, imports_table
    from loader.upload.ledger_history import to_ledger

    rows: list[LedgerImport]
    if history_file:
        rows = [to_ledger(r) for r in ImportHistory(history_path(history_file)).records()]
    else:
        from loader.ledger.store import LedgerStore
        from loader.upload.history_migration import migrate_history

        store = LedgerStore.open(destination, resolve_pipelines_dir())
        moved = migrate_history(history_path(None), store)
        if moved:
            click.echo(f"Migrated {moved} import(s) from {history_path(None)} into klaviyo_sync_imports",
                       err=True)
        rows = store.imports()
    rows = [r for r in rows if account is None or r.account == account][-limit:]
    if as_json:
        click.echo(json.dumps([import_document(r) for r in rows], indent=2))
        return
    several = len({r.account for r in rows}) > 1
    Console(width=200).print(imports_table(rows, several))


@main.command("keygen")
@click.option("--type", "key_type", type=click.Choice(KEY_TYPES), default="ed25519", show_default=True)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Private key path."
)
@click.option("--passphrase", "ask_passphrase", is_flag=True, help="Ask for a passphrase to encrypt the key.")
@click.option("--comment", help="Comment at the end of the public line.")
@click.option("--bits", type=click.IntRange(min=2048), default=4096, show_default=True, help="RSA key size.")
@click.option("--force", is_flag=True, help="Overwrite an existing key.")
def keygen_cmd(
    key_type: str, out: Path, ask_passphrase: bool, comment: str | None, bits: int, force: bool
) -> None:
    """Write an OpenSSH key pair (PATH mode 0600, PATH.pub) and print the public line for Klaviyo."""
    passphrase = None
    if ask_passphrase:
        passphrase = click.prompt("Passphrase", hide_input=True, confirmation_prompt=True)
    line = generate_key(out, key_type, passphrase=passphrase, comment=comment, rsa_bits=bits, overwrite=force)
    click.echo(f"Wrote {out} (private, mode 0600) and {out}.pub.", err=True)
    click.echo("Paste this public key into Klaviyo's SFTP import settings (Add SSH key):", err=True)
    click.echo(line)


@main.command("check-key")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def check_key_cmd(path: Path) -> None:
    """Check that a public key (PATH.pub) is one Klaviyo accepts, and say why not."""
    verdict = check_public_key_file(path)
    bits = f" {verdict.bits} bits" if verdict.bits else ""
    click.echo(f"OK: {verdict.key_type}{bits} {verdict.fingerprint} - Klaviyo accepts this key")
