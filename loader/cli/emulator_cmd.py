"""`klaviyo-sync emulator`: run the Klaviyo API emulator in the foreground (demo, benches)."""

from __future__ import annotations

import click

from loader.cli.app import main
from loader.emulator.config import RATELIMIT_HEADER_FORMS, EmulatorConfig, FaultConfig
from loader.errors import SyncError


@main.command("emulator")
@click.option("--port", type=int, default=8808, show_default=True, help="Port on 127.0.0.1 (0 = any free).")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--profiles", type=int, default=500, show_default=True)
@click.option("--events", type=int, default=5000, show_default=True)
@click.option("--metrics", type=int, default=EmulatorConfig.metrics, show_default=True)
@click.option("--history-days", type=int, default=400, show_default=True)
@click.option("--scale", type=float, default=1.0, show_default=True, help="Rate-limit scale factor.")
@click.option("--no-rate-limits", is_flag=True, help="Serve without rate limits.")
@click.option("--ratelimit-header-form", type=click.Choice(RATELIMIT_HEADER_FORMS), default="plain",
              show_default=True, help="RateLimit-Limit as a plain steady limit (3500) or as IETF-draft "
                                      "quota policies (350, 350;w=1, 3500;w=60).")
@click.option("--latency-ms", type=float, default=0.0, show_default=True, help="Added latency per request.")
@click.option("--api-key", envvar="KLAVIYO_API_KEY", default=EmulatorConfig.api_key, show_default=False,
              help="Private key the emulator accepts (default: the test key; env KLAVIYO_API_KEY). "
                   "With --accounts N > 1, account <name> accepts <api-key>_<name>.")
@click.option("--accounts", "n_accounts", type=click.IntRange(min=1), default=1, show_default=True,
              help="Serve N accounts on the port (seeds seed..seed+N-1, ids colliding across them); "
                   "prints each account's name, id and key.")
def emulator_command(port: int, seed: int, profiles: int, events: int, metrics: int, history_days: int,
                     scale: float, no_rate_limits: bool, ratelimit_header_form: str, latency_ms: float,
                     api_key: str, n_accounts: int) -> None:
    """Serve GET /api/metrics, /api/profiles, /api/events, /api/accounts, /api/campaigns and
    /api/flows (with their messages and actions) like Klaviyo, until interrupted."""
    from loader.emulator.runner import run_foreground

    try:
        config = EmulatorConfig(seed=seed, profiles=profiles, events=events, metrics=metrics,
                                history_days=history_days, api_key=api_key, rate_limits=not no_rate_limits,
                                rate_limit_scale=scale, ratelimit_header_form=ratelimit_header_form,
                                faults=FaultConfig(latency_ms=latency_ms))
    except ValueError as exc:
        raise SyncError(str(exc), "klaviyo-sync emulator options",
                        "see `klaviyo-sync emulator --help`") from None
    run_foreground(config, port, echo=click.echo, accounts=n_accounts)
