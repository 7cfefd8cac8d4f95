"""The served dashboard (`dashboard --serve`): a real click on a real Pause button in headless
Chromium pauses one account's events in the ledger, and the next run skips them; requests without
the token, with a wrong one, a GET to the action URL or another Host change nothing."""

from __future__ import annotations

import http.client
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from loader.errors import SyncError
from loader.ledger import statuses
from loader.ledger.store import LedgerStore
from loader.ops.dashboard import CONTROL_PATH, DashboardServer, dashboard_server
from loader.ops.runner import run_guarded
from loader.sync_observer import Unit
from tests.fixtures.chromium import LiveChromium
from tests.fixtures.fake_loader import KEYS, FakeLoader, two_accounts

ROW = '#panel-periodic tr[data-account="{}"][data-object="{}"]'




@pytest.fixture
def served(duckdb_root: Path, fake_loader: FakeLoader) -> Iterator[DashboardServer]:
    run_guarded(two_accounts(duckdb_root))  # both accounts Completed: rows on both tabs
    store = LedgerStore.open("duckdb", str(duckdb_root / "pipelines"))
    server = dashboard_server(store, 0, accounts=("acme", "beta"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)
        assert not thread.is_alive()


def _request(server: DashboardServer, method: str, path: str, body: dict[str, str] | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        data = urllib.parse.urlencode(body).encode() if body is not None else None
        sent = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        connection.request(method, path, body=data, headers=sent)
        reply = connection.getresponse()
        return reply.status, reply.read().decode()
    finally:
        connection.close()


def _paused(duckdb_root: Path) -> set[Unit]:
    controls = LedgerStore.open("duckdb", str(duckdb_root / "pipelines")).controls()
    return {unit for unit, control in controls.items() if control.paused}


def test_pause_button_in_chromium_pauses_one_accounts_events(
    served: DashboardServer, live_chromium: LiveChromium, duckdb_root: Path, fake_loader: FakeLoader
) -> None:
    page = live_chromium.page()
    page.goto(served.url)
    page.click("#tab-periodic")
    page.wait_for("!document.getElementById('panel-periodic').hidden", "the Periodic tab")
    assert page.evaluate(f"document.querySelector('{ROW.format('acme', 'events')} .badge').textContent") == (
        statuses.COMPLETED)
    page.click(f'{ROW.format("acme", "events")} button.control[data-action="pause"]')
    # the form POSTs, the server answers 303 to the page, which shows the switch
    page.wait_for(f"document.readyState === 'complete' && document.querySelector("
                  f"'{ROW.format('acme', 'events')} .badge')?.textContent === 'Paused'", "acme/events Paused")
    assert page.evaluate(f"document.querySelector('{ROW.format('beta', 'events')} .badge').textContent") == (
        statuses.COMPLETED)
    assert page.evaluate(f"!!document.querySelector('{ROW.format('acme', 'events')} "
                         "button.control[data-action=\"resume\"]')")
    assert _paused(duckdb_root) == {Unit("acme", "events")}
    html = page.evaluate("document.documentElement.outerHTML")
    assert isinstance(html, str) and all(key not in html for key in KEYS.values())

    run_guarded(two_accounts(duckdb_root))  # the run honours the switch set from the page
    assert fake_loader.calls[-1] == {"acme": ("profiles",), "beta": ("profiles", "events")}

    page.click("#tab-periodic")
    page.click(f'{ROW.format("acme", "events")} button.control[data-action="resume"]')
    page.wait_for(f"document.querySelector('{ROW.format('acme', 'events')} button.control')"
                  "?.dataset.action === 'pause'", "the Pause button back")
    assert _paused(duckdb_root) == set()


def test_changes_need_the_token_and_a_post(served: DashboardServer, duckdb_root: Path) -> None:
    form = {"action": "pause", "account": "acme", "object": "events"}
    assert _request(served, "POST", CONTROL_PATH, form)[0] == 403  # no token
    assert _request(served, "POST", CONTROL_PATH, {**form, "token": "wrong"})[0] == 403
    wrong = {"X-Klaviyo-Sync-Token": served.token + "x"}
    assert _request(served, "POST", CONTROL_PATH, form, wrong)[0] == 403
    assert _request(served, "GET", f"{CONTROL_PATH}?{urllib.parse.urlencode({**form, 'token': served.token})}"
                    )[0] == 405
    assert _request(served, "GET", "/")[0] == 403  # the page (which holds the token) needs it too
    evil = {"Host": "evil.example:80"}  # DNS rebinding: another name pointing at 127.0.0.1
    assert _request(served, "POST", CONTROL_PATH, {**form, "token": served.token}, evil)[0] == 403
    with_token = {**form, "token": served.token}
    for origin in ("http://127.0.0.1:1", "null"):  # another local page, a sandboxed or file: page
        assert _request(served, "POST", CONTROL_PATH, with_token, {"Origin": origin})[0] == 403
    unknown = {**form, "account": "gamma", "token": served.token}
    assert _request(served, "POST", CONTROL_PATH, unknown)[0] == 400
    assert _paused(duckdb_root) == set()  # nothing changed

    status, _ = _request(served, "POST", CONTROL_PATH, form, {"X-Klaviyo-Sync-Token": served.token})
    assert status == 303 and _paused(duckdb_root) == {Unit("acme", "events")}
    status, page = _request(served, "GET", f"/?token={served.token}")
    assert status == 200 and 'data-action="resume" data-account="acme" data-object="events"' in page


def test_serves_on_loopback_only(duckdb_root: Path) -> None:
    store = LedgerStore.open("duckdb", str(duckdb_root / "pipelines"))
    with pytest.raises(SyncError, match=r"127\.0\.0\.1 only"):
        dashboard_server(store, 0, host="0.0.0.0")
