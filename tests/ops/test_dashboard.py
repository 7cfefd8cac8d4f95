"""The dashboard page rendered by headless Chromium: tabs switch, rows and statuses, the error drawer."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from loader.errors import SyncError
from loader.ledger import statuses
from loader.ops.controls import set_control
from loader.ops.dashboard import write_dashboard
from loader.ops.retry_policy import RetryPolicy
from tests.fixtures.chromium import Chromium
from tests.ops.conftest import ALWAYS_MALFORMED, Ops

pytestmark = pytest.mark.integration
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _selftest(dom: str) -> dict:  # type: ignore[type-arg]
    match = re.search(r'<pre id="selftest-result">(.*?)</pre>', dom, re.DOTALL)
    assert match and match.group(1), "the page's self-test wrote nothing"
    return json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def test_dashboard_in_headless_chromium(ops: Ops, chromium: Chromium) -> None:
    ops.run()  # historical: Completed
    ops.emulator.emulator.set_faults(ALWAYS_MALFORMED)
    with pytest.raises(SyncError):
        ops.run(policy=RetryPolicy(attempts=2, backoff_seconds=0.05))  # periodic: Errored, then Failed
    set_control(ops.store(), "pause", ["profiles"])

    page = write_dashboard(ops.store(), ops.root / "dashboard.html")
    html = page.read_text()
    assert "<script src" not in html and "<link" not in html and "http" not in html.split("<body")[0]
    assert ops.emulator.api_key not in html

    result = _selftest(chromium.dump_dom(page.as_uri() + "?selftest=1"))
    assert result["periodic_shown"] and result["historical_shown"]
    assert {r["name"]: r["status"] for r in result["historical_rows"]} == dict.fromkeys(
        ("profiles", "events", "metrics"), statuses.COMPLETED)
    assert {r["name"]: r["status"] for r in result["periodic_rows"]} == {
        "profiles": statuses.PAUSED, "events": statuses.FAILED, "metrics": statuses.FAILED,
    }
    assert result["drawer_closed_before"] and result["drawer_open"]
    drawer = result["drawer_errors"]
    assert drawer and {e["code"] for e in drawer} == {"malformed_page"}
    assert all(e["summary"] and e["external_message"] and e["date"].endswith("UTC") for e in drawer)
    assert result["chart_lines"] == 3

    dom = chromium.dump_dom(page.as_uri())  # as a user first sees it: Historical tab, drawer closed
    assert re.search(r'id="errors-24h">2<', dom) and re.search(r'id="connection-status"[^>]*>Enabled<', dom)
    assert re.search(r'<section class="panel" id="panel-periodic"[^>]*hidden', dom)
    assert re.search(r'<aside id="drawer"[^>]*hidden', dom)

    shot = chromium.screenshot(page.as_uri() + "?selftest=1", ARTIFACTS / "ops-dashboard.png")
    assert shot.stat().st_size > 10_000  # a rendered page, not a blank image


def test_dashboard_served_on_loopback(ops: Ops) -> None:
    import threading
    import urllib.request

    from loader.ops.dashboard import dashboard_server

    ops.run()
    server = dashboard_server(ops.store(), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        with urllib.request.urlopen(server.url, timeout=60) as response:
            page = response.read().decode()
        assert response.status == 200 and 'id="panel-periodic"' in page
        assert page.count('<tr data-object="events" data-account="default">') == 2  # one row on each tab
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
