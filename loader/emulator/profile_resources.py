"""Profile resources (location, properties, subscriptions, predictive analytics) derived from seed + row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from loader.emulator import catalog, people
from loader.emulator.dataset import DAY_US, US, Snapshot
from loader.emulator.resources import iso, sparse

# fields[profile]: the attributes a profile has without additional-fields, then ADDITIONAL_FIELDS
PROFILE_FIELDS = ("created", "email", "external_id", "first_name", "id", "image", "last_event_date",
                  "last_name", "locale", "location", "organization", "phone_number", "properties",
                  "title", "updated")
ADDITIONAL_FIELDS = ("subscriptions", "predictive_analytics")


def profile_names(index: int, seed: int = 1) -> tuple[str, str]:
    """(first, last) name of a profile; the seed rotates both lists (seed 1 keeps them in place), so
    accounts with different seeds name the same profile index differently."""
    n_first, n_last = len(catalog.FIRST_NAMES), len(catalog.LAST_NAMES)
    first = catalog.FIRST_NAMES[(index + (seed - 1) * 7) % n_first]
    last = catalog.LAST_NAMES[(index // n_first + (seed - 1) * 5) % n_last]
    return first, last


def profile_email(index: int, seed: int = 1) -> str:
    first, last = profile_names(index, seed)
    return f"{first.lower()}.{last.lower()}.{index}@klaviyo-demo.com"


def _draw(snap: Snapshot, indexes: np.ndarray, k: int | np.ndarray) -> np.ndarray:
    """Random draw number k (of 16) of each profile in [0, 1); every profile attribute derives from these."""
    return people.draws(snap.seed, indexes, k)


def _phone(index: int) -> str:
    return f"+1555{index % 10_000_000:07d}"


def _external_id(index: int) -> str:
    return f"cust-{index:08d}"


def identifier_column(snap: Snapshot, field: str) -> np.ndarray:
    """Every profile's `id`, `email`, `phone_number` or `external_id` ("" when null), cached per snapshot;
    used to sort and filter without rendering profiles."""
    cached = snap.cache.get(f"column:{field}")
    if cached is None:
        n = len(snap.profiles)
        if field == "id":
            cached = snap.profiles.ids
        elif field == "email":
            cached = np.array([profile_email(i, snap.seed) for i in range(n)])
        else:
            make, k, p = (_phone, 7, 0.6) if field == "phone_number" else (_external_id, 1, 0.5)
            present = _draw(snap, np.arange(n), k) < p
            cached = np.array([make(i) if present[i] else "" for i in range(n)])
        snap.cache[f"column:{field}"] = cached
    return cached


def emails(snap: Snapshot) -> np.ndarray:
    """All profile emails (cached per snapshot; used to sort and filter by email)."""
    return identifier_column(snap, "email")


def _location(r: list[float], index: int) -> dict[str, Any]:
    city, region, country, zip_code, tz, lat, lon, _locale = catalog.PLACES[int(r[0] * len(catalog.PLACES))]
    return {
        "address1": f"{1 + int(r[1] * 400)} Main St",
        "address2": None if r[2] < 0.7 else f"Apt {1 + int(r[2] * 30)}",
        "city": city, "country": country, "region": region, "zip": zip_code, "timezone": tz,
        "ip": f"198.51.100.{index % 250 + 1}",
        "latitude": round(lat + (r[3] - 0.5) / 10, 4), "longitude": round(lon + (r[4] - 0.5) / 10, 4),
    }


def _subscriptions(r: list[float], created_us: int, updated_us: int, suppression: tuple[int, int],
                   list_suppressions: list[people.ListSuppression]) -> dict[str, Any]:
    consent = catalog.CONSENTS[int(r[5] * len(catalog.CONSENTS))]
    stamp_us = (created_us + int((updated_us - created_us) * r[6])) // US * US
    stamp = iso(stamp_us)
    reason, supp_us = suppression
    if reason == people.UNSUBSCRIBE:
        consent = "UNSUBSCRIBED"
    last_updated = iso(max(stamp_us, supp_us)) if reason != people.NONE else stamp
    sms_consent = "SUBSCRIBED" if r[7] < 0.3 else "NEVER_SUBSCRIBED"
    return {
        "email": {"marketing": {
            "can_receive_email_marketing": consent == "SUBSCRIBED" and reason == people.NONE,
            "consent": consent,
            "consent_timestamp": stamp if consent != "NEVER_SUBSCRIBED" else None,
            "last_updated": last_updated,
            "method": "FORM" if r[8] < 0.6 else "API", "method_detail": "",
            "custom_method_detail": None, "double_optin": r[8] < 0.3,
            "suppression": ([{"reason": people.REASONS[reason], "timestamp": iso(supp_us)}]
                            if reason != people.NONE else []),
            "list_suppressions": [{"list_id": s.list_id, "reason": s.reason, "timestamp": iso(s.timestamp_us)}
                                  for s in list_suppressions],
        }},
        "sms": {
            "marketing": {"can_receive_sms_marketing": sms_consent == "SUBSCRIBED", "consent": sms_consent,
                          "consent_timestamp": stamp if sms_consent == "SUBSCRIBED" else None,
                          "method": "TEXT" if sms_consent == "SUBSCRIBED" else None, "method_detail": "",
                          "last_updated": stamp},
            "transactional": {"can_receive_sms_transactional": False, "consent": "NEVER_SUBSCRIBED",
                              "consent_timestamp": None, "method": None, "method_detail": "",
                              "last_updated": None},
        },
        "mobile_push": {"marketing": {"can_receive_push_marketing": False, "consent": "NEVER_SUBSCRIBED",
                                      "consent_timestamp": None}},
    }


def _predictive(r: list[float], updated_us: int) -> dict[str, Any]:
    orders = int(r[9] * 8)
    aov = round(20 + r[10] * 120, 2)
    historic = round(orders * aov, 2)
    predicted = round(r[11] * 150, 2)
    return {
        "historic_clv": historic, "predicted_clv": predicted, "total_clv": round(historic + predicted, 2),
        "historic_number_of_orders": orders, "predicted_number_of_orders": round(r[12] * 3, 2),
        "average_days_between_orders": None if orders < 2 else round(10 + r[13] * 120, 1),
        "average_order_value": aov if orders else 0.0, "churn_probability": round(r[14], 2),
        "expected_date_of_next_order": iso(updated_us + int(r[15] * 90) * DAY_US) if orders else None,
        "ranked_channel_affinity": ["email", "sms", "push"] if r[12] < 0.5 else ["sms", "email", "push"],
    }


def profile_attributes(snap: Snapshot, index: int, additional: Sequence[str] = (),
                       draws: list[float] | None = None) -> dict[str, Any]:
    """A profile's attributes; `draws` are its 16 random numbers when the caller computed them in bulk."""
    p = snap.profiles
    created, updated, version = int(p.created_us[index]), int(p.updated_us[index]), int(p.version[index])
    r = draws if draws is not None else _draw(snap, np.full(16, index), np.arange(16)).tolist()
    first, last = profile_names(index, snap.seed)
    place = catalog.PLACES[int(r[0] * len(catalog.PLACES))]
    attributes: dict[str, Any] = {
        "email": profile_email(index, snap.seed),
        "phone_number": _phone(index) if r[7] < 0.6 else None,
        "external_id": _external_id(index) if r[1] < 0.5 else None,
        "first_name": first, "last_name": last,
        "organization": "Example Corporation" if r[2] < 0.2 else None,
        "locale": place[7], "title": "Regional Manager" if r[3] < 0.1 else None,
        "image": None,
        "created": iso(created), "updated": iso(updated), "last_event_date": None,
        "location": _location(r, index),
        "properties": {"source": catalog.SOURCES[int(r[4] * len(catalog.SOURCES))],
                       "loyalty_points": int(r[5] * 500) + 10 * version, "update_count": version,
                       "vip": r[6] > 0.9},
    }
    if "subscriptions" in additional:
        suppression = (int(p.supp_reason[index]), int(p.supp_us[index]))
        attributes["subscriptions"] = _subscriptions(r, created, updated, suppression,
                                                     snap.fates.list_suppressions_of(index))
    if "predictive_analytics" in additional:
        attributes["predictive_analytics"] = _predictive(r, updated)
    return _redacted(attributes) if p.gone[index] else attributes


