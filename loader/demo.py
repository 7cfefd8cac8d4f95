"""The offline demo: a private Klaviyo API emulator feeding a DuckDB file in a folder of its own.

The demo runs the real commands (`run`, then `run` again after the emulator's data grew, `export`
of the profiles back into Klaviyo's import format, then `status`); this module only prepares the
folder and the emulator they talk to. The emulator serves two Klaviyo accounts (an agency's two
brands, with colliding ids as Klaviyo allows) configured the dlt way, as
`SOURCES__KLAVIYO__ACCOUNTS__<NAME>__API_KEY`, so the warehouse shows how accounts sit side by side.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from loader.emulator import Emulator, EmulatorConfig, EmulatorServer, serve_accounts
from loader.emulator.accounts import several_accounts
from loader.source.settings import OBJECTS

DEMO_DB = "klaviyo_sync.duckdb"
DEMO_STATE_DIR = ".dlt-data"
DEMO_DBT_DIR = "dbt"
DEMO_EXPORT_DIR = "export"
# the way back: what a user would push to one account's profiles/ import folder from the dbt model
# (an SFTP import lands in one Klaviyo account, so the export picks that account's rows)
DEMO_EXPORT_QUERY = (
    "SELECT email, phone_number, external_id, first_name, last_name, city, country "
    "FROM klaviyo.klaviyo_profile WHERE account_id = '{account_id}' ORDER BY profile_id"
)
DEMO_ACCOUNTS = 2


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


# the demo's closing table: what each campaign message sent and earned (Klaviyo's own attribution)
PERFORMANCE_COLUMNS = ("campaign_name", "channel", "recipients", "unique_opens", "unique_clicks",
                       "conversions", "attributed_revenue")
PERFORMANCE_QUERY = (
    "SELECT c.campaign_name, p.channel, p.recipients, p.unique_opens, p.unique_clicks, p.conversions, "
    "p.attributed_revenue FROM klaviyo.klaviyo_campaign_performance p JOIN klaviyo.klaviyo_campaign c "
    "ON c.account_id = p.account_id AND c.campaign_id = p.campaign_id "
    "WHERE p.account_id = '{account_id}' AND p.recipients > 0 "
    "ORDER BY p.attributed_revenue DESC, p.recipients DESC, c.campaign_name"
)


def write_folder_config(plan: DemoPlan) -> Path:
    """`<folder>/.dlt/` naming the demo's warehouse and state, so that the ops commands (`status`,
    `errors`, `dashboard`) run inside the folder read the demo without any flag. Nothing secret is
    written: the DuckDB file's path sits in secrets.toml only because dlt keeps credentials there,
    and the emulator's keys live only in the demo process."""
    folder = plan.folder / ".dlt"
    folder.mkdir(parents=True, exist_ok=True)
    note = "# written by `klaviyo-sync demo`: the demo's warehouse, for the commands run in this folder\n"
    (folder / "secrets.toml").write_text(
        f"{note}[destination.duckdb]\ncredentials = {json.dumps(str(plan.folder / DEMO_DB))}\n",
        encoding="utf-8",
    )
    (folder / "config.toml").write_text(
        f"{note}[klaviyo_sync]\ndestination = \"duckdb\"\n"
        f"pipelines_dir = {json.dumps(str(plan.folder / DEMO_STATE_DIR / 'pipelines'))}\n",
        encoding="utf-8",
    )
    return folder


def reset_folder(plan: DemoPlan) -> None:
    """Start from an empty warehouse and pipeline state (only the demo's own files are removed)."""
    plan.folder.mkdir(parents=True, exist_ok=True)
    for name in (DEMO_DB, f"{DEMO_DB}.wal"):
        (plan.folder / name).unlink(missing_ok=True)
    for name in (DEMO_STATE_DIR, DEMO_DBT_DIR, DEMO_EXPORT_DIR, ".dlt"):
        shutil.rmtree(plan.folder / name, ignore_errors=True)


@dataclass
class DemoEmulator:
    """The demo's accounts on one server with Klaviyo's real rate limits, on 127.0.0.1."""

    server: EmulatorServer
    accounts: dict[str, Emulator]

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def env(self) -> dict[str, str]:
        """Where the loader finds the API and each account's key; every object is synced (lists and
        segments are not among the defaults)."""
        keys = {f"SOURCES__KLAVIYO__ACCOUNTS__{name.upper()}__API_KEY": emulator.config.api_key
                for name, emulator in self.accounts.items()}
        return {"KLAVIYO_BASE_URL": self.base_url, "SOURCES__KLAVIYO__OBJECTS": ",".join(OBJECTS), **keys}

    def stop(self) -> None:
        self.server.stop()


def start_emulator(plan: DemoPlan) -> DemoEmulator:
    """The demo's accounts, serving (stop them with `.stop()`)."""
    base = EmulatorConfig(seed=plan.seed, profiles=plan.profiles, events=plan.events)
    accounts = {name: Emulator(config) for name, config in several_accounts(base, DEMO_ACCOUNTS)}
    return DemoEmulator(serve_accounts(list(accounts.values())), accounts)


def grow_for_next_hour(emulator: DemoEmulator) -> None:
    """What an hour brings to each account: new, late and future-dated events, updated and new profiles,
    list and segment joins and leaves, a deleted campaign (found by the periodic run's reconcile)."""
    for account in emulator.accounts.values():
        account.grow(new_events=500, late_events=50, late_by=timedelta(minutes=30), future_events=5,
                     updated_profiles=40, new_profiles=20, list_joins=10, segment_joins=5, list_leaves=3,
                     deleted_campaigns=1)
