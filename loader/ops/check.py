"""`klaviyo-sync check`: can we read each Klaviyo account with its key (and scopes), and the destination?

Prints the article's two outcomes per account and overall: "Enabled", or "Unable to connect" with
the external message (the API's or the warehouse's own words, secrets removed) and a hint. Each
account is named as configured and by its Klaviyo name (`GET /api/accounts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loader.destination import make_pipeline
from loader.errors import SyncError
from loader.ledger.error_info import describe
from loader.source import settings as api

ENABLED = "Enabled"
# the smallest request of each endpoint (campaigns need a channel filter; metrics and accounts no page size)
CHECK_PARAMS: dict[str, dict[str, str]] = {
    api.METRICS_PATH: {},
    api.ACCOUNTS_PATH: {},
    api.CAMPAIGNS_PATH: {"filter": "equals(messages.channel,'email')", "page[size]": "1"},
}
UNABLE = "Unable to connect"


@dataclass
class CheckItem:
    name: str
    ok: bool
    message: str = ""
    hint: str = ""
    code: str = ""


@dataclass
class AccountCheck:
    """One configured account: its Klaviyo id and name (when the key could read them) and checks."""

    name: str
    account_id: str = ""
    account_name: str = ""
    items: list[CheckItem] = field(default_factory=list)

    @property
    def status(self) -> str:
        return ENABLED if self.items and all(item.ok for item in self.items) else UNABLE


@dataclass
class CheckResult:
    destination: str
    dataset: str
    accounts: list[AccountCheck] = field(default_factory=list)
    destination_item: CheckItem | None = None

    @property
    def items(self) -> list[CheckItem]:
        """Every check: each account's, then the destination's."""
        found = [item for account in self.accounts for item in account.items]
        return found + ([self.destination_item] if self.destination_item else [])

    @property
    def status(self) -> str:
        return ENABLED if self.items and all(item.ok for item in self.items) else UNABLE


def check_connection(settings: Any) -> CheckResult:
    """Read one item of every endpoint the sync needs, per account, then open the destination."""
    main = make_pipeline(settings.destination, pipelines_dir=settings.pipelines_dir)
    result = CheckResult(str(main.destination.destination_name), str(main.dataset_name))
    for account in settings.accounts:
        result.accounts.append(check_account(settings.base_url, account, settings.secrets))
    result.destination_item = check_destination(main, settings.secrets)
    return result


def check_account(base_url: str, account: Any, secrets: list[str]) -> AccountCheck:
    """The account resource first (it names the account), then each endpoint the account syncs."""
    from loader.source.accounts import fetch_account
    from loader.source.client import KlaviyoClient

    checked = AccountCheck(account.name)
    paths = [api.ACCOUNTS_PATH, api.METRICS_PATH]
    paths += [api.PROFILES_PATH] if "profiles" in account.options.objects else []
    paths += [api.EVENTS_PATH] if "events" in account.options.objects else []
    paths += [api.CAMPAIGNS_PATH] if "campaigns" in account.options.objects else []
    paths += [api.FLOWS_PATH] if "flows" in account.options.objects else []
    paths += [api.LISTS_PATH] if "lists" in account.options.objects else []
    paths += [api.SEGMENTS_PATH] if "segments" in account.options.objects else []
    client = KlaviyoClient(base_url, account.api_key, max_attempts=2, backoff_initial=0.2)
    try:
        for path in paths:
            name = f"Klaviyo API {path} (scope {api.SCOPES[path]})"
            params = CHECK_PARAMS.get(path, {"page[size]": "1"})
            try:
                if path == api.ACCOUNTS_PATH:
                    item = fetch_account(client)
                    checked.account_id = str(item["id"])
                    contact = item["attributes"].get("contact_information") or {}
                    checked.account_name = str(contact.get("organization_name") or "")
                else:
                    client.get_page(client.base_url + path, params, (path,))
            except SyncError as exc:
                info = describe(exc, secrets)
                checked.items.append(CheckItem(name, False, info.summary, exc.fix, info.code))
                if info.code != "403":
                    break  # a rejected key or an unreachable API fails every endpoint the same way
            else:
                checked.items.append(CheckItem(name, True, "readable"))
    finally:
        client.close()
    return checked


def check_destination(main: Any, secrets: list[str]) -> CheckItem:
    name = f"destination {main.destination.destination_name} (dataset {main.dataset_name})"
    try:
        with main.destination_client() as client:
            initialized = client.is_storage_initialized()
    except Exception as exc:  # noqa: BLE001 - any driver error is the external message we show
        info = describe(exc, secrets)
        kind = str(main.destination.destination_type).split(".")[-1].upper()
        hint = (
            f"check the destination credentials (DESTINATION__{kind}__CREDENTIALS or .dlt/secrets.toml) "
            "and that the server accepts connections"
        )
        return CheckItem(name, False, info.external_message, hint, info.code)
    state = "dataset exists" if initialized else "reachable; the dataset is created by the first run"
    return CheckItem(name, True, state)
