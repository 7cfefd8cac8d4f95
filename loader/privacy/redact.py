"""Redaction of a deleted profile's personal data, the way Klaviyo renders a deleted profile.

Klaviyo keeps a deleted profile's events and renders the profile with every personal value replaced
by "redacted" (docs/klaviyo-api.md, §3.5). The raw rows get the same: in the profile's `attributes`
the fields in `PERSONAL` and `PERSONAL_LOCATION` become "redacted", `location.latitude` and
`location.longitude` None, and `properties` (custom properties: free-form, may hold anything) `{}`;
`subscriptions` and `predictive_analytics` are kept (consent states and scores, no identifier).
An event keeps its metric, time and profile id; in its `event_properties` every value under a
personal key (`PERSONAL_EVENT_KEYS`, compared without `$` and case) and every string that contains
one of the profile's own identifiers (email, phone, external id) becomes "redacted".
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

REDACTED = "redacted"
PERSONAL = ("email", "phone_number", "external_id", "first_name", "last_name", "organization",
            "title", "image")
PERSONAL_LOCATION = ("address1", "address2", "city", "region", "zip", "ip")
PERSONAL_EVENT_KEYS = frozenset({
    "email", "phone_number", "phone", "first_name", "last_name", "name", "full_name", "organization",
    "title", "image", "address1", "address2", "address", "city", "region", "zip", "ip",
    "external_id", "latitude", "longitude",
})


def redact_profile(attributes: dict[str, Any] | None) -> dict[str, Any]:
    """A profile's attributes with its personal data replaced (a new dict)."""
    out = dict(attributes or {})
    for name in PERSONAL:
        out[name] = REDACTED
    location = dict(out.get("location") or {})
    location.update(dict.fromkeys(PERSONAL_LOCATION, REDACTED))
    location.update(latitude=None, longitude=None)
    out["location"] = location
    out["properties"] = {}
    return out


def identifiers(attributes: dict[str, Any] | None) -> set[str]:
    """The profile's own identifiers (email, phone, external id), lower case, not yet redacted."""
    found = {str((attributes or {}).get(name) or "").strip().lower()
             for name in ("email", "phone_number", "external_id")}
    return {value for value in found if value and value != REDACTED}


def redact_event(attributes: dict[str, Any] | None, known: Iterable[str]) -> dict[str, Any]:
    """An event's attributes with the personal values of its `event_properties` replaced."""
    out = dict(attributes or {})
    if isinstance(out.get("event_properties"), dict):
        out["event_properties"] = _redact_value(out["event_properties"], [k for k in known if k])
    return out


def _redact_value(value: Any, known: list[str], key: str | None = None) -> Any:
    if key is not None and key.lstrip("$").lower() in PERSONAL_EVENT_KEYS and value not in (None, ""):
        return REDACTED
    if isinstance(value, dict):
        return {k: _redact_value(v, known, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_value(v, known) for v in value]
    if isinstance(value, str) and any(k in value.lower() for k in known):
        return REDACTED
    return value


def salted_hash(identifier: str, salt: str) -> str:
    """What `forget` may keep of an email or phone: a salted SHA-256, never the value."""
    return hashlib.sha256(f"{salt}:{identifier.strip().lower()}".encode()).hexdigest()
