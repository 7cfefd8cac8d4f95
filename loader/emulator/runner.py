"""Run the emulator in the foreground until SIGINT/SIGTERM (used by `klaviyo-sync emulator`)."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

from loader.emulator.config import EmulatorConfig
from loader.emulator.emulator import Emulator
from loader.emulator.server import EmulatorServer
from loader.errors import SyncError


def run_foreground(config: EmulatorConfig, port: int, echo: Callable[[str], None] = print) -> None:
    started = time.perf_counter()
    emulator = Emulator(config)
    built = time.perf_counter() - started
    try:
        server = EmulatorServer(emulator, port)
    except OSError as exc:
        raise SyncError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}", "--port",
                        "choose a free port, or 0 for any free port") from None
    emulator.base_url = server.base_url
    counts = emulator.counts()

    def _stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    echo(f"Klaviyo API emulator: {counts['metrics']} metrics, {counts['profiles']} profiles, "
         f"{counts['events']} events built in {built:.2f}s")
    echo(f"Listening on {server.base_url} (rate limits: "
         f"{'x' + str(config.rate_limit_scale) if config.rate_limits else 'off'}); Ctrl-C to stop")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        echo(f"Stopped. Stats: {emulator.stats.as_dict()}")
