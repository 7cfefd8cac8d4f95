"""One `/api/*` request from headers and query to (status, headers, body): auth, revision, scopes,
query validation, rate limits, then the page. Faults are applied around this by the server."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import orjson

from loader.emulator import query
from loader.emulator.endpoints import SERVERS
from loader.emulator.errors import ApiError, invalid, throttled

if TYPE_CHECKING:
    from loader.emulator.emulator import Emulator

REVISION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[A-Za-z0-9]+)?$")
CONTENT_TYPE = "application/vnd.api+json"


@dataclass
class Response:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)


def error_response(error: ApiError) -> Response:
    return Response(error.status, orjson.dumps(error.body()), list(error.headers.items()))


def _authorize(emulator: Emulator, endpoint: str, headers: dict[str, str]) -> None:
    auth = headers.get("authorization", "")
    scheme, _, key = auth.partition(" ")
    if scheme != "Klaviyo-API-Key" or not key:
        raise ApiError(401, "not_authenticated", "Authentication credentials were not provided.")
    if key.strip() != emulator.config.api_key:
        raise ApiError(401, "not_authenticated", "Incorrect authentication credentials.")
    revision = headers.get("revision")
    if not revision:
        raise invalid("The 'revision' header is required (format: YYYY-MM-DD[.suffix]).", "revision")
    if not REVISION.match(revision):
        raise invalid(f"'{revision}' is not a valid revision (format: YYYY-MM-DD[.suffix]).", "revision")
    scope = f"{endpoint}:read"
    if scope not in emulator.config.scopes:
        raise ApiError(403, "permission_denied",
                       f"You do not have permission to perform this action. Missing scope: {scope}.")


def handle(emulator: Emulator, endpoint: str, headers: dict[str, str], params: list[tuple[str, str]],
           base: str) -> Response:
    """Answer one list request; `headers` keys are lower-case."""
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
        page = SERVERS[endpoint](emulator.snapshot, q, base)
    except ApiError as error:
        emulator.stats.count_status(error.status)
        return error_response(error)
    emulator.stats.count_page(endpoint, page.rows)
    return Response(200, page.body, limit_headers)