PERSONAL = ("email", "phone_number", "external_id", "first_name", "last_name", "organization", "title",
            "image")
PERSONAL_LOCATION = ("address1", "address2", "city", "region", "zip", "ip")


def _redacted(attributes: dict[str, Any]) -> dict[str, Any]:
    """A deleted profile's attributes: every personal value "redacted", coordinates and custom
    properties dropped (Klaviyo: "any sensitive data ... is removed", replaced with "redacted")."""
    out = dict(attributes)
    for name in PERSONAL:
        out[name] = "redacted"
    out["location"] = {**attributes["location"], **dict.fromkeys(PERSONAL_LOCATION, "redacted"),
                       "latitude": None, "longitude": None}
    out["properties"] = {}
    return out


LIST_RELATIONSHIPS = ("lists", "segments", "push-tokens", "conversations")
INCLUDED_RELATIONSHIPS = ("lists", "segments", "push-tokens")  # a profile included by /api/events


def render_profiles(snap: Snapshot, indexes: Sequence[int], base: str, additional: Sequence[str] = (),
                    fields: list[str] | None = None,
                    relationships: Sequence[str] = LIST_RELATIONSHIPS,
                    joined_us: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """JSON:API profile dicts for the given profile indexes (in that order); `joined_us` (members of a
    list or segment) adds each one's `joined_group_at`."""
    rows = np.asarray(indexes, dtype=np.int64)
    draws = _draw(snap, np.repeat(rows, 16), np.tile(np.arange(16), len(rows))).reshape(len(rows), 16)
    out = []
    for k, (index, r) in enumerate(zip(rows.tolist(), draws.tolist(), strict=True)):
        pid = str(snap.profiles.ids[index])
        attributes = profile_attributes(snap, index, additional, r)
        if joined_us is not None:
            attributes["joined_group_at"] = iso(joined_us[k])
        rels = {name: {"links": {"self": f"{base}/api/profiles/{pid}/relationships/{name}/",
                                 "related": f"{base}/api/profiles/{pid}/{name}/"}}
                for name in relationships}
        out.append({
            "type": "profile",
            "id": pid,
            "attributes": sparse(attributes, fields),
            "relationships": rels,
            "links": {"self": f"{base}/api/profiles/{pid}/"},
        })
    return out
