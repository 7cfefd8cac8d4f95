"""Lists, segments, their members, suppressions and deleted profiles for the dbt tests, in the raw
contract's shape (raw tables lists, segments, list_members, segment_members, deletions).

`MembershipData` is two Klaviyo accounts (the second smaller, with colliding ids). `initial()` is the
first sync: profiles (one with an email suppression), two lists and two segments with members, one
past member (removed_at set). `grow()` is the second: a leave, new joins, a past member who comes
back, a new suppression (the profile row read again), a deleted list whose member rows are not
written again, a deleted profile and a merged-away one (recorded in `deletions`; their member rows
not written again) and, in the second account, a deleted segment. `expected_*` compute the marts.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.dbt.raw_seed import ACCOUNT_IDS, account, iso, merge_batches, metric, profile, register_table

UTC = timezone.utc
Resource = dict[str, Any]
Batch = dict[str, list[Resource]]
MEMBERSHIP_TABLES = ("lists", "segments", "list_members", "segment_members")
# the vars the loader's after-load build passes when these raw tables exist (dbt_build.OBJECT_VARS)
MEMBERSHIP_VARS = {name: f"klaviyo_{name}_enabled" for name in (*MEMBERSHIP_TABLES, "deletions")}


def group(kind: str, gid: str, name: str, anchor: datetime, *, version: int = 0) -> Resource:
    attributes: dict[str, Any] = {
        "name": name,
        "created": iso(anchor - timedelta(days=60)),
        "updated": iso(anchor - timedelta(days=3) + timedelta(hours=version), timezone(timedelta(hours=2))),
    }
    if kind == "list":
        attributes["opt_in_process"] = "double_opt_in" if gid.endswith("2") else "single_opt_in"
    else:
        attributes |= {
            "definition": {
                "condition_groups": [
                    {
                        "conditions": [
                            {
                                "type": "profile-group-membership",
                                "is_member": True,
                                "group_ids": ["L1"],
                                "timeframe_filter": None,
                            }
                        ]
                    }
                ]
            },
            "is_active": not gid.endswith("2"),
            "is_processing": False,
            "is_starred": False,
        }
    return {"type": kind, "id": gid, "attributes": attributes}


def suppress(resource: Resource, reason: str, at: datetime) -> Resource:
    """The profile with an email suppression (Klaviyo then reports it cannot receive email marketing)."""
    resource = copy.deepcopy(resource)
    marketing = resource["attributes"]["subscriptions"]["email"]["marketing"]
    marketing |= {
        "can_receive_email_marketing": False,
        "suppression": [{"reason": reason, "timestamp": iso(at, timezone(timedelta(hours=-5)))}],
    }
    return resource


def _with_sms(resource: Resource, index: int) -> Resource:
    resource["attributes"]["subscriptions"]["sms"] = {
        "marketing": {"can_receive_sms_marketing": index % 3 == 0, "consent": "SUBSCRIBED"}
    }
    resource["attributes"]["subscriptions"]["email"]["marketing"]["suppression"] = []
    return resource


@dataclass
class MembershipAccount:
    account_id: str
    variant: int
    anchor: datetime
    profiles: dict[str, Resource] = field(default_factory=dict)
    lists: dict[str, Resource] = field(default_factory=dict)
    segments: dict[str, Resource] = field(default_factory=dict)
    list_members: dict[tuple[str, str], Resource] = field(default_factory=dict)
    segment_members: dict[tuple[str, str], Resource] = field(default_factory=dict)
    deletions: dict[tuple[str, str], Resource] = field(default_factory=dict)

    def _put(self, table: dict[Any, Resource], key: Any, resource: Resource) -> Resource:
        resource["account_id"] = self.account_id
        table[key] = resource
        return resource

    def member(
        self, kind: str, gid: str, pid: str, joined: datetime, removed: datetime | None = None
    ) -> Resource:
        row = {
            f"{kind}_id": gid,
            "profile_id": pid,
            "joined_at": iso(joined),
            "removed_at": iso(removed) if removed else None,
        }
        return self._put(getattr(self, f"{kind}_members"), (gid, pid), row)

    def delete(self, obj: str, oid: str, reason: str = "not_listed") -> Resource:
        row = {"object": obj, "id": oid, "detected_at": iso(self.anchor), "reason": reason}
        return self._put(self.deletions, (obj, oid), row)

    def everything(self) -> Batch:
        batch: Batch = {
            "accounts": [account(self.account_id, self.variant)],
            "metrics": [{**metric(0, self.anchor, self.variant), "account_id": self.account_id}],
        }
        for name in ("profiles", *MEMBERSHIP_TABLES, "deletions"):
            rows = list(getattr(self, name).values())
            if rows:
                batch[name] = rows
        return batch


def initial_account(account_id: str, variant: int, anchor: datetime) -> MembershipAccount:
    a = MembershipAccount(account_id, variant, anchor)
    n = 6 if variant == 0 else 4
    for i in range(n):
        a._put(a.profiles, f"P{i:05d}", _with_sms(profile(i, anchor, variant=variant), i))
    a._put(a.profiles, "P00001", suppress(a.profiles["P00001"], "HARD_BOUNCE", anchor - timedelta(days=4)))
    tag = "" if variant == 0 else " (B)"
    for kind, table in (("list", a.lists), ("segment", a.segments)):
        for g in ("1", "2"):
            gid = f"{kind[0].upper()}{g}"
            a._put(table, gid, group(kind, gid, f"{kind.title()} {g}{tag}", anchor))
    day = timedelta(days=1)
    for i in range(n - 2):
        a.member("list", "L1", f"P{i:05d}", anchor - (10 - i) * day)
    a.member("list", "L2", "P00002", anchor - 8 * day)
    a.member("list", "L2", f"P{n - 2:05d}", anchor - 7 * day)
    a.member("segment", "S1", "P00000", anchor - 6 * day)
    a.member("segment", "S1", "P00001", anchor - 9 * day, removed=anchor - 5 * day)  # a past member
    a.member("segment", "S2", "P00003", anchor - 6 * day)
    a.member("segment", "S2", f"P{n - 1:05d}", anchor - 6 * day)
    return a


def grow_account(a: MembershipAccount) -> Batch:
    """The second sync: what it reads for this account."""
    anchor, n = a.anchor, len(a.profiles)
    hour = timedelta(hours=1)
    changed: Batch = {name: [] for name in ("profiles", *MEMBERSHIP_TABLES, "deletions")}
    # a leave (the reconcile's removed_at), new joins, a past member back with a new joined_at
    left = a.list_members[("L1", "P00001")]
    changed["list_members"].append(
        a.member("list", "L1", "P00001", datetime.fromisoformat(left["joined_at"]), removed=anchor - 2 * hour)
    )
    changed["list_members"].append(a.member("list", "L1", f"P{n - 1:05d}", anchor - 3 * hour))
    changed["segment_members"].append(a.member("segment", "S1", "P00001", anchor - 4 * hour))
    # a new suppression: the profile read again (its `updated` moves)
    changed["profiles"].append(
        a._put(
            a.profiles,
            "P00002",
            suppress(
                _with_sms(profile(2, anchor, version=1, variant=a.variant), 2), "UNSUBSCRIBE", anchor - hour
            ),
        )
    )
    # an edited list
    changed["lists"].append(
        a._put(
            a.lists,
            "L1",
            group("list", "L1", a.lists["L1"]["attributes"]["name"] + " (edited)", anchor, version=1),
        )
    )
    # the reconcile found L2 gone, a profile deleted and one merged into P00000 (its membership moves)
    changed["deletions"].append(a.delete("list", "L2"))
    changed["deletions"].append(a.delete("profile", f"P{n - 2:05d}"))
    changed["deletions"].append(a.delete("profile", "P00003", reason="merged"))
    changed["segment_members"].append(a.member("segment", "S2", "P00000", anchor - hour))
    if a.variant == 1:
        changed["deletions"].append(a.delete("segment", "S2"))
    return {"accounts": [account(a.account_id, a.variant)], **{k: v for k, v in changed.items() if v}}


@dataclass
class MembershipData:
    accounts: list[MembershipAccount]

    @classmethod
    def initial(cls) -> MembershipData:
        anchor = datetime.now(UTC).replace(microsecond=0)
        return cls([initial_account(ACCOUNT_IDS[0], 0, anchor), initial_account(ACCOUNT_IDS[1], 1, anchor)])

    def everything(self) -> Batch:
        return merge_batches(*(a.everything() for a in self.accounts))

    def grow(self) -> Batch:
        return merge_batches(*(grow_account(a) for a in self.accounts))

    def table(self, name: str) -> list[Resource]:
        return [r for a in self.accounts for r in getattr(a, name).values()]


def _group_rows(resources: list[Resource]) -> list[Resource]:
    return [
        {
            "id": r["id"],
            "created": r["attributes"]["created"],
            "updated": r["attributes"]["updated"],
            "attributes": r["attributes"],
        }
        for r in resources
    ]


def _plain_rows(resources: list[Resource]) -> list[Resource]:
    return [{k: v for k, v in r.items() if k != "account_id"} for r in resources]


def _ts() -> dict[str, Any]:
    return {"data_type": "timestamp", "timezone": True}


def _id() -> dict[str, Any]:
    return {"data_type": "text", "nullable": False}


for _name in ("lists", "segments"):
    register_table(
        _name,
        _group_rows,
        {"id": _id(), "created": _ts(), "updated": _ts(), "attributes": {"data_type": "json"}},
        ["id"],
    )
for _kind in ("list", "segment"):
    register_table(
        f"{_kind}_members",
        _plain_rows,
        {
            f"{_kind}_id": _id(),
            "profile_id": _id(),
            "joined_at": _ts(),
            "removed_at": {**_ts(), "nullable": True},
        },
        [f"{_kind}_id", "profile_id"],
    )
