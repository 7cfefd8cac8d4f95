"""kill -9 in the middle of `klaviyo-sync run`, then run again: the warehouse ends up exact."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from loader.emulator import FaultConfig
from tests.fixtures.expected_raw import (
    assert_same,
    truth_events,
    truth_profiles,
    warehouse_events,
    warehouse_profiles,
)
from tests.fixtures.warehouse import Warehouse

pytestmark = pytest.mark.integration
CLI = [str(Path(sys.executable).with_name("klaviyo-sync"))]


def cli_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["DLT_DATA_DIR"] = str(tmp_path / "dlt")
    env["SOURCES__KLAVIYO__EVENTS_PAGE_SIZE"] = "20"  # many small pages: a long run to interrupt
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # compile the CLI's imports once, not in every process
    return env


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def normalized_packages(tmp_path: Path) -> list[Path]:
    """Load packages that were extracted and normalized but not yet (completely) loaded."""
    return list((tmp_path / "dlt" / "pipelines" / "klaviyo_sync" / "load" / "normalized").glob("*"))


@pytest.mark.parametrize(
    "warehouse,kill_at",
    [("duckdb", "extract-early"), ("duckdb", "extract-late"), ("duckdb", "load"),
     ("postgres", "extract-early"), ("postgres", "load")],
    indirect=["warehouse"],
)
def test_kill_9_mid_run_then_rerun_is_exact(warehouse: Warehouse, emulator, tmp_path, kill_at) -> None:
    emu = emulator.emulator

    def events_pages() -> int:
        return int(emu.stats.as_dict()["pages_by_endpoint"].get("events", 0))

    ready = {
        "extract-early": lambda: events_pages() >= 8,
        "extract-late": lambda: events_pages() >= 60,
        "load": lambda: bool(normalized_packages(tmp_path)),
    }[kill_at]
    emu.set_faults(FaultConfig(latency_ms=40, latency_jitter_ms=40))
    env = cli_env(tmp_path)
    args = [*CLI, "run", "--no-dbt", "--destination", warehouse.name]
    proc = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: ready() or proc.poll() is not None, 120, f"the {kill_at} kill point")
        assert proc.poll() is None, f"the run ended before the kill: {proc.communicate()}"
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    emu.set_faults(FaultConfig())
    rerun = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    until = datetime.fromisoformat(re.search(r"complete until (\S+)", rerun.stdout).group(1))
    events = warehouse_events(warehouse)
    assert_same(events, truth_events(emu.truth.events(until=until)), "events after kill -9 and re-run")
    profiles = warehouse_profiles(warehouse)
    assert_same(profiles, truth_profiles(emu.truth.profiles()), "profiles after kill -9 and re-run")
