"""Read the ledger for the `status`, `errors` and `dashboard` commands."""

from __future__ import annotations

from datetime import datetime, timedelta

from loader.ledger.records import ErrorRecord, utc_now
from loader.ledger.store import LedgerStore
from loader.ledger.view import LedgerView, build_view, errors_since


def load_view(store: LedgerStore, now: datetime | None = None) -> LedgerView:
    return build_view(store.runs(), store.errors(), store.controls(), store.schedule(), now or utc_now())


def recent_errors(store: LedgerStore, window: timedelta, now: datetime | None = None) -> list[ErrorRecord]:
    return errors_since(store.errors(), (now or utc_now()) - window)
