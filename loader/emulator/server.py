"""EmulatorServer: the served accounts (EmulatorApp) on an HTTP server bound to 127.0.0.1."""

from __future__ import annotations

import ssl
from collections.abc import Sequence

from loader.emulator.account_state import AccountState
from loader.emulator.app import EmulatorApp
from loader.emulator.http_server import HttpServer


class EmulatorServer:
    """A running emulator server on 127.0.0.1; use as a context manager or call stop().

    Serves one account, or several given as a sequence: each /api request then goes to the account whose
    `config.api_key` its Authorization header names (see emulator.serve_accounts). Binding the port
    (at construction) sets every served account's `base_url`; with `ssl_context` it serves HTTPS."""

    def __init__(self, accounts: AccountState | Sequence[AccountState], port: int = 0,
                 host: str = "127.0.0.1", ssl_context: ssl.SSLContext | None = None) -> None:
        self._app = EmulatorApp(tuple(accounts) if isinstance(accounts, Sequence) else (accounts,))
        self._http = HttpServer(self._app, port, host, name="klaviyo-emulator", ssl_context=ssl_context)
        for account in self._app.accounts:
            account.base_url = self._http.base_url

    @property
    def emulators(self) -> tuple[AccountState, ...]:
        """The served accounts, in the order given."""
        return self._app.accounts

    @property
    def emulator(self) -> AccountState:
        """The first (or only) account served."""
        return self._app.accounts[0]

    def account(self, account_id: str) -> AccountState:
        """The served account of that account id (KeyError if none)."""
        for account in self._app.accounts:
            if account.account_id == account_id:
                return account
        raise KeyError(account_id)

    @property
    def host(self) -> str:
        return self._http.host

    @property
    def port(self) -> int:
        return self._http.port

    @property
    def base_url(self) -> str:
        return self._http.base_url

    def start(self) -> EmulatorServer:
        self._http.start()
        return self

    def serve_forever(self) -> None:
        self._http.serve_forever()

    def stop(self) -> None:
        self._http.stop()

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
