"""One `/api/*` request from headers and query to (status, headers, body): auth, revision, scopes,
query validation, rate limits, then the page. Faults are applied around this by the server."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import orjson

from loader.emulator import query
from loader.emulator.account_resources import serve_account, serve_accounts
from loader.emulator.endpoints import SERVERS
from loader.emulator.errors import ApiError, invalid, throttled

if TYPE_CHECKING:
    from loader.emulator.emulator import Emulator

REVISION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[A-Za-z0-9]+)?$")
CONTENT_TYPE = "application/vnd.api+json"
# endpoint (one per operation; also its rate-limit bucket) -> the scope it needs
SCOPES = {"events": "events:read", "profiles": "profiles:read", "metrics": "metrics:read",
          "accounts": "accounts:read", "account": "accounts:read"}


@dataclass
class Response:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)


def error_response(error: ApiError) -> Response:
    return Response(error.status, orjson.dumps(error.body()), list(error.headers.items()))


def request_key(headers: dict[str, str]) -> str | None:
    """The private key of `Authorization: Klaviyo-API-Key <key>` (lower-case header names), or None."""
    scheme, _, key = headers.get("authorization", "").partition(" ")
    return (key.strip() or None) if scheme == "Klaviyo-API-Key" else None


def not_authenticated(provided: bool) -> ApiError:
    detail = ("Incorrect authentication credentials." if provided
              else "Authentication credentials were not provided.")
    return ApiError(401, "not_authenticated", detail)


def _authorize(emulator: Emulator, endpoint: str, headers: dict[str, str]) -> None:
    key = request_key(headers)
    if key is None:
        raise not_authenticated(False)
    if key != emulator.config.api_key or emulator.key_revoked:
        raise not_authenticated(True)
    revision = headers.get("revision")
    if not revision:
        raise invalid("The 'revision' header is required (format: YYYY-MM-DD[.suffix]).", "revision")
    if not REVISION.match(revision):
        raise invalid(f"'{revision}' is not a valid revision (format: YYYY-MM-DD[.suffix]).", "revision")
    scope = SCOPES[endpoint]
    if scope not in emulator.config.scopes:
        raise ApiError(403, "permission_denied",
                       f"You do not have permission to perform this action. Missing scope: {scope}.")


def handle(emulator: Emulator, endpoint: str, headers: dict[str, str], params: list[tuple[str, str]],
           base: str, resource_id: str | None = None) -> Response:
    """Answer one request (a list, or with `resource_id` the single account); `headers` keys are
    lower-case."""
    try:
        _authorize(emulator, endpoint, headers)
        q = query.parse(query.SPECS[endpoint], params)
        limit_headers: list[tuple[str, str]] = []
        if emulator.rate_limiter is not None:
            buckets = [endpoint]
            if "predictive_analytics" in q.additional:
                buckets.append("profiles:predictive_analytics")
            decision = emulator.rate_limiter.check(buckets)
            if not decision.allowed:
                emulator.stats.count_throttled(endpoint)
                raise throttled(decision.retry_after)
            limit_headers = list(decision.headers)
        if endpoint == "accounts":
            body, rows = serve_accounts(emulator.config, q, base), 1
        elif endpoint == "account":
            body, rows = serve_account(emulator.config, q, base, resource_id or ""), 1
        else:
            page = SERVERS[endpoint](emulator.snapshot, q, base)
            body, rows = page.body, page.rows
    except ApiError as error:
        emulator.stats.count_status(error.status)
        return error_response(error)
    emulator.stats.count_page(endpoint, rows)
    return Response(200, body, limit_headers)
