"""The offline demo: a private Klaviyo API emulator feeding a DuckDB file in a folder of its own.

The demo runs the real commands (`run`, then `run` again after the emulator's data grew, `export`
of the profiles back into Klaviyo's import format, then `status`); this module only prepares the
folder and the emulator they talk to.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from loader.emulator import Emulator, EmulatorConfig

DEMO_DB = "klaviyo_sync.duckdb"
DEMO_STATE_DIR = ".dlt-data"
DEMO_DBT_DIR = "dbt"
DEMO_EXPORT_DIR = "export"
# the way back: what a user would push to Klaviyo's profiles/ import folder from the dbt model
DEMO_EXPORT_QUERY = (
    "SELECT email, phone_number, external_id, first_name, last_name, city, country "
    "FROM klaviyo.klaviyo_profile ORDER BY profile_id"
)


@dataclass(frozen=True)
class DemoPlan:
    folder: Path
    profiles: int = 1000
    events: int = 20000
    seed: int = 1

    @property
    def env(self) -> dict[str, str]:
        """dlt settings that keep the demo's database and pipeline state inside its folder."""
        return {
            "DESTINATION__DUCKDB__CREDENTIALS": str(self.folder / DEMO_DB),
            "DLT_DATA_DIR": str(self.folder / DEMO_STATE_DIR),
        }


def reset_folder(plan: DemoPlan) -> None:
    """Start from an empty warehouse and pipeline state (only the demo's own files are removed)."""
    plan.folder.mkdir(parents=True, exist_ok=True)
    for name in (DEMO_DB, f"{DEMO_DB}.wal"):
        (plan.folder / name).unlink(missing_ok=True)
    for name in (DEMO_STATE_DIR, DEMO_DBT_DIR, DEMO_EXPORT_DIR):
        shutil.rmtree(plan.folder / name, ignore_errors=True)


def start_emulator(plan: DemoPlan) -> Emulator:
    """An emulator with Klaviyo's real rate limits, serving on 127.0.0.1 (stop it with `.stop()`)."""
    emulator = Emulator(EmulatorConfig(seed=plan.seed, profiles=plan.profiles, events=plan.events))
    emulator.serve()
    return emulator


def grow_for_next_hour(emulator: Emulator) -> None:
    """What an hour brings: new, late and future-dated events, updated and new profiles."""
    emulator.grow(new_events=500, late_events=50, late_by=timedelta(minutes=30), future_events=5,
                  updated_profiles=40, new_profiles=20)
