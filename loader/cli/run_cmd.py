"""`klaviyo-sync run`: parse flags, resolve settings, call `run_sync`, print a summary."""

from __future__ import annotations

from pathlib import Path

import click

from loader.cli import options
from loader.cli.app import main
from loader.errors import SyncError
from loader.source.settings import DEFAULT_OBJECTS, HISTORY_WINDOWS, OBJECTS

OBJECTS_HELP = (f"Data objects, comma-separated: {','.join(OBJECTS)} (default {','.join(DEFAULT_OBJECTS)}). "
                "Events come with their attributions, campaigns with their messages, flows with their "
                "actions and messages, lists and segments with their members.")

DESTINATIONS_HELP = """
\b
Destinations (dlt configuration: env vars or .dlt/secrets.toml; extras: pip install .[NAME]):
  duckdb      DESTINATION__DUCKDB__CREDENTIALS=/path/file.duckdb (default ./klaviyo_sync.duckdb)
  postgres    DESTINATION__POSTGRES__CREDENTIALS=postgresql://user:password@host:5432/db
  snowflake   DESTINATION__SNOWFLAKE__CREDENTIALS__{DATABASE,USERNAME,HOST,WAREHOUSE,ROLE,PRIVATE_KEY}
  bigquery    DESTINATION__BIGQUERY__CREDENTIALS__{PROJECT_ID,CLIENT_EMAIL,PRIVATE_KEY}, __LOCATION
  redshift    DESTINATION__REDSHIFT__CREDENTIALS=redshift://user:password@host:5439/db
  synapse     DESTINATION__SYNAPSE__CREDENTIALS__{HOST,DATABASE,USERNAME,PASSWORD} (+ ODBC driver)
  filesystem  DESTINATION__FILESYSTEM__BUCKET_URL=s3://bucket/path and
              DESTINATION__FILESYSTEM__CREDENTIALS__{AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY,ENDPOINT_URL}
              (files are appended: re-read windows repeat rows; models dedupe on id)
"""


@main.command("run", epilog=options.settings_help() + DESTINATIONS_HELP)
@options.accounts
@options.objects(OBJECTS_HELP)
@click.option("--history", type=click.Choice(list(HISTORY_WINDOWS)),
              help="Events window of the first sync (default all); profiles always load whole.")
@options.names_option("--metrics", "Sync only these metrics (names or ids, comma-separated).")
@options.names_option("--exclude-integrations", "Skip events of metrics from these integrations.")
@click.option("--lookback", help="Re-read this much before the events cursor (default 1h).")
@click.option("--reread", help="Also re-read the last N (e.g. 7d) of events and profiles.")
@click.option("--reconcile-now", is_flag=True, default=False,
              help="List every object in full now (deleted campaigns, flows, lists, segments, members "
              "who left), whatever [sources.klaviyo.reconcile] says.")
@click.option("--reconcile", hidden=True,
              help="Deprecated: --reconcile N is --reread N --reconcile-now.")
@click.option("--full-refresh", is_flag=True, default=None, help="Drop the raw tables and sync from scratch.")
@options.destination
@click.option("--predictive-analytics", is_flag=True, default=None,
              help="Also fetch profiles' predictive analytics (a much lower rate limit).")
@options.no_dbt
@options.dbt_dir
def run_command(
    accounts: tuple[str, ...] | None,
    objects: tuple[str, ...] | None,
    history: str | None,
    metrics: tuple[str, ...] | None,
    exclude_integrations: tuple[str, ...] | None,
    lookback: str | None,
    reread: str | None,
    reconcile_now: bool,
    reconcile: str | None,
    full_refresh: bool | None,
    destination: str | None,
    predictive_analytics: bool | None,
    no_dbt: bool = False,
    dbt_dir: Path | None = None,
) -> None:
    """Load Klaviyo accounts, metrics, profiles, events (with their attributions), campaigns (with their
    messages), flows (with their actions and messages), and on request lists and segments (with their
    members) into the warehouse (dataset klaviyo_raw).

    Every configured account is synced, side by side; one that fails (e.g. a revoked key) is
    reported and makes the command exit non-zero while the others load.
    """
    from loader.ops.run_entry import guarded_run, unit_label
    from loader.sync_observer import RichProgressObserver
    from loader.sync_settings import SyncSettings

    settings = SyncSettings.resolve(
        accounts=accounts,
        objects=objects,
        history=history,
        metrics=metrics,
        exclude_integrations=exclude_integrations,
        lookback=lookback,
        **_reconcile(reread, reconcile_now, reconcile),
        full_refresh=full_refresh,
        destination=destination,
        predictive_analytics=predictive_analytics,
    )
    progress = RichProgressObserver()
    try:
        outcome = guarded_run(settings, observer=progress, echo=click.echo)
    finally:
        progress.close()
    if outcome is None:
        return  # every object is paused or disabled (guarded_run said so)
    several = len(settings.accounts) > 1
    for unit, done in outcome.objects.items():
        window = f"[{done.cursor_from:%Y-%m-%d %H:%M:%S}, {done.cursor_to:%Y-%m-%d %H:%M:%S})" if (
            done.cursor_from and done.cursor_to) else "(all)"
        label = unit_label(unit, several)
        click.echo(f"{label}: {done.rows_loaded} rows loaded ({done.kind}, window {window})")
    if outcome.result is not None:
        click.echo(f"complete until {outcome.result.run_start.isoformat()}")
    if outcome.objects and not no_dbt:
        from loader.transform.after_load import build_after_load, dbt_work_dir

        build_after_load(settings, work_dir=dbt_work_dir(dbt_dir), echo=click.echo)
    if outcome.failed:
        failed = sorted({unit.account for unit in outcome.failed})
        raise SyncError(
            f"account{'s' if len(failed) > 1 else ''} {', '.join(failed)} failed (the others were loaded)",
            "klaviyo-sync run", "see the lines above and `klaviyo-sync errors`; the next run retries them",
            code="accounts",
        )



def _reconcile(reread: str | None, now: bool, deprecated: str | None) -> dict[str, str | None]:
    """The run's `reread` and `reconcile` settings: reconcile "now" for --reconcile-now (None: the
    configured cadences); the deprecated `--reconcile N` is --reread N --reconcile-now."""
    if deprecated is not None:
        click.echo("Warning: --reconcile N is deprecated (run) - use --reread N --reconcile-now", err=True)
        return {"reread": reread or deprecated, "reconcile": "now"}
    return {"reread": reread, "reconcile": "now" if now else None}
