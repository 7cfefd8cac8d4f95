"""`klaviyo-sync demo` (the README's first command) runs the whole job offline, as a real process:
emulator -> historical and periodic sync -> dbt -> export of the profiles -> status."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb

CONTRACT_TABLES = {
    "klaviyo_raw": ("accounts", "metrics", "profiles", "events", "campaigns", "campaign_messages", "flows",
                    "flow_actions", "flow_messages", "event_attributions", "lists", "segments",
                    "list_members", "segment_members", "deletions"),
    "klaviyo": ("klaviyo_account", "klaviyo_metric", "klaviyo_profile", "klaviyo_event", "klaviyo_campaign",
                "klaviyo_campaign_message", "klaviyo_flow", "klaviyo_flow_action", "klaviyo_flow_message",
                "klaviyo_event_attribution", "klaviyo_campaign_performance", "klaviyo_flow_performance",
                "klaviyo_list", "klaviyo_segment", "klaviyo_list_membership", "klaviyo_segment_membership"),
}


def test_demo_runs_end_to_end_and_exports_the_profiles(tmp_path: Path) -> None:
    cli = Path(sys.executable).parent / "klaviyo-sync"
    folder = tmp_path / "demo"
    done = subprocess.run(
        # the README's command at its own size: a smaller demo hid an out-of-memory dbt build
        [str(cli), "demo", "--dir", str(folder)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    steps = ("== historical sync", "== periodic sync", "== export", "== status", "== campaign performance")
    for step in steps:
        assert step in done.stdout
    assert "Failed" not in done.stdout and "Errors in the last 24 hours: none" in done.stdout

    with duckdb.connect(str(folder / "klaviyo_sync.duckdb"), read_only=True) as con:
        names = con.execute("SELECT account_id, account_name FROM klaviyo.klaviyo_account").fetchall()
        accounts = dict(names)
        per_account = {
            mart: dict(con.execute(f"SELECT account_id, count(*) FROM klaviyo.{mart} GROUP BY 1").fetchall())
            for mart in ("klaviyo_profile", "klaviyo_event", "klaviyo_metric")
        }
        # the demo syncs every object: every table of the data contract has rows
        empty = [f"{schema}.{table}" for schema, tables in CONTRACT_TABLES.items() for table in tables
                 if not con.execute(f"SELECT count(*) FROM {schema}.{table}").fetchone()[0]]
        assert not empty, f"empty contract tables: {empty}"
        raw = {table: con.execute(f"SELECT count(*) FROM klaviyo_raw.{table}").fetchone()
               for table in ("accounts", "metrics", "profiles", "events")}
    assert len(accounts) == 2 and all(accounts.values()), "the demo serves two named accounts"
    assert all(rows and rows[0] > 0 for rows in raw.values()), raw
    for mart, counts in per_account.items():
        assert set(counts) == set(accounts), f"{mart} has rows of both accounts"
    assert all(n > 1000 for n in per_account["klaviyo_profile"].values())  # the periodic sync brought more
    assert all(n > 20000 for n in per_account["klaviyo_event"].values())
    named = re.search(r"^accounts: alpha \((\w+)\), beta \((\w+)\)$", done.stdout, re.MULTILINE)
    assert named and set(named.groups()) == set(accounts), done.stdout
    alpha = named.group(1)

    manifest = json.loads((folder / "export" / "profiles.manifest.json").read_text())
    [part] = manifest["files"]
    # the way back goes to one account: alpha's profiles
    assert manifest["rows"] + manifest["rejected_rows"] == per_account["klaviyo_profile"][alpha]
    with (folder / "export" / part["name"]).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["Email", "PhoneNumber", "ExternalID"]
    assert len(rows) - 1 == part["rows"] == manifest["rows"] > 0

    # the newcomer's second command, exactly as the demo prints it, shows the demo's warehouse
    [next_line] = [line for line in done.stdout.splitlines() if line.startswith("next: ")]
    command = re.match(r"next: cd (\S+) && (\S+) status ", next_line)
    assert command, next_line
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DESTINATION__", "KLAVIYO_", "DLT_"))}
    status = subprocess.run([command.group(2), "status", "--json"], cwd=tmp_path / command.group(1),
                            env=env, capture_output=True, text=True, timeout=120)
    assert status.returncode == 0, status.stdout + status.stderr
    document = json.loads(status.stdout)
    assert "api_key" not in status.stdout and "pk_" not in status.stdout
    shown = {(row["account"], row["name"], row["status"]) for row in document["periodic"]}
    objects = ("metrics", "profiles", "events")
    assert {(a, o, "Completed") for a in ("alpha", "beta") for o in objects} <= shown, document
