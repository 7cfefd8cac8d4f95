"""A stand-in for `loader.pipeline.run_sync` that keeps its several-accounts contract, for ops tests
that need accounts to fail on demand: units = metrics + each account's objects; a failing account's
units get `on_object_failed`, the others `on_object_done`; every account failing raises the first's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from loader.errors import SyncError
from loader.ledger.records import utc_now
from loader.sync_observer import ObjectResult, SyncObserver, Unit
from loader.sync_settings import AccountSettings, SyncSettings

KEYS = {"acme": "pk_acme_secret_key_0000000000001", "beta": "pk_beta_secret_key_0000000000002"}


def revoked(account: str) -> SyncError:
    """What the source raises for a revoked key (not retryable)."""
    return SyncError(f"Klaviyo rejected the API key of account {account}", "GET /api/accounts",
                     "set a valid private API key", code="401")


def flaky(account: str) -> SyncError:
    return SyncError(f"malformed page for account {account}", "GET /api/events", "run again",
                     code="malformed_page")


@dataclass
class FakeSyncResult:
    run_start: datetime
    objects: dict[Unit, ObjectResult] = field(default_factory=dict)
    failed: dict[Unit, BaseException] = field(default_factory=dict)


@dataclass
class FakeLoader:
    """`failures[account]`: errors its next runs raise, one per run (then it loads)."""

    failures: dict[str, list[BaseException]] = field(default_factory=dict)
    calls: list[dict[str, tuple[str, ...]]] = field(default_factory=list)  # per run: account -> objects

    def __call__(self, settings: SyncSettings, *, pipeline: Any = None,
                 observer: SyncObserver | None = None) -> FakeSyncResult:
        assert observer is not None
        self.calls.append({a.name: a.objects for a in settings.accounts})
        units = [Unit(a.name, obj) for a in settings.accounts for obj in ("metrics", *a.objects)]
        observer.on_run_start(units, dict.fromkeys(units, "historical"))
        start = utc_now()
        result = FakeSyncResult(run_start=start)
        first: BaseException | None = None
        for account in settings.accounts:
            own = [u for u in units if u.account == account.name]
            pending = self.failures.get(account.name) or []
            if pending:
                exc = pending.pop(0)
                first = first or exc
                for unit in own:
                    observer.on_object_failed(unit, exc)
                    result.failed[unit] = exc
                continue
            for unit in own:
                observer.on_progress(unit, 0.5, 10)
                done = ObjectResult(unit.object, "historical", 20, 20, start - timedelta(days=1), start,
                                    start, account=unit.account, account_id=f"ID_{unit.account.upper()}")
                observer.on_object_done(done)
                result.objects[unit] = done
        if not result.objects and first is not None:
            raise first
        return result


def two_accounts(root: Path, destination: str = "duckdb", names: tuple[str, ...] = ("acme", "beta")
                 ) -> SyncSettings:
    accounts = tuple(AccountSettings(name, KEYS.get(name, f"pk_{name}_key_0000000000000")) for name in names)
    return SyncSettings(destination=destination, pipelines_dir=str(root / "pipelines"), accounts=accounts)


@pytest.fixture
def fake_loader(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLoader]:
    import loader.pipeline

    loader_ = FakeLoader()
    monkeypatch.setattr(loader.pipeline, "run_sync", loader_)
    yield loader_


@pytest.fixture
def duckdb_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(tmp_path / "warehouse.duckdb"))
    return tmp_path
