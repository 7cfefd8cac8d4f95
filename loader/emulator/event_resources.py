"""Event resources, rendered on demand for a page of rows (properties derive from seed + event seq)."""

from __future__ import annotations

from typing import Any

import numpy as np

from loader.emulator import catalog, hashing
from loader.emulator.dataset import US, Snapshot
from loader.emulator.resources import iso_many, relationship, sparse


def _order_properties(seq: int, a: float, b: float, c: float) -> dict[str, Any]:
    count = 1 + int(b * 3)
    items = []
    for k in range(count):
        name, price = catalog.PRODUCTS[(int(a * 1000) + k * 3) % len(catalog.PRODUCTS)]
        items.append({"ProductName": name, "Quantity": 1 + (k + int(c * 10)) % 2, "ItemPrice": price})
    value = round(sum(i["ItemPrice"] * i["Quantity"] for i in items) * (0.9 if c > 0.8 else 1.0), 2)
    return {
        "$event_id": f"{1000000 + seq}",
        "$value": value,
        "$currency_code": "USD" if a < 0.7 else "EUR",
        "OrderId": f"#{100000 + seq}",
        "ItemNames": [i["ProductName"] for i in items],
        "Items": items,
        "Discount Codes": ["WELCOME10"] if c > 0.8 else [],
    }


def _email_properties(seq: int, a: float, b: float, c: float) -> dict[str, Any]:
    subject = catalog.SUBJECTS[int(a * len(catalog.SUBJECTS))]
    return {
        "Subject": subject,
        "Campaign Name": f"{subject} ({int(b * 52) + 1:02d})",
        "$message": f"M{int(c * 1e6):06d}",
        "Email Domain": ("gmail.com", "outlook.com", "example.com")[int(b * 3)],
        "$event_id": f"{seq}:{int(a * 1e9)}",
    }


def _site_properties(seq: int, a: float, b: float, c: float) -> dict[str, Any]:
    name, price = catalog.PRODUCTS[int(a * len(catalog.PRODUCTS))]
    return {
        "URL": f"https://shop.example.com/products/{name.lower().replace(' ', '-')}",
        "ProductName": name,
        "Price": price,
        "$event_id": f"{seq}",
        "page_views": 1 + int(b * 20),
        "$value": 0 if c < 0.5 else None,
    }


def _properties_builder(name: str):  # type: ignore[no-untyped-def]
    if name in catalog.ORDER_METRICS:
        return _order_properties
    if name in catalog.EMAIL_METRICS or "SMS" in name or "List" in name:
        return _email_properties
    return _site_properties


def render_events(snap: Snapshot, positions: np.ndarray, base: str,
                  fields: list[str] | None = None) -> list[dict[str, Any]]:
    """JSON:API event dicts for the given row positions (in that order)."""
    ev = snap.events
    seq = ev.seq[positions]
    dt_us = ev.dt_us[positions]
    ids = hashing.event_ids(seq, snap.seed).tolist()
    uuids = hashing.uuids(seq, snap.seed)
    datetimes = iso_many(dt_us)
    stamps = (dt_us // US).tolist()
    metric_idx = ev.metric[positions].tolist()
    profile_ids = snap.profiles.ids[ev.profile[positions]].tolist()
    ua, ub, uc = (hashing.unit(seq, snap.seed * 13 + k).tolist() for k in (1, 2, 3))
    builders = [_properties_builder(m.name) for m in snap.metrics]
    metric_ids = [m.id for m in snap.metrics]
    out = []
    for i, s in enumerate(seq.tolist()):
        eid, mi = ids[i], metric_idx[i]
        attributes = {
            "timestamp": stamps[i],
            "event_properties": builders[mi](s, ua[i], ub[i], uc[i]),
            "datetime": datetimes[i],
            "uuid": uuids[i],
        }
        out.append({
            "type": "event",
            "id": eid,
            "attributes": attributes if fields is None else sparse(attributes, fields),
            "relationships": {
                "profile": relationship(base, "events", eid, "profile", "profile", profile_ids[i]),
                "metric": relationship(base, "events", eid, "metric", "metric", metric_ids[mi]),
            },
            "links": {"self": f"{base}/api/events/{eid}/"},
        })
    return out
