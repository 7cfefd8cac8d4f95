"""`/_emulator/*` control endpoints (no auth; 127.0.0.1 only): grow, faults, stats."""

from __future__ import annotations

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
    return _json(200, emulator.counts())


def _faults(emulator: Emulator, body: dict[str, Any]) -> Response:
    known = {f.name for f in fields(FaultConfig)}
    unknown = set(body) - known
    if unknown:
        return _json(400, {"error": f"unknown fault keys: {sorted(unknown)}"})
    if "malformed_pages" in body:
        body["malformed_pages"] = tuple(body["malformed_pages"])
    emulator.set_faults(FaultConfig(**body))
    return _json(200, {"faults": body})


def handle(emulator: Emulator, method: str, path: str, body: bytes) -> Response:
    try:
        payload = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        return _json(400, {"error": "body is not JSON"})
    if method == "GET" and path == "/_emulator/stats":
        return _json(200, {**emulator.stats.as_dict(), **emulator.counts()})
    if method == "POST" and path in ("/_emulator/grow", "/_emulator/faults"):
        if not isinstance(payload, dict):
            return _json(400, {"error": "body must be a JSON object"})
        try:
            return _grow(emulator, payload) if path.endswith("grow") else _faults(emulator, payload)
        except (TypeError, ValueError) as exc:
            return _json(400, {"error": f"bad value: {exc}"})
    return _json(404, {"error": f"no control endpoint {method} {path}"})
