"""The accounts of a run: one client each (its own pacers), identified by `GET /api/accounts`.

Klaviyo's rate limits are per account, so every account gets its own `KlaviyoClient`. The account
resource (1/s, 15/min) is read once per run: its `id` is the `account_id` of every row, and its
attributes are the raw `accounts` table. An account whose key is rejected here fails on its own;
the others are synced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from loader.errors import SyncError
from loader.source import settings as api
from loader.source.account_streams import for_account
from loader.source.client import KlaviyoClient
from loader.source.context import AccountContext, ExtractReport
from loader.source.metric_catalog import MetricCatalog
from loader.source.options import SourceOptions


@dataclass(frozen=True)
class AccountSpec:
    """What a run needs to open one account."""

    name: str
    api_key: str
    options: SourceOptions


def fetch_account(client: KlaviyoClient) -> dict[str, Any]:
    """The key's own account resource (`GET /api/accounts` returns exactly one)."""
    page = client.get_page(client.base_url + api.ACCOUNTS_PATH, {}, (api.ACCOUNTS_PATH,))
    if len(page.data) != 1:
        raise SyncError(
            f"GET /api/accounts returned {len(page.data)} accounts instead of 1", f"GET {api.ACCOUNTS_PATH}",
            "check that the API key is a private key of one account",
        )
    item: dict[str, Any] = page.data[0]
    return item


def open_accounts(
    specs: Sequence[AccountSpec], base_url: str, report: ExtractReport
) -> tuple[list[AccountContext], dict[str, BaseException]]:
    """Open each account (its client, its id, its metric selection checked); returns the open ones
    and the errors of the others."""
    opened: list[AccountContext] = []
    failed: dict[str, BaseException] = {}
    for spec in specs:
        opts = spec.options
        pool_size = opts.events_workers + opts.profiles_workers + 6  # + campaigns, flows, accounts, metrics
        client = KlaviyoClient(base_url, spec.api_key, pool_size=pool_size)
        catalog = MetricCatalog(client)
        try:
            item = fetch_account(client)
            if "events" in opts.objects:  # a misspelt metric name fails the account before any read
                catalog.select(opts.metrics, opts.exclude_integrations)
        except Exception as exc:  # noqa: BLE001 - this account fails alone
            client.close()
            failed[spec.name] = for_account(exc, spec.name)
            continue
        opened.append(AccountContext(
            name=spec.name, account_id=str(item["id"]), attributes=item["attributes"], client=client,
            catalog=catalog, options=opts, report=report,
        ))
    ids = [a.account_id for a in opened]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        names = [a.name for a in opened if a.account_id in duplicated]
        close_all(opened)
        raise SyncError(
            f"accounts {', '.join(names)} are the same Klaviyo account ({', '.join(duplicated)})",
            "[sources.klaviyo.accounts]", "configure each Klaviyo account once", code="config",
        )
    return opened, failed


def close_all(accounts: Sequence[AccountContext]) -> None:
    for account in accounts:
        account.client.close()
