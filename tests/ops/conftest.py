"""Ops tests: guarded runs against the emulator (real HTTP) into a real DuckDB or PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from loader.emulator import FaultConfig
from loader.ledger.records import utc_now
from loader.ledger.store import LedgerStore
from loader.ledger.view import LedgerView
from loader.ops.queries import load_view
from loader.ops.retry_policy import RetryPolicy
from loader.ops.runner import OpsResult, run_guarded
from loader.sync_settings import SyncSettings
from tests.fixtures.emulator import RunningEmulator

FAST_RETRIES = RetryPolicy(attempts=3, backoff_seconds=0.05, max_backoff_seconds=0.2)
KLAVIYO_SYNC = str(Path(sys.executable).with_name("klaviyo-sync"))
ALWAYS_MALFORMED = FaultConfig(malformed_pages=tuple(range(1, 100_000)))


@dataclass
class Ops:
    """One configuration under test: its emulator, destination and pipelines directory."""

    emulator: RunningEmulator
    root: Path
    destination: str

    @property
    def pipelines_dir(self) -> str:
        return str(self.root / "pipelines")

    def settings(self, **flags: Any) -> SyncSettings:
        return SyncSettings.resolve(pipelines_dir=self.pipelines_dir, destination=self.destination, **flags)

    def run(self, policy: RetryPolicy = FAST_RETRIES, **kwargs: Any) -> OpsResult:
        return run_guarded(self.settings(), policy=policy, **kwargs)

    def store(self) -> LedgerStore:
        return LedgerStore.open(self.destination, self.pipelines_dir)

    def view(self) -> LedgerView:
        return load_view(self.store(), utc_now())

    def env(self) -> dict[str, str]:
        """Environment for `klaviyo-sync` subprocesses of this configuration."""
        return {
            **os.environ,
            "KLAVIYO_SYNC__PIPELINES_DIR": self.pipelines_dir,
            "KLAVIYO_SYNC__DESTINATION": self.destination,
            "KLAVIYO_SYNC__RETRY__ATTEMPTS": "2",
            "KLAVIYO_SYNC__RETRY__BACKOFF_SECONDS": "0.2",
            "COLUMNS": "200",
        }

    def cli(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [KLAVIYO_SYNC, *args], env=self.env(), cwd=self.root,
            capture_output=True, text=True, timeout=300, **kwargs,
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [KLAVIYO_SYNC, *args], env=self.env(), cwd=self.root,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )


@pytest.fixture(autouse=True)
def _profiles_and_events(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ops rules are checked on profiles and events (the expectations name those units); the
    default objects also hold campaigns and flows, read and checked in tests/source."""
    monkeypatch.setenv("SOURCES__KLAVIYO__OBJECTS", "profiles,events")


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 120.0, every: float = 0.2) -> Any:
    """Poll `condition` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"timed out after {timeout:g}s waiting for {what}")


@pytest.fixture
def ops(emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Ops:
    """DuckDB in tmp_path (also the working directory)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(tmp_path / "warehouse.duckdb"))
    return Ops(emulator, tmp_path, "duckdb")


@pytest.fixture
def pg_ops(
    emulator: RunningEmulator, postgres_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Ops:
    """A fresh database on the real PostgreSQL test server (safe to read while another process writes)."""
    monkeypatch.chdir(tmp_path)
    return Ops(emulator, tmp_path, "postgres")
