"""`klaviyo-sync forget`: erase one person from the warehouse (raw tables and marts) now."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from loader.cli import options
from loader.cli.app import main
from loader.errors import SyncError

if TYPE_CHECKING:
    from loader.sync_settings import SyncSettings


@main.command("forget")
@click.option("--email", help="The person's email address.")
@click.option("--phone", help="The person's phone number (as Klaviyo stores it, e.g. +15551234567).")
@click.option("--profile-id", help="The person's Klaviyo profile id.")
@click.option("--account", help="Only in this configured account (name; default: every account stored).")
@options.destination
@options.no_dbt
@options.dbt_dir
def forget_command(email: str | None, phone: str | None, profile_id: str | None, account: str | None,
                   destination: str | None, no_dbt: bool = False, dbt_dir: Path | None = None) -> None:
    """Erase one person (a data-subject request) from every raw table and mart: the profile row,
    its events' personal data and its memberships; recorded in deletions (reason forget) by profile
    id only. Later syncs never load the person again."""
    from loader.destination import make_pipeline
    from loader.pipeline import item_format_for
    from loader.privacy.forget import find_profiles, forget, remove_profile_rows, stored_accounts
    from loader.sync_settings import SyncSettings

    settings = SyncSettings.resolve(destination=destination, accounts=(account,) if account else None)
    pipeline = make_pipeline(settings.destination, pipelines_dir=settings.pipelines_dir)
    accounts = [_account_id(settings)] if account else stored_accounts(pipeline)
    if not accounts:
        raise SyncError("the warehouse holds no profiles", "klaviyo-sync forget",
                        "run `klaviyo-sync run` first, or check --destination")
    found = find_profiles(pipeline, accounts, email=email, phone=phone, profile_id=profile_id)
    result = forget(pipeline, found, item_format_for(pipeline) == "arrow")
    if not no_dbt:
        from loader.transform.after_load import build_after_load, dbt_work_dir

        build_after_load(settings, work_dir=dbt_work_dir(dbt_dir), echo=click.echo)
    remove_profile_rows(pipeline, found)
    for account_id, ids in result.profiles.items():
        click.echo(f"forgot {len(ids)} profile(s) of account {account_id}: {', '.join(ids)}")
    click.echo(f"{result.events} event(s) redacted; recorded in deletions (reason forget)")


def _account_id(settings: SyncSettings) -> str:
    """The Klaviyo account id of the one configured account `--account` names."""
    from loader.source.accounts import fetch_account
    from loader.source.client import KlaviyoClient

    client = KlaviyoClient(settings.base_url, settings.accounts[0].api_key)
    try:
        return str(fetch_account(client)["id"])
    finally:
        client.close()
