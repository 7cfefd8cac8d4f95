"""A small threaded HTTP/1.1 keep-alive server that answers every GET and POST with a plain handler.

It knows nothing of what it serves: the handler gets a `Request` (method, path, query, lower-case headers,
body) and returns a `Response`, whose `delivery` may also cut the body short or drop the connection
(for fault injection). With an `ssl.SSLContext` it serves HTTPS. Stop it with `stop()`: that also ends
the keep-alive connections still open, so no handler thread outlives the server.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

# "whole": the body as is; "truncated": the headers (with the whole body's Content-Length), then half
# the body, then the connection closes; "dropped": the connection closes without an answer.
Delivery = Literal["whole", "truncated", "dropped"]


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # as sent, without the query string (not unquoted)
    query: list[tuple[str, str]]  # in order, blank values kept
    headers: Mapping[str, str]  # lower-case names
    body: bytes = b""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()  # Content-Length is added by the server
    delivery: Delivery = "whole"


Handler = Callable[[Request], Response]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    handler: Handler
    name: str
    ssl_context: ssl.SSLContext | None

    def server_activate(self) -> None:
        super().server_activate()
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        if self.ssl_context is not None:  # the handshake happens in the connection's own thread
            conn = self.ssl_context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, address

    def process_request(self, request: Any, client_address: Any) -> None:
        """One daemon thread per connection (as ThreadingMixIn), named and tracked for stop()."""
        with self.connections_lock:
            self.open_connections.add(request)
        name = f"{self.name}-{self.server_address[1]}-conn"
        threading.Thread(target=self.process_request_thread, args=(request, client_address), name=name,
                         daemon=True).start()

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.open_connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away or failed its TLS handshake is not an error worth a traceback."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self.connections_lock:
            connections = list(self.open_connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def version_string(self) -> str:
        return self.server.name

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._answer()

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        self._answer()

    def _answer(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(self.command, url.path, parse_qsl(url.query, keep_blank_values=True),
                          {k.lower(): v for k, v in self.headers.items()},
                          self.rfile.read(length) if length else b"")
        self._send(self.server.handler(request))

    def _send(self, resp: Response) -> None:
        if resp.delivery == "dropped":
            self.close_connection = True
            return
        self.send_response(resp.status)
        for name, value in resp.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if resp.delivery == "truncated":
            self.wfile.write(resp.body[: max(1, len(resp.body) // 2)])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(resp.body)


class HttpServer:
    """Listens on host:port (0 = any free port) from construction; `start()` serves in a background thread,
    `serve_forever()` in the calling one. `name` is the Server header and the threads' name prefix."""

    def __init__(self, handler: Handler, port: int = 0, host: str = "127.0.0.1", *, name: str = "http",
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self._httpd = _Server((host, port), _RequestHandler)
        self._httpd.handler = handler
        self._httpd.name = name
        self._httpd.ssl_context = ssl_context
        self.host, self.port = host, int(self._httpd.server_address[1])
        self.scheme = "https" if ssl_context is not None else "http"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"{name}-{self.port}", daemon=True)

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def start(self) -> HttpServer:
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

