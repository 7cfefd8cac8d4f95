"""`klaviyo-sync forget`: erase one person from the warehouse now (a data-subject request).

1. The person's profile ids: the one given (`--profile-id`), or every stored profile whose email or
   phone number equals the one given (case-insensitive), in one account (`--account`) or all.
2. One dlt load into the raw dataset (so it works on every destination): a `deletions` row per id
   (object `profile`, reason `forget`; no email or phone, in clear or hashed), the profile row with
   its personal data redacted (loader.privacy.redact) and its events with theirs redacted.
3. The membership rows of those ids (`list_members`, `segment_members`) are deleted (portable SQL).
4. The caller rebuilds the marts (the after-load dbt build: the redacted rows are newer than the
   marts, so every mart row of the person is rewritten without personal data).
5. `remove_profile_rows`: the raw profile rows themselves are deleted (after the build, so the
   marts saw the redacted row first).

Later syncs drop the forgotten ids' profile, event and membership rows at extract time
(loader.privacy.forgotten), so Klaviyo cannot bring them back while it still holds the person.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import dlt
from dlt.common.schema.typing import TWriteDispositionConfig

from loader.errors import SyncError
from loader.privacy.forgotten import FORGET
from loader.privacy.redact import identifiers, redact_event, redact_profile
from loader.privacy.stored import Stored
from loader.source.records import (
    DELETION_COLUMNS,
    EVENT_COLUMNS,
    PROFILE_COLUMNS,
    deletion_row,
    event_row,
    event_table,
    profile_row,
    profile_table,
)

MEMBER_TABLES = (("list_members", "profile_id"), ("segment_members", "profile_id"))
WHERE = "klaviyo-sync forget"
MERGE: TWriteDispositionConfig = {"disposition": "merge", "strategy": "delete-insert"}


@dataclass
class ForgetResult:
    """What was erased: profile ids per account id (never the email or phone)."""

    profiles: dict[str, list[str]] = field(default_factory=dict)
    events: int = 0

    @property
    def count(self) -> int:
        return sum(len(ids) for ids in self.profiles.values())


def stored_accounts(pipeline: Any) -> list[str]:
    """The account ids the raw profiles hold."""
    rows = Stored(pipeline, "")._query("profiles", "SELECT DISTINCT account_id FROM {t}")
    return sorted(str(r[0]) for r in rows)


def find_profiles(pipeline: Any, accounts: list[str], *, email: str | None = None, phone: str | None = None,
                  profile_id: str | None = None) -> dict[str, list[str]]:
    """account id -> the person's stored profile ids; a clear error when there is none."""
    if pipeline.destination.destination_name == "filesystem":
        raise SyncError("forget cannot erase rows on the filesystem destination (files are written once)",
                        WHERE, "delete the person's files in the bucket, or use a warehouse destination")
    named = (("email", email), ("phone", phone), ("profile id", profile_id))
    given = [name for name, value in named if value]
    if len(given) != 1:
        raise SyncError("give exactly one of --email, --phone, --profile-id", WHERE,
                        "name the person by one identifier")
    found: dict[str, list[str]] = {}
    for account_id in accounts:
        stored = Stored(pipeline, account_id)
        if profile_id:
            ids = [profile_id] if profile_id in stored.profile_ids() else []
        else:
            ids = stored.find("email" if email else "phone_number", str(email or phone))
        if ids:
            found[account_id] = ids
    if not found:
        scope = f"account {accounts[0]}" if len(accounts) == 1 else "any account"
        raise SyncError(f"no stored profile has this {given[0]} in {scope}", WHERE,
                        "check the identifier (and --account); nothing was changed")
    return found


def forget(pipeline: Any, found: dict[str, list[str]], arrow: bool) -> ForgetResult:
    """Steps 2 and 3 for the profiles `find_profiles` returned."""
    now = datetime.now(timezone.utc)
    result = ForgetResult(profiles=found)
    parts: dict[str, list[Any]] = {"deletions": [], "profiles": [], "events": []}
    for account_id, ids in found.items():
        stored = Stored(pipeline, account_id)
        parts["deletions"].append([deletion_row(account_id, "profile", pid, now) | {"reason": FORGET}
                                   for pid in ids])
        profiles, known = [], set()
        for item in stored.profiles(ids):
            known |= identifiers(item["attributes"])
            profiles.append(item | {"attributes": redact_profile(item["attributes"])})
        events = [item | {"attributes": redact_event(item["attributes"], known)}
                  for item in stored.events(ids)]
        result.events += len(events)
        if profiles:
            parts["profiles"].append(profile_table(account_id, profiles) if arrow
                                     else [profile_row(account_id, p) for p in profiles])
        if events:
            parts["events"].append(event_table(account_id, events) if arrow
                                   else [event_row(account_id, e) for e in events])
    _load(pipeline, parts)
    for account_id, ids in found.items():
        stored = Stored(pipeline, account_id)
        for table, column in MEMBER_TABLES:
            stored.delete_rows(table, column, ids)
    return result


def remove_profile_rows(pipeline: Any, found: dict[str, list[str]]) -> None:
    """Step 5: the raw profile rows of the forgotten ids."""
    for account_id, ids in found.items():
        Stored(pipeline, account_id).delete_rows("profiles", "id", ids)


def _load(pipeline: Any, parts: dict[str, list[Any]]) -> None:
    """One load of the rewritten rows into the `klaviyo` schema's own tables (merge on their keys)."""
    keys = {"deletions": (DELETION_COLUMNS, ["account_id", "object", "id"]),
            "profiles": (PROFILE_COLUMNS, ["account_id", "id"]),
            "events": (EVENT_COLUMNS, ["account_id", "id"])}
    resources = []
    for table, items in parts.items():
        if not items:
            continue
        columns, key = keys[table]
        resources.append(dlt.resource(_each(items), name=f"forget_{table}", table_name=table,
                                      columns=columns, primary_key=key, write_disposition=MERGE))
    schema = pipeline.schemas.get("klaviyo") if "klaviyo" in pipeline.schema_names else None
    pipeline.run(resources, schema=schema)


def _each(items: list[Any]) -> Iterator[Any]:
    yield from items
