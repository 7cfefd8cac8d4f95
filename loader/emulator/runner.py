"""Run the emulator in the foreground until SIGINT/SIGTERM (used by `klaviyo-sync emulator`)."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

from loader.emulator.accounts import env_lines, several_accounts
from loader.emulator.config import EmulatorConfig
from loader.emulator.emulator import Emulator
from loader.emulator.server import EmulatorServer
from loader.errors import SyncError


def run_foreground(config: EmulatorConfig, port: int, echo: Callable[[str], None] = print,
                   accounts: int = 1) -> None:
    """Serve `config` (or, with accounts > 1, that many accounts with colliding ids, see
    accounts.several_accounts) on 127.0.0.1:port until interrupted."""
    started = time.perf_counter()
    named = several_accounts(config, accounts)
    emulators = [Emulator(c) for _, c in named]
    built = time.perf_counter() - started
    try:
        server = EmulatorServer(emulators, port)
    except OSError as exc:
        raise SyncError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}", "--port",
                        "choose a free port, or 0 for any free port") from None

    def _stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    counts = emulators[0].counts()
    per = " per account" if len(emulators) > 1 else ""
    echo(f"Klaviyo API emulator: {counts['metrics']} metrics, {counts['profiles']} profiles, "
         f"{counts['events']} events{per} built in {built:.2f}s")
    if len(emulators) > 1:
        echo(f"{len(emulators)} accounts (emulator test keys; ids collide across accounts):")
        for (name, _), emulator in zip(named, emulators, strict=True):
            echo(f"  account {name}: id {emulator.account_id}, api key {emulator.config.api_key}")
        for line in env_lines(server.base_url, [(n, e.config.api_key) for (n, _), e in zip(named, emulators,
                                                                                           strict=True)]):
            echo(line)
    else:
        echo(f"Account {emulators[0].account_id}")
    echo(f"Listening on {server.base_url} (rate limits: "
         f"{'x' + str(config.rate_limit_scale) if config.rate_limits else 'off'}); Ctrl-C to stop")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        for (name, _), emulator in zip(named, emulators, strict=True):
            label = f" ({name} {emulator.account_id})" if len(emulators) > 1 else ""
            echo(f"Stopped{label}. Stats: {emulator.stats.as_dict()}")
