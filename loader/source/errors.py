"""Turn Klaviyo's error responses and malformed pages into clear `SyncError`s."""

from __future__ import annotations

from typing import Any

import orjson

from loader.errors import SyncError, TransientError
from loader.secrets import redact
from loader.source.settings import SCOPES, endpoint_of

ALL_SCOPES = ", ".join(sorted(set(SCOPES.values())))
KEY_FIX = (
    "set KLAVIYO_API_KEY (or SOURCES__KLAVIYO__API_KEY / .dlt/secrets.toml [sources.klaviyo] api_key, "
    "or the account's [sources.klaviyo.accounts.<name>] api_key) to a valid private API key"
)


def api_error(status: int, path: str, body: bytes, api_key: str) -> SyncError:
    """A non-retryable HTTP error from Klaviyo, with the API's own text redacted."""
    detail = redact(_detail(body), [api_key])
    scope = SCOPES.get(endpoint_of(path), "")
    where = f"GET {path}"
    if status == 401:
        return SyncError(
            f"Klaviyo rejected the API key (401 Not Authorized: {detail})", where, KEY_FIX, code="401"
        )
    if status == 403:
        return SyncError(
            f"the API key is missing scope {scope or '?'} (403 Forbidden: {detail})",
            where,
            f"create a private API key with the read scopes {ALL_SCOPES} and set it as the API key",
            code="403",
        )
    if status == 404:
        return SyncError(
            f"Klaviyo answered 404 Not Found ({detail})",
            where,
            "check KLAVIYO_BASE_URL / [sources.klaviyo] base_url (default https://a.klaviyo.com)",
            code="404",
        )
    return SyncError(
        f"Klaviyo rejected the request ({status}: {detail})",
        where,
        "check the sync settings (metrics, windows); if they look right, report this with --debug output",
        code=str(status),
    )


def malformed_page(what: str, where: str) -> TransientError:
    return TransientError(
        f"malformed page from Klaviyo: {what}",
        where,
        "nothing was loaded and no cursor moved; run again later, and report it if it persists",
        code="malformed_page",
    )


def _detail(body: bytes) -> str:
    """The first JSON:API error's `detail` (or title), else a short excerpt of the body."""
    try:
        document: Any = orjson.loads(body)
        first = document["errors"][0]
        return str(first.get("detail") or first.get("title") or first.get("code"))
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError):
        text = body[:200].decode("utf-8", "replace").strip()
        return text or "no details"
