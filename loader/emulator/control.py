"""`/_emulator/*` control endpoints (no auth; 127.0.0.1 only): accounts, grow, faults, stats, revoke, restore.

When several accounts are served, `?account=<account_id>` (or an `"account"` key in a POST's JSON body)
picks the one a request addresses; without it, the first served account. An unknown account is a 404.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import orjson

from loader.emulator.api import Response
from loader.emulator.config import FaultConfig

if TYPE_CHECKING:
    from loader.emulator.emulator import Emulator

GROW_KEYS = ("new_events", "late_events", "future_events", "updated_profiles", "new_profiles")


def _json(status: int, payload: Any) -> Response:
    return Response(status, orjson.dumps(payload))


def _grow(emulator: Emulator, body: dict[str, Any]) -> Response:
    unknown = set(body) - {*GROW_KEYS, "late_by_seconds"}
    if unknown:
        return _json(400, {"error": f"unknown grow keys: {sorted(unknown)}"})
    kwargs: dict[str, Any] = {k: int(body[k]) for k in GROW_KEYS if k in body}
    if "late_by_seconds" in body:
        kwargs["late_by"] = timedelta(seconds=float(body["late_by_seconds"]))
    emulator.grow(**kwargs)
    return _json(200, {"account_id": emulator.account_id, **emulator.counts()})


def _faults(emulator: Emulator, body: dict[str, Any]) -> Response:
    known = {f.name for f in fields(FaultConfig)}
    unknown = set(body) - known
    if unknown:
        return _json(400, {"error": f"unknown fault keys: {sorted(unknown)}"})
    if "malformed_pages" in body:
        body["malformed_pages"] = tuple(body["malformed_pages"])
    emulator.set_faults(FaultConfig(**body))
    return _json(200, {"account_id": emulator.account_id, "faults": body})


def _key(emulator: Emulator, revoke: bool) -> Response:
    if revoke:
        emulator.revoke_key()
    else:
        emulator.restore_key()
    return _json(200, {"account_id": emulator.account_id, "key_revoked": emulator.key_revoked})


def _pick(emulators: Sequence[Emulator], account: str | None) -> Emulator | None:
    if account is None:
        return emulators[0]
    return next((e for e in emulators if e.account_id == account), None)


def handle(emulators: Sequence[Emulator], method: str, path: str, body: bytes,
           query: Sequence[tuple[str, str]] = ()) -> Response:
    try:
        payload = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        return _json(400, {"error": "body is not JSON"})
    if method == "POST" and not isinstance(payload, dict):
        return _json(400, {"error": "body must be a JSON object"})
    account = dict(query).get("account")
    if isinstance(payload, dict) and "account" in payload:
        account = str(payload.pop("account"))
    if method == "GET" and path == "/_emulator/accounts":
        return _json(200, {"accounts": [e.describe() for e in emulators]})
    emulator = _pick(emulators, account)
    if emulator is None:
        known = [e.account_id for e in emulators]
        return _json(404, {"error": f"no served account {account!r}; served: {known}"})
    if method == "GET" and path == "/_emulator/stats":
        stats = emulator.stats.as_dict()
        return _json(200, {"account_id": emulator.account_id, **stats, **emulator.counts()})
    if method == "POST" and path in ("/_emulator/revoke", "/_emulator/restore"):
        return _key(emulator, revoke=path.endswith("revoke"))
    if method == "POST" and path in ("/_emulator/grow", "/_emulator/faults"):
        try:
            return _grow(emulator, payload) if path.endswith("grow") else _faults(emulator, payload)
        except (TypeError, ValueError) as exc:
            return _json(400, {"error": f"bad value: {exc}"})
    return _json(404, {"error": f"no control endpoint {method} {path}"})
