"""The account resource of `GET /api/accounts` and `GET /api/accounts/{id}` (one account per key)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson

from loader.emulator.config import EmulatorConfig
from loader.emulator.errors import ApiError
from loader.emulator.query import Query
from loader.emulator.resources import sparse


def render_account(config: EmulatorConfig, base: str, fields: list[str] | None = None) -> dict[str, Any]:
    account_id = config.effective_account_id
    return {
        "type": "account",
        "id": account_id,
        "attributes": sparse(config.account_attributes(), fields),
        "links": {"self": f"{base}/api/accounts/{account_id}/"},
    }


def _self_url(base: str, path: str, q: Query) -> str:
    return f"{base}{path}?{urlencode(q.params)}" if q.params else f"{base}{path}"


def serve_accounts(config: EmulatorConfig, q: Query, base: str) -> bytes:
    """The collection: exactly the key's own account ("This will return 1 account object")."""
    doc = {"data": [render_account(config, base, q.fields.get("account"))],
           "links": {"self": _self_url(base, "/api/accounts/", q), "next": None, "prev": None}}
    return orjson.dumps(doc)


def serve_account(config: EmulatorConfig, q: Query, base: str, account_id: str) -> bytes:
    """One account: only the key's own ("You can only request the account by which the private API key
    was generated"); any other id, another served account's included, is 404 as for an id that does
    not exist, so a key learns nothing about other accounts."""
    if account_id != config.effective_account_id:
        raise ApiError(404, "not_found", f"An account with id {account_id} was not found.")
    doc = {"data": render_account(config, base, q.fields.get("account")),
           "links": {"self": _self_url(base, f"/api/accounts/{account_id}/", q)}}
    return orjson.dumps(doc)
