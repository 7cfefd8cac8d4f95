"""Event resources, rendered on demand as JSON text for a page of rows.

Everything derives from seed + event seq. Event properties come from a per-metric pool of 512
pre-serialised variants (chosen by a hash of seq) prefixed with per-event fields (`$event_id`, and
`OrderId` on order metrics; on engagement events the message they name: `$message`, `Subject`,
`Campaign Name`, and `$flow` for flow messages), so a 1000-event page renders in a few milliseconds.
With `include=attributions`, credited events list their attributions in `relationships.attributions`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import orjson

from loader.emulator import catalog, hashing
from loader.emulator.dataset import US, Snapshot
from loader.emulator.engagement import attribution_ids
from loader.emulator.marketing_resources import render_attribution
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
        "List": f"Newsletter ({int(b * 52) + 1:02d})",
        "Email Domain": ("gmail.com", "outlook.com", "example.com")[int(b * 3)],
    }


def _email_engagement_properties(a: float, b: float, c: float) -> dict[str, Any]:
    return {"Email Domain": catalog.EMAIL_DOMAINS[int(a * len(catalog.EMAIL_DOMAINS))],
            "Client Type": ("Webmail", "Desktop", "Mobile")[int(b * 3)]}


def _sms_engagement_properties(a: float, b: float, c: float) -> dict[str, Any]:
    return {"Carrier": catalog.CARRIERS[int(a * len(catalog.CARRIERS))], "Message Type": "Marketing",
            "Message Format": "SMS" if b < 0.8 else "MMS"}


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
    channel = catalog.ENGAGEMENT_CHANNEL.get(name)
    if channel:
        return _email_engagement_properties if channel == "email" else _sms_engagement_properties
    if "List" in name:
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


def _message_snippets(snap: Snapshot) -> list[str]:
    """Per MessageRef, the event properties naming it (JSON members, each followed by a comma)."""
    refs = snap.marketing.refs
    cached = snap.cache.get("message_snippets")
    if cached is None or len(cached) != len(refs):
        cached = []
        for ref in refs:
            props: dict[str, Any] = {"$message": ref.id}
            if ref.flow_id is not None:
                props["$flow"] = ref.flow_id
            props["Subject" if ref.channel == "email" else "Message Body"] = ref.subject
            props["Campaign Name"] = ref.name
            cached.append(orjson.dumps(props).decode()[1:-1] + ",")
        snap.cache["message_snippets"] = cached
    return cached


def attribution_texts(snap: Snapshot, seqs: np.ndarray, base: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Per event seq, its `"attributions":{...},` relationship member ("" when it has none), and the
    attribution resources of them all (for `included`)."""
    store = snap.attributions
    start, stop = store.rows_of(seqs)
    members = [""] * len(seqs)
    resources: list[dict[str, Any]] = []
    with_any = np.flatnonzero(stop > start)
    if not len(with_any):
        return members, resources
    rows = np.concatenate([np.arange(start[i], stop[i]) for i in with_any])
    ids = attribution_ids(store.event_seq[rows], store.engaged_seq[rows], snap.ids_seed).tolist()
    event_ids = hashing.event_ids(store.event_seq[rows], snap.ids_seed).tolist()
    engaged_ids = hashing.event_ids(store.engaged_seq[rows], snap.ids_seed).tolist()
    refs = snap.marketing.refs
    k = 0
    for i in with_any.tolist():
        n = int(stop[i] - start[i])
        data = ",".join(f'{{"type":"attribution","id":"{ids[k + j]}"}}' for j in range(n))
        rel = f"{base}/api/events/{event_ids[k]}/"
        members[i] = (f'"attributions":{{"data":[{data}],"links":{{"self":"{rel}relationships/attributions/",'
                      f'"related":"{rel}attributions/"}}}},')
        for j in range(n):
            r = k + j
            resources.append(render_attribution(ids[r], event_ids[r], engaged_ids[r],
                                                refs[int(store.ref[rows[r]])], base))
        k += n
    return members, resources


def render_event_texts(snap: Snapshot, positions: np.ndarray, base: str,
                       attributions: list[str] | None = None) -> list[str]:
    """The JSON text of each event at the given row positions (in that order); `attributions` (from
    attribution_texts) adds each event's attributions relationship."""
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
    msgs = ev.msg[positions].tolist()
    snippets = _message_snippets(snap)
    out = []
    for i, s in enumerate(seq.tolist()):
        eid, mi = ids[i], metric_idx[i]
        own = f'"$event_id":"{s}","OrderId":"#{100000 + s}",' if is_order[mi] else f'"$event_id":"{s}",'
        if msgs[i] >= 0:
            own += snippets[msgs[i]]
        rel = f"{base}/api/events/{eid}/"
        out.append(
            f'{{"type":"event","id":"{eid}","attributes":{{"timestamp":{stamps[i]},'
            f'"event_properties":{{{own}{pools[mi][variant[i]]},"datetime":"{datetimes[i]}",'
            f'"uuid":"{uuids[i]}"}},"relationships":{{{attributions[i] if attributions else ""}'
            f'"profile":{{"data":{{"type":"profile","id":"{profile_ids[i]}"}},"links":{{'
            f'"self":"{rel}relationships/profile/","related":"{rel}profile/"}}}},'
            f'"metric":{{"data":{{"type":"metric","id":"{metric_ids[mi]}"}},"links":{{'
            f'"self":"{rel}relationships/metric/","related":"{rel}metric/"}}}}}},'
            f'"links":{{"self":"{rel}"}}}}'
        )
    return out


def render_events(snap: Snapshot, positions: np.ndarray, base: str,
                  fields: list[str] | None = None,
                  attributions: list[str] | None = None) -> list[dict[str, Any]]:
    """JSON:API event dicts for the given row positions (in that order)."""
    docs = [orjson.loads(text) for text in render_event_texts(snap, positions, base, attributions)]
    if fields is not None:
        for doc in docs:
            doc["attributes"] = sparse(doc["attributes"], fields)
    return docs
