"""GET /api/accounts and GET /api/accounts/{id}: the key's own account, and only that one."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

import orjson

from loader.emulator.account_resources import ACCOUNT_FIELDS, render_account
from loader.emulator.account_state import AccountState
from loader.emulator.errors import ApiError
from loader.emulator.operation import Operation, Page
from loader.emulator.query import EndpointSpec, Query
from loader.emulator.ratelimit import Bucket

LIST_SPEC = EndpointSpec("accounts", frozenset({"fields[account]"}), {}, (), "", None, (),
                         {"account": ACCOUNT_FIELDS})
ONE_SPEC = EndpointSpec("account", frozenset({"fields[account]"}), {}, (), "", None, (),
                        {"account": ACCOUNT_FIELDS})


def _self_url(base: str, path: str, q: Query) -> str:
    return f"{base}{path}?{urlencode(q.params)}" if q.params else f"{base}{path}"


def serve_accounts(account: AccountState, q: Query, path: Mapping[str, str]) -> Page:
    """The collection: exactly the key's own account ("This will return 1 account object")."""
    base = account.base_url
    doc = {"data": [render_account(account.config, base, q.fields.get("account"))],
           "links": {"self": _self_url(base, "/api/accounts/", q), "next": None, "prev": None}}
    return Page(orjson.dumps(doc), 1)


def serve_account(account: AccountState, q: Query, path: Mapping[str, str]) -> Page:
    """One account: only the key's own ("You can only request the account by which the private API key
    was generated"); any other id, another served account's included, is 404 as for an id that does
    not exist, so a key learns nothing about other accounts."""
    base, account_id = account.base_url, path["id"]
    if account_id != account.account_id:
        raise ApiError(404, "not_found", f"An account with id {account_id} was not found.")
    doc = {"data": render_account(account.config, base, q.fields.get("account")),
           "links": {"self": _self_url(base, f"/api/accounts/{account_id}/", q)}}
    return Page(orjson.dumps(doc), 1)


ROUTES = (
    Operation("/api/accounts", "accounts:read", LIST_SPEC, Bucket("accounts", 1, 15), serve_accounts),
    # its own operation, with its own budget of the same tier
    Operation("/api/accounts/{id}", "accounts:read", ONE_SPEC, Bucket("account", 1, 15), serve_account),
)
