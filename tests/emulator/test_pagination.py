"""Keyset pagination: complete, absolute links, prev links, stable while data grows between pages."""

from __future__ import annotations

import base64
import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
import requests

from tests.emulator.helpers import error_of, fetch_all, get


def test_events_pages_cover_everything_once_in_order(emulator):
    truth = [e["id"] for e in emulator.emulator.truth.events()]
    got = fetch_all(emulator, "events", sort="datetime", **{"page[size]": 70})
    assert [e["id"] for e in got] == truth
    desc = fetch_all(emulator, "events", sort="-datetime", **{"page[size]": 333})
    assert [e["id"] for e in desc] == truth[::-1]
    assert len(set(truth)) == len(truth) == 1505


def test_profiles_and_metrics_pages_cover_everything(emulator):
    truth = emulator.emulator.truth
    assert [p["id"] for p in fetch_all(emulator, "profiles", **{"page[size]": 7})] == [
        p["id"] for p in truth.profiles()]
    for sort in ("updated", "-created", "email"):
        assert len({p["id"] for p in fetch_all(emulator, "profiles", sort=sort, **{"page[size]": 50})}) == 120
    assert fetch_all(emulator, "metrics") == truth.metrics()


def test_links_are_absolute_and_keep_the_query(emulator):
    doc = get(emulator, "events", sort="-datetime", filter="greater-than(timestamp,0)",
              **{"page[size]": 10}).json()
    nxt = urlsplit(doc["links"]["next"])
    assert f"{nxt.scheme}://{nxt.netloc}" == emulator.base_url and nxt.path == "/api/events/"
    query = parse_qs(nxt.query)
    assert query["sort"] == ["-datetime"] and query["page[size]"] == ["10"]
    assert query["filter"] == ["greater-than(timestamp,0)"]
    assert "datetime" not in query["page[cursor]"][0]  # opaque
    assert doc["links"]["prev"] is None
    assert doc["links"]["self"].startswith(emulator.base_url)


@pytest.mark.parametrize(("endpoint", "sort", "size"),
                         [("profiles", "id", 25), ("profiles", "-updated", 30), ("events", "-datetime", 400)])
def test_prev_links_walk_back_to_the_first_page(emulator, endpoint, sort, size):
    pages = []
    url = None
    with requests.Session() as s:
        resp = get(emulator, endpoint, s, sort=sort, **{"page[size]": size})
        while True:
            doc = resp.json()
            pages.append([row["id"] for row in doc["data"]])
            url = doc["links"]["next"]
            if not url:
                break
            resp = s.get(url, headers=emulator.headers())
        back = []
        while doc["links"]["prev"]:
            doc = s.get(doc["links"]["prev"], headers=emulator.headers()).json()
            back.append([row["id"] for row in doc["data"]])
    assert len(pages) > 2
    assert back == pages[:-1][::-1]


def test_bad_cursors_are_400(emulator):
    for cursor in ("not-a-cursor", "eyJmb28iOjF9"):
        resp = get(emulator, "events", **{"page[cursor]": cursor})
        assert resp.status_code == 400
        assert error_of(resp)["source"]["parameter"] == "page[cursor]"
    forged = base64.urlsafe_b64encode(orjson.dumps({"s": "id", "k": 5, "t": 0, "b": 0})).decode()
    resp = get(emulator, "profiles", sort="id", **{"page[cursor]": forged})
    assert resp.status_code == 400
    assert error_of(resp)["source"]["parameter"] == "page[cursor]"
    nxt = get(emulator, "events", sort="datetime").json()["links"]["next"]
    cursor = parse_qs(urlsplit(nxt).query)["page[cursor]"][0]
    resp = get(emulator, "events", sort="-datetime", **{"page[cursor]": cursor})
    assert resp.status_code == 400
    assert error_of(resp)["source"]["parameter"] == "page[cursor]"


@pytest.mark.parametrize(("endpoint", "params"), [
    ("events", {"sort": "datetime", "page[size]": 37}),
    ("events", {"sort": "-timestamp", "page[size]": 101}),
    ("profiles", {"sort": "email", "page[size]": 9}),
    ("profiles", {"sort": "-updated", "page[size]": 11}),
])
def test_a_cursor_with_a_leading_equals_sign_is_the_same_cursor(emulator, endpoint, params):
    """Klaviyo's Python SDK sends `page[cursor]==<cursor>` when given a links.next URL (see
    test_sdk_client.py); the real API takes it, so does the emulator: every page of a walk is the same."""
    with requests.Session() as s:
        doc = get(emulator, endpoint, s, **params).json()
        pages = 0
        while doc["links"]["next"]:
            cursor = parse_qs(urlsplit(doc["links"]["next"]).query)["page[cursor]"][0]
            plain = get(emulator, endpoint, s, **params, **{"page[cursor]": cursor})
            prefixed = get(emulator, endpoint, s, **params, **{"page[cursor]": f"={cursor}"})
            assert prefixed.status_code == plain.status_code == 200, prefixed.text
            assert prefixed.json()["data"] == plain.json()["data"]
            assert prefixed.json()["links"]["next"] == plain.json()["links"]["next"]
            doc, pages = plain.json(), pages + 1
    assert pages >= 4


def test_inserts_between_pages_never_skip_or_repeat(emulator):
    emu = emulator.emulator
    original = [e["id"] for e in emu.truth.events()]
    with requests.Session() as s:
        doc = get(emulator, "events", s, **{"page[size]": 200}).json()
        seen = [e["id"] for e in doc["data"]]
        cursor_dt = datetime.fromisoformat(doc["data"][-1]["attributes"]["datetime"])
        # late events land before the cursor, new and future ones after it
        late_by = datetime.now(timezone.utc) - cursor_dt + timedelta(days=1)
        emu.grow(new_events=30, late_events=10, late_by=late_by, future_events=5)
        while doc["links"]["next"]:
            doc = s.get(doc["links"]["next"], headers=emulator.headers()).json()
            seen += [e["id"] for e in doc["data"]]
    assert len(seen) == len(set(seen))
    assert set(original) <= set(seen)
    added = {e["id"]: e for e in emu.truth.events()}.keys() - set(original)
    assert len(added) == 45
    late = {e["id"] for e in emu.truth.events(until=cursor_dt)} & added
    assert len(late) == 10
    assert set(seen) - set(original) == added - late


def test_cursor_stable_under_concurrent_growth(emulator):
    emu = emulator.emulator
    original = {e["id"] for e in emu.truth.events()}
    stop = threading.Event()

    def grower() -> None:
        for _ in range(20):  # bounded: each growth adds rows after the cursor for the reader to chase
            if stop.wait(0.01):
                return
            emu.grow(new_events=20, late_events=5, late_by=timedelta(days=100), updated_profiles=3,
                     new_profiles=1)

    thread = threading.Thread(target=grower)
    thread.start()
    try:
        seen = [e["id"] for e in fetch_all(emulator, "events", **{"page[size]": 50})]
    finally:
        stop.set()
        thread.join()
    assert emu.snapshot.generation > 0
    assert len(seen) == len(set(seen))
    assert original <= set(seen)
    assert set(seen) <= {e["id"] for e in emu.truth.events()}
