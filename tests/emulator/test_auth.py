"""Authentication, revision header, scopes and unknown routes answer JSON:API errors."""

from __future__ import annotations

import threading

import pytest
import requests

from tests.emulator.helpers import error_of, get, wait_until


def test_missing_authorization_is_401(emulator):
    resp = get(emulator, "events", headers={"revision": "2026-07-15"})
    assert resp.status_code == 401
    assert error_of(resp)["code"] == "not_authenticated"


def test_wrong_key_and_wrong_scheme_are_401(emulator):
    for auth in ("Klaviyo-API-Key pk_wrong", f"Bearer {emulator.api_key}", "Klaviyo-API-Key"):
        resp = get(emulator, "profiles", headers={"Authorization": auth, "revision": "2026-07-15"})
        assert resp.status_code == 401, auth
        assert error_of(resp)["code"] == "not_authenticated"


def test_revision_header_is_required_and_checked(emulator):
    resp = get(emulator, "metrics", headers={"Authorization": f"Klaviyo-API-Key {emulator.api_key}"})
    assert resp.status_code == 400
    error = error_of(resp)
    assert error["code"] == "invalid" and error["source"]["parameter"] == "revision"
    resp = get(emulator, "metrics", headers=emulator.headers(revision="July 2026"))
    assert resp.status_code == 400
    assert get(emulator, "metrics", headers=emulator.headers(revision="2026-07-15.pre")).status_code == 200


def test_missing_scope_is_403_only_on_that_endpoint(make_emulator):
    emu = make_emulator(scopes=("metrics:read", "profiles:read"))
    resp = get(emu, "events")
    assert resp.status_code == 403
    assert error_of(resp)["code"] == "permission_denied"
    assert "events:read" in error_of(resp)["detail"]
    assert get(emu, "profiles").status_code == 200
    assert get(emu, "metrics").status_code == 200


def test_unknown_path_is_404_and_post_is_405(emulator):
    resp = requests.get(f"{emulator.base_url}/api/templates", headers=emulator.headers(), timeout=10)
    assert resp.status_code == 404
    assert error_of(resp)["code"] == "not_found"
    resp = requests.post(f"{emulator.base_url}/api/events", headers=emulator.headers(), json={}, timeout=10)
    assert resp.status_code == 405
    error_of(resp)


def test_trailing_slash_paths_are_served(emulator):
    resp = requests.get(f"{emulator.base_url}/api/metrics/", headers=emulator.headers(), timeout=10)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/vnd.api+json"
    assert len(resp.json()["data"]) == 21  # every metric of the catalog by default


def test_stop_ends_keep_alive_connections(make_emulator):
    emu = make_emulator()
    with requests.Session() as session:
        assert session.get(f"{emu.base_url}/api/metrics", headers=emu.headers()).status_code == 200
        name = f"klaviyo-emulator-{emu.server.port}-conn"
        handlers = [t for t in threading.enumerate() if t.name == name]
        assert len(handlers) == 1
        emu.server.stop()
        with pytest.raises(requests.exceptions.ConnectionError):
            session.get(f"{emu.base_url}/api/metrics", headers=emu.headers(), timeout=10)
    wait_until(lambda: not any(t.is_alive() for t in handlers), timeout=5)
