"""`klaviyo-sync export`, `keygen` and `check-key`: warehouse rows -> Klaviyo CSV files, SSH keys."""

from __future__ import annotations

from pathlib import Path

import click

from loader.cli.app import main
from loader.errors import SyncError
from loader.export.columns import KINDS
from loader.export.exporter import ExportOptions, ExportResult, export
from loader.export.problems import describe
from loader.export.query import Source
from loader.upload.keys import KEY_TYPES, check_public_key, generate_key


@main.command("export")
@click.option("--query", help="SQL to run on the destination.")
@click.option("--model", help="dbt model, read from schema KLAVIYO_DBT_SCHEMA (default klaviyo).")
@click.option("--table", help="Table of the raw dataset `klaviyo_raw` (or schema.table).")
@click.option("--kind", type=click.Choice(KINDS), required=True, help="Klaviyo import type.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--max-file-mb", type=float, default=50.0, show_default=True, help="Size limit per file (MB).")
@click.option("--strict", is_flag=True, help="Fail on any invalid row instead of writing a rejects file.")
@click.option("--destination", help="Override [klaviyo_sync] destination (duckdb, postgres, ...).")
@click.option("--batch-rows", type=click.IntRange(min=1), default=250_000, show_default=True)
@click.option("--name", "stem", help="File name prefix (default: <kind>_<UTC timestamp>).")
def export_cmd(
    query: str | None,
    model: str | None,
    table: str | None,
    kind: str,
    out_dir: Path,
    max_file_mb: float,
    strict: bool,
    destination: str | None,
    batch_rows: int,
    stem: str | None,
) -> None:
    """Export a query, dbt model or table as size-checked Klaviyo import CSV files."""
    options = ExportOptions(kind, out_dir, max_file_mb, strict, batch_rows, stem, destination)
    _report(export(Source(query, model, table), options))


def _report(result: ExportResult) -> None:
    click.echo(f"Exported {result.rows} row(s) in {len(result.files)} file(s):")
    for part in result.files:
        click.echo(f"  {part.name}  {part.rows} rows  {part.bytes} bytes  sha256 {part.sha256[:16]}...")
    if result.rejected:
        click.echo(f"Rejected {result.rejected} row(s) -> {result.rejects_file}", err=True)
        click.echo(f"{result.problems} problem(s) -> {result.problems_file}; first ones:", err=True)
        click.echo("(rows are numbered in the query result, as in the rejects file's _row column)", err=True)
        for problem in result.sample[:10]:
            click.echo(f"  {describe(problem)}", err=True)
    click.echo(f"Manifest: {result.manifest}")


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
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SyncError(
            f"cannot read the key file ({type(exc).__name__})", str(path), "pass PATH.pub"
        ) from exc
    verdict = check_public_key(text)
    if not verdict.ok:
        raise SyncError(
            f"key refused: {verdict.reason}",
            str(path),
            verdict.fix,
        )
    bits = f" {verdict.bits} bits" if verdict.bits else ""
    click.echo(f"OK: {verdict.key_type}{bits} {verdict.fingerprint} - Klaviyo accepts this key")
