"""Resources `lists` and `segments`: the groups, their members, and what was deleted.

Per account and kind (list or segment), in one stream:

1. Groups: `GET /api/lists` (`/api/segments`), 10 a page (the API's maximum), `sort=updated`,
   incremental on `greater-than(updated, cursor - lookback)` (the only operator Klaviyo takes).
   A full listing runs on the first sync and on the `lists` (`segments`) reconcile cadence; groups
   known from earlier runs (ids in state: at most 1000 per account) that it no longer lists get a
   `deletions` row (object `list`/`segment`, reason `not_listed`), and their current members
   `removed_at`. A group whose members endpoint answers 404 between two full listings is recorded
   the same way (reason `not_found`).
2. Members of every known group (`list_members`, `segment_members`): `GET /api/lists/{id}/profiles`
   with `fields[profile]=joined_group_at` (ids and join times only), 100 a page, `sort=joined_group_at`:
   - joins incrementally: `greater-than(joined_group_at, cursor - lookback)`; a member who comes back
     after leaving has a new `joined_group_at`, so the row returns with `removed_at` NULL;
   - leaves (also deleted and merged-away profiles, which vanish from every membership) by the
     `members` reconcile: every member id of every group, diffed against the members the warehouse
     holds as current (loader.source.membership_known); a member no longer listed gets
     `removed_at` = this run's start, one listed but not current is (re)written. A group new to
     this run is read in full.
   Profiles erased by `klaviyo-sync forget` (loader.privacy.forgotten) are dropped from every
   listing: Klaviyo may still hold them, their membership rows never come back.

The cursor is the run start, written with the load (dlt state), so it moves only when the load
commits. State per account (`accounts.<account_id>`): `cursor`, `listed_at` (last full group
listing), `members_at` (last members reconcile) and `ids` (the known groups).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

import dlt

from loader.errors import SyncError
from loader.privacy.forgotten import read_forgotten
from loader.source import settings
from loader.source.context import AccountContext, ObjectReport
from loader.source.membership_known import KnownMembers
from loader.source.membership_rows import MEMBER_TABLES, group_row, joined_at, member_row
from loader.source.records import deletion_row
from loader.source.resources import stream_accounts
from loader.source.slices import Window, format_dt, parse_dt

PATHS = {"list": (settings.LISTS_PATH, settings.LIST_MEMBERS_PATH),
         "segment": (settings.SEGMENTS_PATH, settings.SEGMENT_MEMBERS_PATH)}
BATCH = 10_000  # member rows per item handed to dlt


def list_rows(accounts: list[AccountContext]) -> Iterator[Any]:
    """Lists updated since the cursor (all on a reconcile), with their members' joins and leaves."""
    yield from _group_rows("list", accounts)


def segment_rows(accounts: list[AccountContext]) -> Iterator[Any]:
    """Segments updated since the cursor (all on a reconcile), with their members' joins and leaves."""
    yield from _group_rows("segment", accounts)


def _group_rows(kind: str, accounts: list[AccountContext]) -> Iterator[Any]:
    obj = f"{kind}s"
    # named explicitly and read here: the streams run on threads of their own
    states: dict[str, dict[str, Any]] = dlt.current.resource_state(obj).setdefault("accounts", {})
    pipeline = dlt.current.pipeline()

    def one(account: AccountContext) -> Iterator[Any]:
        read = _GroupRead(account, kind, states.setdefault(account.account_id, {}), pipeline)
        yield from read.run()

    yield from stream_accounts([a for a in accounts if obj in a.options.objects], obj, one)


def _table(rows: list[dict[str, Any]], table: str) -> Any:
    """Rows for another table of this resource (its columns and key: loader.source.VARIANTS)."""
    return dlt.mark.with_table_name(rows, table)


def groups_filter(since: datetime | None) -> dict[str, str]:
    return {"filter": f"greater-than(updated,{format_dt(since)})"} if since is not None else {}


def members_params(since: datetime | None) -> dict[str, str]:
    params = {"fields[profile]": "joined_group_at", "page[size]": str(settings.MEMBERS_PAGE_SIZE),
              "sort": "joined_group_at"}
    if since is not None:
        params["filter"] = f"greater-than(joined_group_at,{format_dt(since)})"
    return params


