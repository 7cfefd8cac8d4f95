"""The handler the HTTP server calls for the served accounts: routes each request (routes.py), picks the
account its key names, injects that account's faults around the API pipeline (api.py), and sends
`/_emulator/*` to the control endpoints."""

from __future__ import annotations

import time
from collections.abc import Sequence

from loader.emulator import api
from loader.emulator.account_state import AccountState
from loader.emulator.endpoints import control
from loader.emulator.endpoints.control import ControlRoute
from loader.emulator.errors import ApiError, throttled
from loader.emulator.http_server import Request, Response
from loader.emulator.operation import Operation
from loader.emulator.responses import error_response
from loader.emulator.routes import match


class EmulatorApp:
    """A `Handler` (Request -> Response) serving several accounts as one Klaviyo host."""

    def __init__(self, accounts: Sequence[AccountState]) -> None:
        if not accounts:
            raise ValueError("EmulatorServer needs at least one Emulator")
        keys = [a.config.api_key for a in accounts]
        if len(set(keys)) != len(keys):
            raise ValueError("the served accounts' api keys must be distinct")
        account_ids = [a.account_id for a in accounts]
        if len(set(account_ids)) != len(account_ids):
            raise ValueError(f"the served accounts' ids must be distinct, got {account_ids}")
        self.accounts = tuple(accounts)
        self._by_key = {a.config.api_key: a for a in accounts}

    def __call__(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        found = match(request.method, path)
        if found is None:
            if path.startswith(control.PREFIX):
                return control.answer(None, self.accounts, request)
            if request.method == "POST":
                detail = f"Method POST is not allowed on {path} by the emulator."
                return error_response(ApiError(405, "method_not_allowed", detail))
            return error_response(ApiError(404, "not_found", f"No such endpoint: {path or '/'}."))
        route, params = found
        if isinstance(route, ControlRoute):
            return control.answer(route, self.accounts, request)
        return self._api(route, request, params)

    def _account(self, request: Request) -> AccountState | None:
        """The account this request's key belongs to (the only one when one account is served, so its
        stats count unauthenticated requests too); None: a key no served account has."""
        if len(self.accounts) == 1:
            return self.accounts[0]
        key = api.request_key(request.headers)
        return self._by_key.get(key) if key else None

    def _api(self, operation: Operation, request: Request, params: dict[str, str]) -> Response:
        account = self._account(request)
        if account is None:
            return error_response(api.not_authenticated(api.request_key(request.headers) is not None))
        account.stats.count_request()
        injector = account.fault_injector
        plan = injector.plan() if injector else None
        if plan and plan.latency_s > 0:
            time.sleep(plan.latency_s)  # injected latency: the fault itself, not a test wait
        kind = plan.kind if plan else None
        if kind:
            account.stats.count_fault(kind)
        if kind == "drop":
            return Response(0, delivery="dropped")
        if kind in ("429", "503"):
            retry = injector.config.retry_after_s if injector else 1
            error = throttled(retry) if kind == "429" else ApiError(
                503, "service_unavailable", "The service is temporarily unavailable.")
            return error_response(error)
        try:
            resp = api.answer(account, operation, request.headers, request.query, params)
        except Exception as exc:  # noqa: BLE001 - an emulator bug must still answer like an API would
            account.stats.count_status(500)
            resp = error_response(ApiError(500, "error", f"Emulator error: {type(exc).__name__}: {exc}"))
        if resp.status != 200:
            return resp
        if kind == "malformed":
            return Response(200, resp.body[: len(resp.body) // 3] + b"<html>bad gateway", resp.headers)
        if kind == "truncate":
            return Response(200, resp.body, resp.headers, delivery="truncated")
        return resp
