"""Small HTTP helpers for emulator tests (real requests over 127.0.0.1)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from tests.fixtures.emulator import RunningEmulator


def get(emu: RunningEmulator, endpoint: str, session: requests.Session | None = None,
        headers: dict[str, str] | None = None, **params: Any) -> requests.Response:
    http = session or requests
    return http.get(f"{emu.base_url}/api/{endpoint}", params=params,
                    headers=emu.headers() if headers is None else headers, timeout=30)


def fetch_all(emu: RunningEmulator, endpoint: str, **params: Any) -> list[dict[str, Any]]:
    """Every row of a listing, following links.next until it is null."""
    rows: list[dict[str, Any]] = []
    with requests.Session() as session:
        resp = get(emu, endpoint, session, **params)
        while True:
            assert resp.status_code == 200, resp.text
            doc = resp.json()
            rows += doc["data"]
            if not doc["links"]["next"]:
                return rows
            resp = session.get(doc["links"]["next"], headers=emu.headers(), timeout=30)


def error_of(resp: requests.Response) -> dict[str, Any]:
    """The single JSON:API error of a 4xx/5xx response, checked for the fields the spec requires."""
    body = resp.json()
    assert resp.headers["Content-Type"] == "application/vnd.api+json"
    assert len(body["errors"]) == 1
    error = body["errors"][0]
    for key in ("id", "code", "title", "detail"):
        assert isinstance(error[key], str) and error[key], key
    assert error["status"] == resp.status_code
    return error


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)