class _GroupRead:
    """One account's read of one kind of group: the groups, then each group's members."""

    def __init__(self, account: AccountContext, kind: str, state: dict[str, Any], pipeline: Any) -> None:
        self.account, self.kind, self.state = account, kind, state
        self.account_id = account.account_id
        self.obj = f"{kind}s"
        self.end = account.report.run_start
        opts = account.options
        cursor = parse_dt(state.get("cursor"))
        self.full = cursor is None or opts.reconcile_due(self.obj, parse_dt(state.get("listed_at")), self.end)
        self.reconcile_members = cursor is None or opts.reconcile_due(
            "members", parse_dt(state.get("members_at")), self.end)
        self.since = None if cursor is None else min(cursor, self.end) - opts.lookback_window
        self.known_groups = set(state.get("ids") or [])
        self.known = KnownMembers(pipeline, self.account_id, kind)
        # profiles `klaviyo-sync forget` erased: Klaviyo may still list them as members
        self.forgotten = {pid for owner, pid in read_forgotten(pipeline) if owner == self.account_id}
        self.member_table = MEMBER_TABLES[kind]
        self.report: ObjectReport = account.report.object(account.unit(self.obj))
        self.report.kind = "historical" if cursor is None else "periodic"
        self.report.window = Window(None if self.full else self.since, self.end)

    def run(self) -> Iterator[Any]:
        groups_path, _ = PATHS[self.kind]
        params = {"sort": "updated", "page[size]": str(settings.GROUPS_PAGE_SIZE),
                  **groups_filter(None if self.full else self.since)}
        listed: list[str] = []
        for page in self.account.client.pages(groups_path, params, (groups_path,)):
            listed += [item["id"] for item in page.data]
            self.report.rows += len(page.data)
            if page.data:
                yield [group_row(self.account_id, item) for item in page.data]
        gone = sorted(self.known_groups - set(listed)) if self.full else []
        current = sorted(set(listed) if self.full else self.known_groups | set(listed))
        for group_id in gone:
            yield from self._gone(group_id, "not_listed")
        for number, group_id in enumerate(current, 1):
            try:
                yield from self._members(group_id, new=group_id not in self.known_groups)
            except SyncError as exc:
                if exc.code != "404":
                    raise
                gone.append(group_id)  # deleted since it was listed
                yield from self._gone(group_id, "not_found")
            self.account.report.on_progress(self.account.unit(self.obj), number / (len(current) + 1),
                                            self.report.rows)
        self._finish([g for g in current if g not in set(gone)])

    def _members(self, group_id: str, new: bool) -> Iterator[Any]:
        """A group's joins since the cursor; all its members (and who left) on a reconcile or when new."""
        _, template = PATHS[self.kind]
        path = template.replace("{id}", quote(group_id, safe=""))
        full = new or self.reconcile_members or self.since is None
        pages = self.account.client.pages(path, members_params(None if full else self.since), (template,))
        if not full:
            for page in pages:
                rows = [self._member(group_id, item["id"], joined_at(item)) for item in page.data
                        if item["id"] not in self.forgotten]
                if rows:
                    yield _table(rows, self.member_table)
            return
        listed = {item["id"]: joined_at(item) for page in pages for item in page.data
                  if item["id"] not in self.forgotten}
        known = {} if new else self.known.current(group_id)
        rows = [self._member(group_id, pid, joined) for pid, joined in listed.items()
                if pid not in known or known[pid] != joined]
        rows += [self._member(group_id, pid, joined, self.end) for pid, joined in known.items()
                 if pid not in listed]
        yield from self._batches(rows)

    def _gone(self, group_id: str, reason: str) -> Iterator[Any]:
        """A deleted group: its deletions row and its current members' removed_at."""
        row = deletion_row(self.account_id, self.kind, group_id, self.end) | {"reason": reason}
        yield _table([row], "deletions")
        members = self.known.current(group_id)
        yield from self._batches([self._member(group_id, pid, joined, self.end)
                                  for pid, joined in members.items()])

    def _member(self, group_id: str, profile_id: str, joined: datetime | None,
                removed: datetime | None = None) -> dict[str, Any]:
        return member_row(self.account_id, self.kind, group_id, profile_id, joined, removed)

    def _batches(self, rows: list[dict[str, Any]]) -> Iterator[Any]:
        for start in range(0, len(rows), BATCH):
            yield _table(rows[start:start + BATCH], self.member_table)

    def _finish(self, groups: list[str]) -> None:
        """The state of this read: known groups, cursor and the reconciles done (written with the load)."""
        self.state["ids"] = groups
        if self.full:
            self.state["listed_at"] = format_dt(self.end)
        if self.reconcile_members:
            self.state["members_at"] = format_dt(self.end)
        self.state["cursor"] = format_dt(self.end)
        self.account.report.on_progress(self.account.unit(self.obj), 1.0, self.report.rows)
        self.report.done = True
