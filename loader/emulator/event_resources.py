"""Event resources, rendered on demand as JSON text for a page of rows.

Everything derives from seed + event seq. Event properties come from a per-metric pool of 512
pre-serialised variants (chosen by a hash of seq) prefixed with per-event fields (`$event_id`, and
`OrderId` on order metrics), so a 1000-event page renders in a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import orjson

from loader.emulator import catalog, hashing
from loader.emulator.dataset import US, Snapshot
from loader.emulator.resources import iso_many, sparse

VARIANTS = 512
EVENT_FIELDS = ("datetime", "event_properties", "id", "timestamp", "uuid")  # fields[event]
PropsFn = Callable[[float, float, float], dict[str, Any]]


def _order_properties(a: float, b: float, c: float) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for k in range(1 + int(b * 3)):
        name, price = catalog.PRODUCTS[(int(a * 1000) + k * 3) % len(catalog.PRODUCTS)]
        items.append({"ProductName": name, "Quantity": 1 + (k + int(c * 10)) % 2, "ItemPrice": price})
    value = round(sum(i["ItemPrice"] * i["Quantity"] for i in items) * (0.9 if c > 0.8 else 1.0), 2)
    return {
        "$value": value,
        "$currency_code": "USD" if a < 0.7 else "EUR",
        "ItemNames": [i["ProductName"] for i in items],
        "Items": items,
        "Discount Codes": ["WELCOME10"] if c > 0.8 else [],
    }


def _message_properties(a: float, b: float, c: float) -> dict[str, Any]:
    subject = catalog.SUBJECTS[int(a * len(catalog.SUBJECTS))]
    return {
        "Subject": subject,
        "Campaign Name": f"{subject} ({int(b * 52) + 1:02d})",
        "$message": f"M{int(c * 1e6):06d}",
        "Email Domain": ("gmail.com", "outlook.com", "example.com")[int(b * 3)],
    }


def _site_properties(a: float, b: float, c: float) -> dict[str, Any]:
    name, price = catalog.PRODUCTS[int(a * len(catalog.PRODUCTS))]
    return {
        "URL": f"https://shop.example.com/products/{name.lower().replace(' ', '-')}",
        "ProductName": name,
        "Price": price,
        "page_views": 1 + int(b * 20),
        "$value": 0 if c < 0.5 else None,
    }


def _builder(name: str) -> PropsFn:
    if name in catalog.ORDER_METRICS:
        return _order_properties
    if name in catalog.EMAIL_METRICS or "SMS" in name or "List" in name:
        return _message_properties
    return _site_properties


def _pools(snap: Snapshot) -> list[list[str]]:
    """Per metric, VARIANTS serialised property objects without their opening brace (cached)."""
    pools = snap.cache.get("event_property_pools")
    if pools is None:
        pools = []
        variants = np.arange(VARIANTS)
        for metric in snap.metrics:
            salt = snap.seed * 13 + metric.index * 8
            draws = zip(*(hashing.unit(variants, salt + k).tolist() for k in (1, 2, 3)), strict=True)
            build = _builder(metric.name)
            pools.append([orjson.dumps(build(a, b, c)).decode()[1:] for a, b, c in draws])
        snap.cache["event_property_pools"] = pools
    return pools


def render_event_texts(snap: Snapshot, positions: np.ndarray, base: str) -> list[str]:
    """The JSON text of each event at the given row positions (in that order)."""
    ev = snap.events
    seq = ev.seq[positions]
    dt_us = ev.dt_us[positions]
    ids = hashing.event_ids(seq, snap.ids_seed).tolist()
    uuids = hashing.uuids(seq, snap.seed).tolist()
    datetimes = iso_many(dt_us)
    stamps = (dt_us // US).tolist()
    metric_idx = ev.metric[positions].tolist()
    profile_ids = snap.profiles.ids[ev.profile[positions]].tolist()
    variant = (hashing.mix(seq, snap.seed * 13) % np.uint64(VARIANTS)).tolist()
    pools = _pools(snap)
    metric_ids = [m.id for m in snap.metrics]
    is_order = [m.name in catalog.ORDER_METRICS for m in snap.metrics]
    out = []
    for i, s in enumerate(seq.tolist()):
        eid, mi = ids[i], metric_idx[i]
        own = f'"$event_id":"{s}","OrderId":"#{100000 + s}",' if is_order[mi] else f'"$event_id":"{s}",'
        rel = f"{base}/api/events/{eid}/"
        out.append(
            f'{{"type":"event","id":"{eid}","attributes":{{"timestamp":{stamps[i]},'
            f'"event_properties":{{{own}{pools[mi][variant[i]]},"datetime":"{datetimes[i]}",'
            f'"uuid":"{uuids[i]}"}},"relationships":{{'
            f'"profile":{{"data":{{"type":"profile","id":"{profile_ids[i]}"}},"links":{{'
            f'"self":"{rel}relationships/profile/","related":"{rel}profile/"}}}},'
            f'"metric":{{"data":{{"type":"metric","id":"{metric_ids[mi]}"}},"links":{{'
            f'"self":"{rel}relationships/metric/","related":"{rel}metric/"}}}}}},'
            f'"links":{{"self":"{rel}"}}}}'
        )
    return out


def render_events(snap: Snapshot, positions: np.ndarray, base: str,
                  fields: list[str] | None = None) -> list[dict[str, Any]]:
    """JSON:API event dicts for the given row positions (in that order)."""
    docs = [orjson.loads(text) for text in render_event_texts(snap, positions, base)]
    if fields is not None:
        for doc in docs:
            doc["attributes"] = sparse(doc["attributes"], fields)
    return docs
