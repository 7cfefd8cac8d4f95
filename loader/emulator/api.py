"""One `/api/*` request to one account, from headers and query to a response: auth, revision, scope,
query validation, rate limits, then the operation's page. Faults are applied around this (see app.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from loader.emulator import query
from loader.emulator.account_state import AccountState
from loader.emulator.errors import ApiError, invalid, throttled
from loader.emulator.http_server import Response
from loader.emulator.operation import Operation
from loader.emulator.responses import document_response, error_response
from loader.emulator.routes import SCOPES as SCOPES  # operation -> scope, kept importable from here

REVISION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[A-Za-z0-9]+)?$")


def request_key(headers: Mapping[str, str]) -> str | None:
    """The private key of `Authorization: Klaviyo-API-Key <key>` (lower-case header names), or None."""
    scheme, _, key = headers.get("authorization", "").partition(" ")
    return (key.strip() or None) if scheme == "Klaviyo-API-Key" else None


def not_authenticated(provided: bool) -> ApiError:
    detail = ("Incorrect authentication credentials." if provided
              else "Authentication credentials were not provided.")
    return ApiError(401, "not_authenticated", detail)


def _authorize(account: AccountState, scopes: tuple[str, ...], headers: Mapping[str, str]) -> None:
    key = request_key(headers)
    if key is None:
        raise not_authenticated(False)
    if key != account.config.api_key or account.key_revoked:
        raise not_authenticated(True)
    revision = headers.get("revision")
    if not revision:
        raise invalid("The 'revision' header is required (format: YYYY-MM-DD[.suffix]).", "revision")
    if not REVISION.match(revision):
        raise invalid(f"'{revision}' is not a valid revision (format: YYYY-MM-DD[.suffix]).", "revision")
    for scope in scopes:
        if scope not in account.config.scopes:
            raise ApiError(403, "permission_denied",
                           f"You do not have permission to perform this action. Missing scope: {scope}.")


def answer(account: AccountState, operation: Operation, headers: Mapping[str, str],
           params: list[tuple[str, str]], path: Mapping[str, str]) -> Response:
    """Answer one request of `operation` with its path parameters; `headers` keys are lower-case."""
    try:
        _authorize(account, operation.scopes, headers)
        q = query.parse(operation.spec, params)
        limit_headers: tuple[tuple[str, str], ...] = ()
        if account.rate_limiter is not None:
            decision = account.rate_limiter.check(operation.buckets(q))
            if not decision.allowed:
                account.stats.count_throttled(operation.name)
                raise throttled(decision.retry_after)
            limit_headers = decision.headers
        page = operation.serve(account, q, path)
    except ApiError as error:
        account.stats.count_status(error.status)
        return error_response(error)
    account.stats.count_page(operation.name, page.rows)
    return document_response(200, page.body, limit_headers)
