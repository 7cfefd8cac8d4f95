"""`klaviyo-sync check`: can we read Klaviyo with this key (and its scopes) and write the destination?

Prints the article's two outcomes: "Enabled", or "Unable to connect" with the external message
(the API's or the warehouse's own words, secrets removed) and a hint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loader.destination import make_pipeline
from loader.errors import SyncError
from loader.ledger.error_info import describe
from loader.source import settings as api

ENABLED = "Enabled"
UNABLE = "Unable to connect"


@dataclass
class CheckItem:
    name: str
    ok: bool
    message: str = ""
    hint: str = ""
    code: str = ""


@dataclass
class CheckResult:
    destination: str
    dataset: str
    items: list[CheckItem] = field(default_factory=list)

    @property
    def status(self) -> str:
        return ENABLED if self.items and all(item.ok for item in self.items) else UNABLE


def check_connection(settings: Any) -> CheckResult:
    """Read one item of every endpoint the sync needs, then open the destination."""
    main = make_pipeline(settings.destination, pipelines_dir=settings.pipelines_dir)
    result = CheckResult(str(main.destination.destination_name), str(main.dataset_name))
    result.items.extend(check_api(settings))
    result.items.append(check_destination(main, [settings.api_key]))
    return result


def check_api(settings: Any) -> list[CheckItem]:
    from loader.source.client import KlaviyoClient

    paths = [api.METRICS_PATH]
    paths += [api.PROFILES_PATH] if "profiles" in settings.objects else []
    paths += [api.EVENTS_PATH] if "events" in settings.objects else []
    client = KlaviyoClient(settings.base_url, settings.api_key, max_attempts=2, backoff_initial=0.2)
    items = []
    try:
        for path in paths:
            name = f"Klaviyo API {path} (scope {api.SCOPES[path]})"
            params = {} if path == api.METRICS_PATH else {"page[size]": "1"}
            try:
                client.get_page(client.base_url + path, params, (path,))
            except SyncError as exc:
                info = describe(exc, [settings.api_key])
                items.append(CheckItem(name, False, info.summary, exc.fix, info.code))
                if info.code != "403":
                    break  # a rejected key or an unreachable API fails every endpoint the same way
            else:
                items.append(CheckItem(name, True, "readable"))
    finally:
        client.close()
    return items


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
