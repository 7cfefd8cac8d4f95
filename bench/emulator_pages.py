"""How many 1000-event pages per second the emulator serves (it must never be the bottleneck).

Starts `klaviyo-sync emulator` (1M events, 100k profiles, no rate limits) on 127.0.0.1, then 4 client
threads (http.client keep-alive connections) each walk a quarter of the event history with
page[size]=1000 following links.next. The client reads only what it needs (the `links` object at the
end of each body, and the number of events), so the number measures the emulator rather than client-side
JSON decoding (a full orjson.loads of a 900 kB page costs ~12 ms of the same 2 cores; `--parse` turns it
on). Prints pages/s, events/s and CPU per page of server and client, then
`RESULT emulator_pages_per_s <value> target >= 58` (58 pages/s = Klaviyo's 3500/min ceiling on
/api/events).

`--include attributions,metric` asks for what the loader asks for (attributions of the page's orders and
their metrics in `included`); the client then decodes every page (`--parse`: the links are no longer
the body's last object).

    .venv/bin/python bench/emulator_pages.py [--events N] [--threads T] [--parse] [--include X,Y]
"""

from __future__ import annotations

import argparse
import http.client
import os
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import orjson
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from emulator_process import API_KEY, start_emulator, stop  # noqa: E402

TARGET = 58.0


def server_cpu_seconds(pid: int) -> float:
    """user+system CPU seconds of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _page(body: bytes, parse: bool) -> tuple[int, str | None]:
    """(events on the page, links.next) of a response body."""
    if parse:
        doc = orjson.loads(body)
        return len(doc["data"]), doc["links"]["next"]
    links = orjson.loads(body[body.rindex(b',"links":') + len(b',"links":') : -1])
    return body.count(b'{"type":"event",'), links["next"]


def walk(base: str, since: datetime, until: datetime, counts: list[int], parse: bool, include: str) -> None:
    headers = {"Authorization": f"Klaviyo-API-Key {API_KEY}", "revision": "2026-07-15"}
    window = f"greater-or-equal(datetime,{since.isoformat()}),less-than(datetime,{until.isoformat()})"
    params = {"page[size]": "1000", "sort": "datetime", "filter": window}
    if include:
        params["include"] = include
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)  # keep-alive, light client
    path: str | None = f"/api/events?{urlencode(params)}"
    try:
        while path:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                raise RuntimeError(f"HTTP {resp.status}: {body[:200]!r}")
            rows, next_url = _page(body, parse)
            counts[0] += 1
            counts[1] += rows
            path = None if not next_url else next_url[len(base):]
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--parse", action="store_true", help="decode every page fully on the client")
    parser.add_argument("--include", default="", help="the include parameter, e.g. attributions,metric")
    parser.add_argument("--metrics", type=int, default=21, help="metrics served (21: all of them)")
    args = parser.parse_args()
    args.parse = args.parse or bool(args.include)
    proc, base = start_emulator(args.events, "--no-rate-limits", "--metrics", str(args.metrics),
                                profiles=args.profiles, echo=print)
    try:
        now = datetime.now(timezone.utc)
        start, end = now - timedelta(days=401), now + timedelta(days=31)
        step = (end - start) / args.threads
        counts = [[0, 0] for _ in range(args.threads)]
        threads = [
            threading.Thread(
                target=walk,
                args=(base, start + i * step, start + (i + 1) * step, counts[i], args.parse, args.include),
            )
            for i in range(args.threads)
        ]
        cpu_before, client_before = server_cpu_seconds(proc.pid), time.process_time()
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
        cpu = server_cpu_seconds(proc.pid) - cpu_before
        client_cpu = time.process_time() - client_before
        pages, rows = sum(c[0] for c in counts), sum(c[1] for c in counts)
        stats = requests.get(f"{base}/_emulator/stats", timeout=10).json()
    finally:
        stop(proc)
    assert rows == stats["events"], f"walked {rows} events, emulator holds {stats['events']}"
    print(
        f"{pages} pages, {rows} events in {elapsed:.2f}s; {args.threads} client threads on the same "
        f"2 cores; client-side parse {'on' if args.parse else 'off'}; include {args.include or '-'}"
    )
    print(
        f"emulator CPU {cpu * 1000 / pages:.2f} ms per page "
        f"(= {pages / cpu:.0f} pages/s per busy core if the clients ran elsewhere); "
        f"client CPU {client_cpu * 1000 / pages:.2f} ms per page; machine load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"pages/s {pages / elapsed:.1f}   events/s {rows / elapsed:,.0f}   "
        f"ratio to Klaviyo's 58 pages/s ceiling: {pages / elapsed / TARGET:.1f}x"
    )
    print(f"RESULT emulator_pages_per_s {pages / elapsed:.1f} target >= {TARGET:g}")


if __name__ == "__main__":
    main()
