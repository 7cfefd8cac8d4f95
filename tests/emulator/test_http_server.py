"""The HTTP server serves any plain handler (method, path, query, headers, body -> response), cuts or drops
answers when told to, serves HTTPS with an SSL context, and routes.match finds an operation's path."""

from __future__ import annotations

import http.client
import socket
import threading

import pytest
import requests

from loader.emulator.http_server import HttpServer, Request, Response
from loader.emulator.routes import OPERATIONS, ROUTES, match
from tests.emulator.helpers import wait_until
from tests.emulator.tls import make_certificate


def _echo(seen: list[Request]):
    def handler(request: Request) -> Response:
        seen.append(request)
        if request.path == "/cut":
            return Response(200, b"0123456789", delivery="truncated")
        if request.path == "/drop":
            return Response(200, b"never sent", delivery="dropped")
        return Response(201, request.body or b"hello", (("X-Seen", request.method),))
    return handler


def test_a_plain_handler_gets_method_path_query_headers_and_body():
    seen: list[Request] = []
    server = HttpServer(_echo(seen), name="plain-test").start()
    try:
        resp = requests.get(f"{server.base_url}/a%20b/?x=1&x=2&empty=", headers={"X-Thing": "v"}, timeout=10)
        assert (resp.status_code, resp.content, resp.headers["X-Seen"]) == (201, b"hello", "GET")
        assert resp.headers["Server"].startswith("plain-test") and resp.headers["Content-Length"] == "5"
        posted = requests.post(f"{server.base_url}/p", data=b'{"k": 1}', timeout=10)
        assert posted.content == b'{"k": 1}'
    finally:
        server.stop()
    get, post = seen
    assert (get.method, get.path, get.query) == ("GET", "/a%20b/", [("x", "1"), ("x", "2"), ("empty", "")])
    assert get.headers["x-thing"] == "v" and get.body == b""
    assert (post.method, post.path, post.body) == ("POST", "/p", b'{"k": 1}')
    assert server.base_url == f"http://127.0.0.1:{server.port}"


def test_truncated_and_dropped_deliveries():
    server = HttpServer(_echo([])).start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", "/cut")
        resp = conn.getresponse()
        assert resp.getheader("Content-Length") == "10"
        with pytest.raises(http.client.IncompleteRead) as cut:
            resp.read()
        assert cut.value.partial == b"01234"
        conn.close()
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(f"{server.base_url}/drop", timeout=10)
    finally:
        server.stop()


def test_https_with_an_ssl_context(tmp_path):
    cert = make_certificate(tmp_path)
    server = HttpServer(_echo([]), ssl_context=cert.server_context()).start()
    try:
        assert server.base_url == f"https://127.0.0.1:{server.port}"
        trusted = requests.get(f"{server.base_url}/x", verify=str(cert.cert_file), timeout=10)
        assert trusted.content == b"hello"
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"{server.base_url}/x", timeout=10)  # not a certificate the system trusts
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as plain:  # no handshake
            plain.sendall(b"GET /x HTTP/1.1\r\n\r\n")
            assert plain.recv(100)[:4] != b"HTTP"
        assert requests.get(f"{server.base_url}/x", verify=str(cert.cert_file), timeout=10).ok
    finally:
        server.stop()
    name = f"http-{server.port}-conn"
    wait_until(lambda: not any(t.name == name and t.is_alive() for t in threading.enumerate()), timeout=5)


def test_routes_match_paths_with_a_trailing_slash_and_path_parameters():
    by_path = {route.path: route for route in ROUTES}
    assert match("GET", "/api/events/") == (by_path["/api/events"], {})
    assert match("GET", "/api/accounts/Ab%2FC1") == (by_path["/api/accounts/{id}"], {"id": "Ab/C1"})
    assert match("GET", "/api/accounts/x/profiles") is None
    assert match("POST", "/api/events") is None
    assert match("POST", "/_emulator/grow") == (by_path["/_emulator/grow"], {})
    assert len({(r.method, r.path) for r in ROUTES}) == len(ROUTES)
    assert len({op.name for op in OPERATIONS}) == len(OPERATIONS)
