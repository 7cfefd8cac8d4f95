"""`klaviyo-sync demo` (the README's first command) runs the whole job offline, as a real process:
emulator -> historical and periodic sync -> dbt -> export of the profiles -> status."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import duckdb


def test_demo_runs_end_to_end_and_exports_the_profiles(tmp_path: Path) -> None:
    cli = Path(sys.executable).parent / "klaviyo-sync"
    folder = tmp_path / "demo"
    done = subprocess.run(
        [str(cli), "demo", "--dir", str(folder), "--profiles", "120", "--events", "1500"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for step in ("== historical sync", "== periodic sync", "== export", "== status"):
        assert step in done.stdout
    assert "Failed" not in done.stdout and "Errors in the last 24 hours: none" in done.stdout

    with duckdb.connect(str(folder / "klaviyo_sync.duckdb"), read_only=True) as con:
        profiles = con.execute("SELECT count(*) FROM klaviyo.klaviyo_profile").fetchone()
        events = con.execute("SELECT count(*) FROM klaviyo.klaviyo_event").fetchone()
    assert profiles is not None and profiles[0] > 120  # the periodic sync brought new profiles
    assert events is not None and events[0] > 1500  # and new events

    manifest = json.loads((folder / "export" / "profiles.manifest.json").read_text())
    [part] = manifest["files"]
    assert manifest["rows"] + manifest["rejected_rows"] == profiles[0]
    with (folder / "export" / part["name"]).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["Email", "PhoneNumber", "ExternalID"]
    assert len(rows) - 1 == part["rows"] == manifest["rows"] > 0
