"""Seeded fault injection: 429s, 503s, dropped connections, truncated bodies, malformed pages, latency."""

from __future__ import annotations

import time

import orjson
import requests

from loader.emulator import FaultConfig
from tests.emulator.helpers import error_of, get

MIXED = FaultConfig(seed=3, p429=0.15, p503=0.15, p_drop=0.1, p_truncate=0.1, retry_after_s=2)


def _outcomes(emu, n: int) -> list[str]:
    out = []
    with requests.Session() as s:
        for _ in range(n):
            try:
                resp = get(emu, "events", s, **{"page[size]": 50})
            except requests.exceptions.ChunkedEncodingError:
                out.append("truncate")
                continue
            except requests.exceptions.ConnectionError:
                out.append("drop")
                continue
            if resp.status_code == 200:
                try:
                    orjson.loads(resp.content)
                    out.append("200")
                except orjson.JSONDecodeError:
                    out.append("malformed")
            else:
                out.append(str(resp.status_code))
    return out


def test_same_seed_same_faults_in_the_same_order(make_emulator):
    a = make_emulator(faults=MIXED)
    b = make_emulator(faults=MIXED)
    first, second = _outcomes(a, 60), _outcomes(b, 60)
    assert first == second
    assert {"200", "429", "503", "drop", "truncate"} <= set(first)
    faults = a.emulator.stats.as_dict()["faults"]
    assert faults == {k: first.count(k) for k in ("429", "503", "drop", "truncate") if k in first}
    other = make_emulator(faults=FaultConfig(seed=4, p429=0.15, p503=0.15, p_drop=0.1, p_truncate=0.1))
    assert _outcomes(other, 60) != first


def test_injected_errors_are_json_api_with_retry_after(make_emulator):
    emu = make_emulator(faults=FaultConfig(seed=1, p429=1.0, retry_after_s=2))
    resp = get(emu, "profiles")
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "2"
    assert error_of(resp)["code"] == "throttled"
    emu.emulator.set_faults(FaultConfig(seed=1, p503=1.0))
    resp = get(emu, "profiles")
    assert resp.status_code == 503
    assert error_of(resp)["code"] == "service_unavailable"
    emu.emulator.set_faults(FaultConfig())
    assert get(emu, "profiles").status_code == 200


def test_malformed_pages_and_latency(make_emulator):
    emu = make_emulator(faults=FaultConfig(malformed_pages=(2,)))
    assert _outcomes(emu, 3) == ["200", "malformed", "200"]
    emu.emulator.set_faults(FaultConfig(latency_ms=150))
    started = time.perf_counter()
    assert get(emu, "metrics").status_code == 200
    assert time.perf_counter() - started >= 0.15


def test_faults_set_over_the_control_endpoint(emulator):
    resp = requests.post(f"{emulator.base_url}/_emulator/faults", json={"seed": 1, "p503": 1.0}, timeout=10)
    assert resp.status_code == 200
    assert get(emulator, "events").status_code == 503
    requests.post(f"{emulator.base_url}/_emulator/faults", json={}, timeout=10)
    assert get(emulator, "events").status_code == 200
    stats = requests.get(f"{emulator.base_url}/_emulator/stats", timeout=10).json()
    assert stats["faults"] == {"503": 1} and stats["pages"] == 1 and stats["requests"] == 2
    for body in ({"p_fire": 1}, {"p429": "often"}, {"p503": 1.5}, [1]):
        bad = requests.post(f"{emulator.base_url}/_emulator/faults", json=body, timeout=10)
        assert bad.status_code == 400, body
    bad = requests.post(f"{emulator.base_url}/_emulator/grow", json={"new_events": "many"}, timeout=10)
    assert bad.status_code == 400
