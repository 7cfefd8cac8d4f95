"""`klaviyo-sync emulator` serves in the foreground and stops cleanly on SIGTERM."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

EXE = str(Path(sys.executable).with_name("klaviyo-sync"))


def _start(*args: str, lines: list[str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """Start `klaviyo-sync emulator` and read its output up to the Listening line (kept in `lines`)."""
    proc = subprocess.Popen([EXE, "emulator", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if lines is not None:
            lines.append(line.rstrip("\n"))
        match = re.search(r"Listening on (http://127\.0\.0\.1:\d+)", line)
        if match:
            return proc, match.group(1)
        if not line:
            break
    proc.kill()
    raise AssertionError(f"emulator did not start: {proc.communicate()}")


def test_cli_serves_with_its_key_and_stops_on_sigterm():
    proc, base = _start("--port", "0", "--events", "2000", "--profiles", "40", "--api-key", "pk_cli_test",
                        "--scale", "5")
    try:
        headers = {"Authorization": "Klaviyo-API-Key pk_cli_test", "revision": "2026-07-15"}
        resp = requests.get(f"{base}/api/events", headers=headers, params={"page[size]": 1000}, timeout=10)
        assert resp.status_code == 200 and len(resp.json()["data"]) == 1000
        assert resp.headers["RateLimit-Limit"] == "17500"
        wrong = {**headers, "Authorization": "Klaviyo-API-Key pk_emulator_test_key_0000000000000000"}
        assert requests.get(f"{base}/api/events", headers=wrong, timeout=10).status_code == 401
        assert requests.get(f"{base}/_emulator/stats", timeout=10).json()["events"] == 2005
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "Stopped." in out


def test_cli_port_in_use_is_a_clear_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([EXE, "emulator", "--port", str(port), "--events", "10"], capture_output=True,
                                text=True, timeout=60)
    assert result.returncode == 1
    assert f"Error: cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr


def test_cli_bad_option_is_a_clear_error():
    result = subprocess.run([EXE, "emulator", "--port", "0", "--metrics", "50"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    expected = ("Error: EmulatorConfig.metrics must be between 1 and 21, got 50 "
                "(klaviyo-sync emulator options)")
    assert expected in result.stderr


def test_cli_serves_several_accounts_and_prints_their_keys():
    lines: list[str] = []
    proc, base = _start("--port", "0", "--events", "300", "--profiles", "30", "--api-key", "pk_cli",
                        "--accounts", "3", "--scale", "5", lines=lines)
    try:
        accounts = [re.match(r"  account (\w+): id (\w{6}), api key (\S+)$", line) for line in lines]
        found = [(m.group(1), m.group(2), m.group(3)) for m in accounts if m]
        assert [(name, key) for name, _, key in found] == [
            ("alpha", "pk_cli_alpha"), ("beta", "pk_cli_beta"), ("gamma", "pk_cli_gamma")]
        assert len({account_id for _, account_id, _ in found}) == 3
        assert f"export KLAVIYO_BASE_URL={base}" in lines
        assert "export SOURCES__KLAVIYO__ACCOUNTS__BETA__API_KEY=pk_cli_beta" in lines
        event_ids = []
        for name, account_id, key in found:
            headers = {"Authorization": f"Klaviyo-API-Key {key}", "revision": "2026-07-15"}
            doc = requests.get(f"{base}/api/accounts", headers=headers, timeout=10).json()
            assert doc["data"][0]["id"] == account_id, name
            page = requests.get(f"{base}/api/events", headers=headers, params={"page[size]": 1000},
                                timeout=10).json()
            event_ids.append({e["id"] for e in page["data"]})
        assert event_ids[0] == event_ids[1] == event_ids[2]  # ids collide across the accounts
        stats = requests.get(f"{base}/_emulator/stats", params={"account": found[1][1]}, timeout=10).json()
        assert stats["account_id"] == found[1][1] and stats["requests"] == 2
        wrong = {"Authorization": "Klaviyo-API-Key pk_cli", "revision": "2026-07-15"}
        assert requests.get(f"{base}/api/events", headers=wrong, timeout=10).status_code == 401
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert out.count("Stopped (") == 3
