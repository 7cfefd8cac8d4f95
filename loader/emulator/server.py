"""The HTTP/1.1 keep-alive server (127.0.0.1 only): routes `/api/*` and `/_emulator/*`, injects faults."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from loader.emulator import api, control
from loader.emulator.errors import ApiError, throttled

if TYPE_CHECKING:
    from loader.emulator.emulator import Emulator

ENDPOINTS = {"/api/events": "events", "/api/profiles": "profiles", "/api/metrics": "metrics"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    emulator: Emulator
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
        if path.startswith("/_emulator/"):
            self._send(control.handle(self.server.emulator, "GET", path, b""))
            return
        endpoint = ENDPOINTS.get(path)
        if endpoint is None:
            self._send(api.error_response(ApiError(404, "not_found", f"No such endpoint: {path or '/'}.")))
            return
        self._api(endpoint, parse_qsl(url.query, keep_blank_values=True))

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        path = urlsplit(self.path).path.rstrip("/")
        body = self._read_body()
        if path.startswith("/_emulator/"):
            self._send(control.handle(self.server.emulator, "POST", path, body))
            return
        detail = f"Method POST is not allowed on {path} by the emulator."
        self._send(api.error_response(ApiError(405, "method_not_allowed", detail)))

    def _api(self, endpoint: str, params: list[tuple[str, str]]) -> None:
        emulator = self.server.emulator
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
            resp = api.handle(emulator, endpoint, headers, params, self.server.base_url)
        except Exception as exc:  # noqa: BLE001 - an emulator bug must still answer like an API would
            emulator.stats.count_status(500)
            error = ApiError(500, "error", f"Emulator error: {type(exc).__name__}: {exc}")
            resp = api.error_response(error)
        if kind == "malformed" and resp.status == 200:
            resp = api.Response(200, resp.body[: len(resp.body) // 3] + b"<html>bad gateway", resp.headers)
        self._send(resp, truncate=kind == "truncate" and resp.status == 200)


class EmulatorServer:
    """A running emulator server on 127.0.0.1; use as a context manager or call stop()."""

    def __init__(self, emulator: Emulator, port: int = 0, host: str = "127.0.0.1") -> None:
        self._httpd = _Server((host, port), _Handler)
        self._httpd.emulator = emulator
        self.host, self.port = host, int(self._httpd.server_address[1])
        self.base_url = f"http://{self.host}:{self.port}"
        self._httpd.base_url = self.base_url
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"klaviyo-emulator-{self.port}", daemon=True)

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
