"""`klaviyo-sync run`: parse flags, resolve settings, call `run_sync`, print a summary."""

from __future__ import annotations

from pathlib import Path

import click

from loader.cli.app import main
from loader.destination import DESTINATIONS
from loader.errors import SyncError
from loader.source.settings import HISTORY_WINDOWS, OBJECTS


def _names(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


DESTINATIONS_HELP = """
\b
Settings: flags, else .dlt/config.toml [sources.klaviyo] (objects, history, metrics,
exclude_integrations, lookback, reconcile, predictive_analytics, subscriptions, base_url).
API key: KLAVIYO_API_KEY, SOURCES__KLAVIYO__API_KEY or .dlt/secrets.toml [sources.klaviyo] api_key;
several accounts: [sources.klaviyo.accounts.NAME] api_key (SOURCES__KLAVIYO__ACCOUNTS__NAME__API_KEY),
each may set its own objects, history, metrics and exclude_integrations.
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


@main.command("run", epilog=DESTINATIONS_HELP)
@click.option("--accounts", help="Sync only these configured accounts (names, comma-separated; default all).")
@click.option("--objects", help=f"Data objects, comma-separated: {','.join(OBJECTS)} (default both).")
@click.option("--history", type=click.Choice(list(HISTORY_WINDOWS)),
              help="Events window of the first sync (default all); profiles always load whole.")
@click.option("--metrics", help="Sync only these metrics (names or ids, comma-separated).")
@click.option("--exclude-integrations", help="Skip events of metrics from these integrations.")
@click.option("--lookback", help="Re-read this much before the events cursor (default 1h).")
@click.option("--reconcile", help="Also re-read the last N (e.g. 7d) of events and profiles.")
@click.option("--full-refresh", is_flag=True, default=None, help="Drop the raw tables and sync from scratch.")
@click.option("--destination", type=click.Choice(list(DESTINATIONS)), help="Warehouse (default duckdb).")
@click.option("--predictive-analytics", is_flag=True, default=None,
              help="Also fetch profiles' predictive analytics (a much lower rate limit).")
@click.option("--no-dbt", is_flag=True, help="Load only; skip the dbt build of the package.")
@click.option("--dbt-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for dbt's target/ and logs/ (default ./klaviyo_sync_dbt).")
def run_command(
    accounts: str | None,
    objects: str | None,
    history: str | None,
    metrics: str | None,
    exclude_integrations: str | None,
    lookback: str | None,
    reconcile: str | None,
    full_refresh: bool | None,
    destination: str | None,
    predictive_analytics: bool | None,
    no_dbt: bool = False,
    dbt_dir: Path | None = None,
) -> None:
    """Load Klaviyo accounts, metrics, profiles and events into the warehouse (dataset klaviyo_raw).

    Every configured account is synced, side by side; one that fails (e.g. a revoked key) is
    reported and makes the command exit non-zero while the others load.
    """
    from loader.ops.run_entry import guarded_run, unit_label
    from loader.sync_observer import RichProgressObserver
    from loader.sync_settings import SyncSettings

    settings = SyncSettings.resolve(
        accounts=_names(accounts),
        objects=_names(objects),
        history=history,
        metrics=_names(metrics),
        exclude_integrations=_names(exclude_integrations),
        lookback=lookback,
        reconcile=reconcile,
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
