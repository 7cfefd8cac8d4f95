"""The Emulator: one account's state (AccountState) that can serve itself; serve_accounts for several."""

from __future__ import annotations

import ssl
from collections.abc import Sequence

from loader.emulator.account_state import AccountState
from loader.emulator.config import EmulatorConfig
from loader.emulator.server import EmulatorServer


class Emulator(AccountState):
    """One account: builds its data set at construction; `serve()` starts HTTP for it alone."""

    def __init__(self, config: EmulatorConfig | None = None, *, anchor_us: int | None = None) -> None:
        super().__init__(config, anchor_us=anchor_us)
        self._servers: list[EmulatorServer] = []

    def serve(self, port: int = 0, host: str = "127.0.0.1",
              ssl_context: ssl.SSLContext | None = None) -> EmulatorServer:
        """Start serving in a background thread; stop with `.stop()` or use `with emulator.serve() as s:`."""
        server = EmulatorServer(self, port, host, ssl_context)
        self._servers.append(server)
        return server.start()

    def stop(self) -> None:
        """Stop every server this emulator started."""
        while self._servers:
            self._servers.pop().stop()


def serve_accounts(emulators: Sequence[AccountState], port: int = 0, host: str = "127.0.0.1",
                   ssl_context: ssl.SSLContext | None = None) -> EmulatorServer:
    """Serve several accounts on ONE server (started in a background thread), like one Klaviyo host:
    each /api request goes to the account whose `config.api_key` its Authorization names (unknown key:
    401). Each account keeps its own rate limits, faults, stats, growth and truth. Keys and account ids
    must be distinct (ValueError). Stop with the returned server's `.stop()` (or `with`); the
    emulators' own `stop()` does not own it."""
    return EmulatorServer(list(emulators), port, host, ssl_context).start()
