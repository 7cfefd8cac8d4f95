"""Configuration of the Klaviyo API emulator: dataset size, credentials, rate limits and faults."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from loader.emulator import hashing

ALL_SCOPES: tuple[str, ...] = ("metrics:read", "profiles:read", "events:read", "accounts:read",
                               "campaigns:read", "flows:read", "lists:read", "segments:read")
MAX_METRICS = 21  # the size of catalog.METRICS
ACCOUNT_ID = re.compile(r"^[A-Za-z0-9]{6}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
RATELIMIT_HEADER_FORMS: tuple[str, ...] = ("plain", "ietf")  # see ratelimit.py


def derived_account_id(seed: int) -> str:
    """The 6-character base62 account id (Klaviyo's account id, also its public API key) of a seed."""
    codes = hashing.encode(hashing.mix(np.array([seed]), 0x6163_636F_756E_74), hashing.BASE62, 6)
    return str(hashing.to_strings(codes)[0])


@dataclass(frozen=True)
class StreetAddress:
    """`contact_information.street_address` of the account (every field nullable, as in the spec)."""

    address1: str | None = "125 Summer Street"
    address2: str | None = "5th Floor"
    city: str | None = "Boston"
    region: str | None = "MA"
    country: str | None = "US"
    zip: str | None = "02110"


@dataclass(frozen=True)
class FaultConfig:
    """Seeded fault injection on `/api/*` requests (probabilities per request, 0 = never).

    `malformed_pages` lists 1-based ordinals of `/api/*` requests (counted since the faults were set)
    answered with a 200 whose body is not valid JSON. `retry_after_s` is the Retry-After of injected 429s.
    """

    seed: int = 7
    p429: float = 0.0
    p503: float = 0.0
    p_drop: float = 0.0
    p_truncate: float = 0.0
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    malformed_pages: tuple[int, ...] = ()
    retry_after_s: int = 1

    def __post_init__(self) -> None:
        for name in ("p429", "p503", "p_drop", "p_truncate"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ValueError(f"FaultConfig.{name} must be a probability in [0, 1], got {value!r}")
        if sum(getattr(self, n) for n in ("p429", "p503", "p_drop", "p_truncate")) > 1.0:
            raise ValueError("FaultConfig probabilities must add up to at most 1")
        if self.latency_ms < 0 or self.latency_jitter_ms < 0 or self.retry_after_s < 0:
            raise ValueError("FaultConfig latencies and retry_after_s must not be negative")

    def any_enabled(self) -> bool:
        return bool(
            self.p429 or self.p503 or self.p_drop or self.p_truncate or self.latency_ms
            or self.latency_jitter_ms or self.malformed_pages
        )


@dataclass(frozen=True)
class EmulatorConfig:
    """What the emulator serves. `Emulator(config)` builds the dataset anchored at the current UTC time."""

    seed: int = 1
    profiles: int = 500
    events: int = 5000
    metrics: int = MAX_METRICS  # the first n of catalog.METRICS (all by default: every engagement metric)
    history_days: int = 400
    future_events: int = 5
    campaigns: int = 12  # over email, sms, mobile_push (catalog.CAMPAIGN_CHANNELS), most of them sent
    flows: int = 5  # 3-6 actions each; send actions have 1-2 messages
    lists: int = 6  # each holding 15-45% of the profiles
    segments: int = 4  # each about half of one list's members; every 4th inactive
    api_key: str = "pk_emulator_test_key_0000000000000000"
    scopes: tuple[str, ...] = ALL_SCOPES
    rate_limits: bool = True
    rate_limit_scale: float = 1.0
    # "plain" (`RateLimit-Limit: 3500`, the steady window) or "ietf" (`350, 350;w=1, 3500;w=60`)
    ratelimit_header_form: str = "plain"
    faults: FaultConfig = field(default_factory=FaultConfig)
    revision: str = "2026-07-15"
    # The account (`GET /api/accounts`). "" means derived: account_id from `seed`, public_api_key =
    # account_id (as in Klaviyo), organization_name "Emulator Store <account_id>", sender name = the
    # organization, sender email contact@<account_id lower-case>.example.com, website https://... of it.
    account_id: str = ""
    organization_name: str = ""
    timezone: str = "America/New_York"
    preferred_currency: str = "USD"
    industry: str | None = "Apparel & Accessories"
    test_account: bool = False
    locale: str = "en-US"
    public_api_key: str = ""
    default_sender_name: str = ""
    default_sender_email: str = ""
    website_url: str | None = ""
    street_address: StreetAddress = field(default_factory=StreetAddress)
    # Seed of the metric, profile and event ids (None: `seed`). Accounts with the same id_seed and different
    # seeds share ids (same index, same id) while everything else differs.
    id_seed: int | None = None

    def __post_init__(self) -> None:
        checks = (
            ("profiles", self.profiles >= 1, "at least 1"),
            ("events", self.events >= 0, "not negative"),
            ("metrics", 1 <= self.metrics <= MAX_METRICS, f"between 1 and {MAX_METRICS}"),
            ("history_days", self.history_days >= 1, "at least 1"),
            ("future_events", self.future_events >= 0, "not negative"),
            ("campaigns", self.campaigns >= 0, "not negative"),
            ("flows", self.flows >= 0, "not negative"),
            ("lists", self.lists >= 0, "not negative"),
            ("segments", self.segments >= 0, "not negative"),
            ("rate_limit_scale", self.rate_limit_scale > 0, "greater than 0"),
            ("ratelimit_header_form", self.ratelimit_header_form in RATELIMIT_HEADER_FORMS,
             " or ".join(RATELIMIT_HEADER_FORMS)),
            ("api_key", bool(self.api_key.strip()), "not empty"),
            ("account_id", not self.account_id or bool(ACCOUNT_ID.match(self.account_id)),
             "6 letters or digits (or empty: derived from seed)"),
            ("timezone", _is_iana(self.timezone), "an IANA timezone name"),
            ("preferred_currency", bool(CURRENCY.match(self.preferred_currency)), "a 3-letter currency code"),
            ("locale", bool(self.locale.strip()), "not empty"),
        )
        for name, ok, rule in checks:
            if not ok:
                raise ValueError(f"EmulatorConfig.{name} must be {rule}, got {getattr(self, name)!r}")

    @property
    def effective_account_id(self) -> str:
        return self.account_id or derived_account_id(self.seed)

    @property
    def effective_id_seed(self) -> int:
        return self.seed if self.id_seed is None else self.id_seed

    def account_attributes(self) -> dict[str, Any]:
        """The `attributes` of this account's `account` resource, in the spec's order."""
        account_id = self.effective_account_id
        organization = self.organization_name or f"Emulator Store {account_id}"
        domain = f"{account_id.lower()}.example.com"
        website = f"https://www.{domain}" if self.website_url == "" else self.website_url
        street = self.street_address
        return {
            "test_account": self.test_account,
            "contact_information": {
                "default_sender_name": self.default_sender_name or organization,
                "default_sender_email": self.default_sender_email or f"contact@{domain}",
                "website_url": website,
                "organization_name": organization,
                "street_address": {"address1": street.address1, "address2": street.address2,
                                   "city": street.city, "region": street.region, "country": street.country,
                                   "zip": street.zip},
            },
            "industry": self.industry,
            "timezone": self.timezone,
            "preferred_currency": self.preferred_currency,
            "public_api_key": self.public_api_key or account_id,
            "locale": self.locale,
        }


def _is_iana(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True
