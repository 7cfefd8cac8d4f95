"""The `klaviyo-sync` command group: parses arguments only; the work lives in the library."""

from __future__ import annotations

import sys
import traceback
from typing import Any

import click

from loader import __version__
from loader.errors import SyncError
from loader.secrets import redact


class _SyncGroup(click.Group):
    """Turns SyncError (and unexpected errors) into one `Error: ...` line and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except SyncError as exc:
            _fail(ctx, str(exc), exc)
        except KeyboardInterrupt:
            click.echo("Error: interrupted (keyboard) - run the command again to continue", err=True)
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - the last line of defence of the CLI
            what = f"{type(exc).__name__}: {exc}"
            _fail(ctx, f"{what} (unexpected) - run again with --debug and report the traceback", exc)


def _fail(ctx: click.Context, message: str, exc: BaseException) -> None:
    if ctx.find_root().params.get("debug"):
        click.echo(redact("".join(traceback.format_exception(exc))), err=True)
    click.echo(f"Error: {redact(message)}", err=True)
    sys.exit(1)


@click.group(cls=_SyncGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@click.version_option(__version__, prog_name="klaviyo-sync")
def main(debug: bool) -> None:
    """Klaviyo <-> data warehouse sync: load Klaviyo into your warehouse, export back over SFTP."""
