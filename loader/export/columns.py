"""Which result columns become which Klaviyo CSV headers, for profile and event imports.

What is known. Klaviyo's SFTP page states that valid CSVs "require specific headers" but its header
list was not retrievable (docs/klaviyo-api.md §4.1, §6.4), so no header below is confirmed by
Klaviyo's SFTP documentation itself. We use the names we could document, each from its source:

- profile identifiers `Email`, `PhoneNumber`, `ExternalID`: the names a third party documents for
  Klaviyo imports ("they must have those exact names", docs/klaviyo-api.md [T1]); Klaviyo Labs' own
  SFTP example uses `Email` and `PhoneNumber` too [KL-S3];
- `List ID` (profiles): Klaviyo Labs' own SFTP example adds this column, holding "your 6 digit List
  ID found in the URL of the subscriber List" (docs/klaviyo-api.md §4.1 [KL-S3]). That it adds the
  row's profile to that list is **inferred** from the example; Klaviyo's own page does not say it.
  Its value shape (six letters or digits, like the OpenAPI example `Y6nRLr`) is checked per row;
- consent columns `Email Marketing Consent`, `SMS Marketing Consent`, `SMS Transactional Consent`
  and their values: Klaviyo's web list-upload names [H7], which Klaviyo says warehouse import
  consent follows ("the same way file or SFTP uploads do", [H3]); the profile fields `First Name`,
  `Last Name`, ...: the web list-upload names [H7][H9];
- event columns `Metric Name`, `Event Timestamp`, `Unique ID`, `Value`, `Value Currency` and the extra
  identifier `Klaviyo ID`: the field labels of Klaviyo's warehouse event import [H4].

What is not known (docs/klaviyo-api.md §6.4): the SFTP header table itself, whether headers are
case-sensitive, the consent column names for SFTP specifically, whether one file may name several
lists, and whether an unsubscribe or a list removal can be sent through SFTP (only "Profiles:
create, update" and "Event: create" are documented [D6]).

Any other column keeps its own name (a custom profile property, or an event property; `a___b`
nests `b` under `a` for events [H4]). Common spellings are accepted: a column matches an alias when
both are equal after lower-casing and dropping everything but letters and digits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from loader.errors import SyncError

KINDS = ("profiles", "events")

EMAIL = "Email"
PHONE = "PhoneNumber"
EXTERNAL_ID = "ExternalID"
KLAVIYO_ID = "Klaviyo ID"
METRIC_NAME = "Metric Name"
EVENT_TIMESTAMP = "Event Timestamp"
UNIQUE_ID = "Unique ID"
VALUE = "Value"
VALUE_CURRENCY = "Value Currency"
EMAIL_CONSENT = "Email Marketing Consent"
SMS_CONSENT = "SMS Marketing Consent"
SMS_TRANSACTIONAL_CONSENT = "SMS Transactional Consent"
LIST_ID = "List ID"

CONSENT_COLUMNS = (EMAIL_CONSENT, SMS_CONSENT, SMS_TRANSACTIONAL_CONSENT)

_IDENTIFIER_ALIASES: dict[str, tuple[str, ...]] = {
    EMAIL: ("email", "email_address", "e-mail", "e_mail", "mail"),
    PHONE: ("phone_number", "phone", "phonenumber", "mobile", "mobile_phone", "mobile_number", "msisdn"),
    EXTERNAL_ID: ("external_id", "externalid", "ext_id"),
}

_PROFILE_ALIASES: dict[str, tuple[str, ...]] = {
    **_IDENTIFIER_ALIASES,
    EMAIL_CONSENT: ("email_marketing_consent", "email_consent"),
    SMS_CONSENT: ("sms_marketing_consent", "sms_consent"),
    SMS_TRANSACTIONAL_CONSENT: ("sms_transactional_consent",),
    LIST_ID: ("list_id", "listid", "klaviyo_list_id"),
    "First Name": ("first_name", "firstname", "given_name"),
    "Last Name": ("last_name", "lastname", "surname", "family_name"),
    "Organization": ("organization", "organisation", "company"),
    "Title": ("title", "job_title"),
    "City": ("city",),
    "Region": ("region", "state", "province"),
    "Country": ("country",),
    "Zip Code": ("zip", "zip_code", "postal_code", "postcode"),
}

_EVENT_ALIASES: dict[str, tuple[str, ...]] = {
    **_IDENTIFIER_ALIASES,
    KLAVIYO_ID: ("klaviyo_id", "profile_id"),
    METRIC_NAME: ("metric_name", "metric", "event_name"),
    EVENT_TIMESTAMP: ("event_timestamp", "timestamp", "occurred_at", "event_time", "datetime", "time"),
    UNIQUE_ID: ("unique_id", "event_id", "uuid"),
    VALUE: ("value", "revenue"),
    VALUE_CURRENCY: ("value_currency", "currency"),
}

PROFILE_IDENTIFIERS = (EMAIL, PHONE, EXTERNAL_ID)
EVENT_IDENTIFIERS = (EMAIL, PHONE, EXTERNAL_ID, KLAVIYO_ID)
EVENT_REQUIRED = (METRIC_NAME, EVENT_TIMESTAMP, UNIQUE_ID)


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True)
class ColumnPlan:
    """The source column names, in result order, and the Klaviyo header each one becomes."""

    kind: str
    sources: tuple[str, ...]
    headers: tuple[str, ...]
    list_id: str | None = None  # `--list-id`: every row's `List ID` must be this one

    def source_of(self, header: str) -> str:
        return self.sources[self.headers.index(header)]

    @property
    def identifiers(self) -> tuple[str, ...]:
        wanted = PROFILE_IDENTIFIERS if self.kind == "profiles" else EVENT_IDENTIFIERS
        return tuple(h for h in wanted if h in self.headers)

    def label(self, header: str) -> str:
        """`Header` or `Header (source column)` for problem reports."""
        if header not in self.headers:
            return header
        source = self.source_of(header)
        return header if source == header else f"{header} ({source})"


def _by_key(kind: str) -> dict[str, str]:
    aliases = _PROFILE_ALIASES if kind == "profiles" else _EVENT_ALIASES
    return {_key(alias): header for header, names_ in aliases.items() for alias in (header, *names_)}


def header_of(kind: str, name: str) -> str:
    """The Klaviyo header a result column becomes (its own name when no alias matches)."""
    return _by_key(kind).get(_key(name), name)


def plan_columns(kind: str, names: Sequence[str], where: str, list_id: str | None = None) -> ColumnPlan:
    """Map result column names to Klaviyo headers; refuse results Klaviyo could not import."""
    if kind not in KINDS:
        raise SyncError(f"unknown export kind {kind!r}", "--kind", f"use one of: {', '.join(KINDS)}")
    by_key = _by_key(kind)
    headers: list[str] = []
    taken: dict[str, str] = {}
    for name in names:
        header = by_key.get(_key(name), name)
        if header in taken:
            raise SyncError(
                f"columns {taken[header]!r} and {name!r} both map to Klaviyo header {header!r}",
                where,
                "select only one of them, or rename the other in the query",
            )
        taken[header] = name
        headers.append(header)
    plan = ColumnPlan(kind, tuple(names), tuple(headers), list_id)
    _check_required(plan, where)
    return plan


def _check_required(plan: ColumnPlan, where: str) -> None:
    if not plan.identifiers:
        accepted = PROFILE_IDENTIFIERS if plan.kind == "profiles" else EVENT_IDENTIFIERS
        raise SyncError(
            f"no profile identifier column among {list(plan.sources)}",
            where,
            f"select at least one of {', '.join(accepted)} (e.g. `email`, `phone_number`, `external_id`)",
        )
    if plan.kind == "events":
        missing = [h for h in EVENT_REQUIRED if h not in plan.headers]
        if missing:
            raise SyncError(
                f"event export lacks required column(s) {', '.join(missing)}",
                where,
                "select metric_name, event_timestamp (or occurred_at) and unique_id (or event_id)",
            )
