"""The HTTP/1.1 keep-alive server (127.0.0.1 only): routes `/api/*` and `/_emulator/*`, injects faults."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from loader.emulator import api, control
from loader.emulator.errors import ApiError, throttled

if TYPE_CHECKING:
    from loader.emulator.emulator import Emulator

ENDPOINTS = {"/api/events": "events", "/api/profiles": "profiles", "/api/metrics": "metrics",
             "/api/accounts": "accounts"}
ACCOUNT_PATH = "/api/accounts/"  # + {id}: GET /api/accounts/{id}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    emulators: tuple[Emulator, ...]
    by_key: dict[str, Emulator]
    base_url: str

    def server_activate(self) -> None:
        super().server_activate()
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        """One daemon thread per connection (as ThreadingMixIn), named and tracked for stop()."""
        with self.connections_lock:
            self.open_connections.add(request)
        name = f"klaviyo-emulator-{self.server_address[1]}-conn"
        threading.Thread(target=self.process_request_thread, args=(request, client_address), name=name,
                         daemon=True).start()

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.open_connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End keep-alive connections still open, so no handler thread outlives the server."""
        with self.connections_lock:
            connections = list(self.open_connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def version_string(self) -> str:
        return "klaviyo-emulator"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return

    def _send(self, resp: api.Response, truncate: bool = False) -> None:
        self.send_response(resp.status)
        self.send_header("Content-Type", api.CONTENT_TYPE)
        self.send_header("Content-Length", str(len(resp.body)))
        for name, value in resp.headers:
            self.send_header(name, value)
        self.end_headers()
        if truncate:
            self.wfile.write(resp.body[: max(1, len(resp.body) // 2)])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(resp.body)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        url = urlsplit(self.path)
        path = url.path.rstrip("/")
        query = parse_qsl(url.query, keep_blank_values=True)
        if path.startswith("/_emulator/"):
            self._send(control.handle(self.server.emulators, "GET", path, b"", query))
            return
        endpoint, resource_id = ENDPOINTS.get(path), None
        if endpoint is None and path.startswith(ACCOUNT_PATH) and "/" not in path[len(ACCOUNT_PATH):]:
            endpoint, resource_id = "account", unquote(path[len(ACCOUNT_PATH):])
        if endpoint is None:
            self._send(api.error_response(ApiError(404, "not_found", f"No such endpoint: {path or '/'}.")))
            return
        self._api(endpoint, query, resource_id)

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        url = urlsplit(self.path)
        path = url.path.rstrip("/")
        body = self._read_body()
        if path.startswith("/_emulator/"):
            query = parse_qsl(url.query, keep_blank_values=True)
            self._send(control.handle(self.server.emulators, "POST", path, body, query))
            return
        detail = f"Method POST is not allowed on {path} by the emulator."
        self._send(api.error_response(ApiError(405, "method_not_allowed", detail)))

    def _account(self) -> Emulator | None:
        """The emulator this request's key belongs to (the only one when one account is served, so its
        stats count unauthenticated requests as before); None: a key no served account has."""
        if len(self.server.emulators) == 1:
            return self.server.emulators[0]
        key = api.request_key({k.lower(): v for k, v in self.headers.items()})
        return self.server.by_key.get(key) if key else None

    def _api(self, endpoint: str, params: list[tuple[str, str]], resource_id: str | None = None) -> None:
        emulator = self._account()
        if emulator is None:
            provided = api.request_key({k.lower(): v for k, v in self.headers.items()}) is not None
            self._send(api.error_response(api.not_authenticated(provided)))
            return
        emulator.stats.count_request()
        plan = emulator.fault_injector.plan() if emulator.fault_injector else None
        if plan and plan.latency_s > 0:
            time.sleep(plan.latency_s)  # injected latency: the fault itself, not a test wait
        kind = plan.kind if plan else None
        if kind:
            emulator.stats.count_fault(kind)
        if kind == "drop":
            self.close_connection = True
            return
        if kind in ("429", "503"):
            retry = emulator.fault_injector.config.retry_after_s if emulator.fault_injector else 1
            error = throttled(retry) if kind == "429" else ApiError(
                503, "service_unavailable", "The service is temporarily unavailable.")
            self._send(api.error_response(error))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            resp = api.handle(emulator, endpoint, headers, params, self.server.base_url, resource_id)
        except Exception as exc:  # noqa: BLE001 - an emulator bug must still answer like an API would
            emulator.stats.count_status(500)
            error = ApiError(500, "error", f"Emulator error: {type(exc).__name__}: {exc}")
            resp = api.error_response(error)
        if kind == "malformed" and resp.status == 200:
            resp = api.Response(200, resp.body[: len(resp.body) // 3] + b"<html>bad gateway", resp.headers)
        self._send(resp, truncate=kind == "truncate" and resp.status == 200)


class EmulatorServer:
    """A running emulator server on 127.0.0.1; use as a context manager or call stop().

    Serves one Emulator (one account), or several given as a sequence: each /api request then goes to
    the account whose `config.api_key` its Authorization header names (see emulator.serve_accounts)."""

    def __init__(self, emulator: Emulator | Sequence[Emulator], port: int = 0,
                 host: str = "127.0.0.1") -> None:
        emulators = tuple(emulator) if isinstance(emulator, Sequence) else (emulator,)
        if not emulators:
            raise ValueError("EmulatorServer needs at least one Emulator")
        keys = [e.config.api_key for e in emulators]
        if len(set(keys)) != len(keys):
            raise ValueError("the served accounts' api keys must be distinct")
        account_ids = [e.account_id for e in emulators]
        if len(set(account_ids)) != len(account_ids):
            raise ValueError(f"the served accounts' ids must be distinct, got {account_ids}")
        self.emulators = emulators
        self._httpd = _Server((host, port), _Handler)
        self._httpd.emulators = emulators
        self._httpd.by_key = {e.config.api_key: e for e in emulators}
        self.host, self.port = host, int(self._httpd.server_address[1])
        self.base_url = f"http://{self.host}:{self.port}"
        self._httpd.base_url = self.base_url
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"klaviyo-emulator-{self.port}", daemon=True)

    @property
    def emulator(self) -> Emulator:
        """The first (or only) account served."""
        return self.emulators[0]

    def account(self, account_id: str) -> Emulator:
        """The served emulator of that account id (KeyError if none)."""
        for emulator in self.emulators:
            if emulator.account_id == account_id:
                return emulator
        raise KeyError(account_id)

    def start(self) -> EmulatorServer:
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join(timeout=10)
        self._httpd.close_connections()
        self._httpd.server_close()

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
