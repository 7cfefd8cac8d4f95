"""`/_emulator/*` control endpoints (no auth; 127.0.0.1 only): accounts, grow, faults, stats, revoke, restore.

When several accounts are served, `?account=<account_id>` (or an `"account"` key in a POST's JSON body)
picks the one a request addresses; without it, the first served account. An unknown account is a 404.
Answers are JSON objects; an error is `{"error": "..."}` with a 4xx status.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any

import orjson

from loader.emulator.account_state import AccountState
from loader.emulator.config import FaultConfig
from loader.emulator.http_server import Request, Response
from loader.emulator.responses import json_response

PREFIX = "/_emulator/"
GROW_KEYS = ("new_events", "late_events", "future_events", "updated_profiles", "new_profiles",
             "new_campaigns", "edited_campaigns", "archived_campaigns", "deleted_campaigns", "new_flows",
             "edited_flows", "deleted_flows", "late_attributions", "list_joins", "list_leaves",
             "segment_joins", "segment_leaves", "new_lists", "new_segments", "deleted_lists",
             "deleted_segments", "new_suppressions", "deleted_profiles", "merged_profiles")


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class ControlCall:
    """A control request: the served accounts, the account it names (None: the first), its JSON body."""

    accounts: Sequence[AccountState]
    account_id: str | None
    payload: dict[str, Any]

    def account(self) -> AccountState:
        if self.account_id is None:
            return self.accounts[0]
        for account in self.accounts:
            if account.account_id == self.account_id:
                return account
        known = [a.account_id for a in self.accounts]
        raise ControlError(404, f"no served account {self.account_id!r}; served: {known}")


@dataclass(frozen=True)
class ControlRoute:
    method: str
    path: str
    act: Callable[[ControlCall], Response]


def _list_accounts(call: ControlCall) -> Response:
    return json_response(200, {"accounts": [a.describe() for a in call.accounts]})


def _stats(call: ControlCall) -> Response:
    account = call.account()
    return json_response(200, {"account_id": account.account_id, **account.stats.as_dict(),
                               **account.counts()})


def _grow(call: ControlCall) -> Response:
    account, body = call.account(), call.payload
    unknown = set(body) - {*GROW_KEYS, "late_by_seconds"}
    if unknown:
        raise ControlError(400, f"unknown grow keys: {sorted(unknown)}")
    kwargs: dict[str, Any] = {k: int(body[k]) for k in GROW_KEYS if k in body}
    if "late_by_seconds" in body:
        kwargs["late_by"] = timedelta(seconds=float(body["late_by_seconds"]))
    account.grow(**kwargs)
    return json_response(200, {"account_id": account.account_id, **account.counts()})


def _faults(call: ControlCall) -> Response:
    account, body = call.account(), call.payload
    unknown = set(body) - {f.name for f in fields(FaultConfig)}
    if unknown:
        raise ControlError(400, f"unknown fault keys: {sorted(unknown)}")
    if "malformed_pages" in body:
        body["malformed_pages"] = tuple(body["malformed_pages"])
    account.set_faults(FaultConfig(**body))
    return json_response(200, {"account_id": account.account_id, "faults": body})


def _key(revoke: bool) -> Callable[[ControlCall], Response]:
    def act(call: ControlCall) -> Response:
        account = call.account()
        if revoke:
            account.revoke_key()
        else:
            account.restore_key()
        return json_response(200, {"account_id": account.account_id, "key_revoked": account.key_revoked})

    return act


ROUTES = (
    ControlRoute("GET", "/_emulator/accounts", _list_accounts),
    ControlRoute("GET", "/_emulator/stats", _stats),
    ControlRoute("POST", "/_emulator/grow", _grow),
    ControlRoute("POST", "/_emulator/faults", _faults),
    ControlRoute("POST", "/_emulator/revoke", _key(revoke=True)),
    ControlRoute("POST", "/_emulator/restore", _key(revoke=False)),
)


def answer(route: ControlRoute | None, accounts: Sequence[AccountState], request: Request) -> Response:
    """Run a control route (None: a path under PREFIX that no route has, a 404 once the account is
    known). A GET's body is not read."""
    body = request.body if request.method == "POST" else b""
    try:
        payload = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        return json_response(400, {"error": "body is not JSON"})
    if request.method == "POST" and not isinstance(payload, dict):
        return json_response(400, {"error": "body must be a JSON object"})
    account_id = dict(request.query).get("account")
    if isinstance(payload, dict) and "account" in payload:
        account_id = str(payload.pop("account"))
    call = ControlCall(accounts, account_id, payload if isinstance(payload, dict) else {})
    try:
        if route is None:
            call.account()
            raise ControlError(404, f"no control endpoint {request.method} {request.path.rstrip('/')}")
        return route.act(call)
    except ControlError as error:
        return json_response(error.status, {"error": error.message})
    except (TypeError, ValueError) as exc:
        return json_response(400, {"error": f"bad value: {exc}"})
