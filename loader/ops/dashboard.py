"""`klaviyo-sync dashboard`: render the ledger as one static HTML page, or serve it on 127.0.0.1.

Three tabs: Historical, Periodic, and Imports (the SFTP import history of `klaviyo_sync_imports`:
status, rows, share sent, date, imported by, file, newest first). The page is self-contained
(styles, script and chart inline; no CDN). `?selftest=1` makes it switch tabs and open an error
drawer itself and write what it saw into `#selftest-result` (JSON), which
the tests read back from headless Chromium.

The static page (`--out`) shows the command that pauses, resumes or re-enables each object. The
served page (`--serve`) has Pause / Resume / Re-enable buttons instead: each is a small form that
POSTs to `/control` with a random token, made at start and printed in the URL the user opens. Every
request needs it (the page in a query parameter, a change as the form field `token` or the header
`X-Klaviyo-Sync-Token`, compared in constant time), so another page or program cannot read the page
or press a button; a GET to `/control` changes nothing (405), and the Host must be the loopback.
"""

from __future__ import annotations

import hmac
import http.server
import secrets
import urllib.parse
from collections import defaultdict
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from loader.errors import SyncError
from loader.ledger import statuses
from loader.ledger.records import ErrorRecord, ImportRecord, RunRecord
from loader.ledger.store import LedgerStore
from loader.ledger.view import LedgerView, TabRow
from loader.ops.controls import ACTIONS, set_control
from loader.ops.freshness_chart import freshness_series, render_svg
from loader.ops.queries import load_view
from loader.ops.report_text import age, when
from loader.secrets import redact
from loader.sync_observer import DEFAULT_ACCOUNT
from loader.upload.history_report import share

TIMELINE_ROWS = 100
IMPORT_ROWS = 200  # the newest imports shown (all: `klaviyo-sync imports --limit N`)
LOOPBACK = "127.0.0.1"
CONTROL_PATH = "/control"
TOKEN_HEADER = "X-Klaviyo-Sync-Token"
MAX_FORM_BYTES = 4096
BUTTONS = {"pause": "Pause", "resume": "Resume", "enable": "Re-enable"}


def render_dashboard(
    view: LedgerView, destination: str, dataset: str, *, token: str | None = None,
    imports: Sequence[ImportRecord] = (),
) -> str:
    """The page; with `token` (the served page) rows carry working buttons, else the commands."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    errors_by_key = _errors_by_key(view.errors, view.accounts)
    timeline = env.from_string(_asset("timeline.html.j2"))
    several = view.several_accounts

    def errors_button(run_id: str | None, account: str = DEFAULT_ACCOUNT) -> Markup:
        key = _key(run_id or "", account)
        count = len(errors_by_key.get(key, []))
        if not count:
            return Markup("")
        label = f"{count} error{'s' if count > 1 else ''}"
        button = '<button type="button" class="errors" data-errors="{}">{}</button>'
        return Markup(button).format(key, label)

    def control(row: TabRow) -> Markup:
        return _control_button(row, token) if token else _control_hint(row, several)

    def groups(rows: list[TabRow]) -> list[tuple[str | None, list[TabRow]]]:
        if not several:
            return [(None, rows)] if rows else []
        return [(a, own) for a in view.accounts if (own := view.rows_of(rows, a))]

    helpers: dict[str, Any] = {
        "when": when, "age": age, "css": _css, "display": statuses.display, "errors_button": errors_button,
        "control": control, "groups": groups, "several": several,
    }

    def render_timeline(runs: list[RunRecord]) -> Markup:
        return Markup(timeline.render(runs=runs[:TIMELINE_ROWS], **helpers))

    page = env.from_string(_asset("dashboard.html.j2")).render(
        view=view, destination=destination, dataset=dataset, errors_by_key=errors_by_key,
        historical_runs=[r for r in view.runs if r.kind == statuses.HISTORICAL],
        periodic_runs=[r for r in view.runs if r.kind == statuses.PERIODIC],
        chart=Markup(render_svg(freshness_series(view.runs, view.now, several))),
        timeline=render_timeline, style=Markup(_asset("dashboard.css")),
        imports=sorted(imports, key=lambda r: r.imported_at, reverse=True)[:IMPORT_ROWS], share=share,
        imports_several=several or len({r.account for r in imports}) > 1,
        script=Markup(_asset("dashboard.js")),
        **helpers,
    )
    return redact(page)  # ledger texts are redacted when written; this is a second line of defence


def write_dashboard(store: LedgerStore, out: str | Path) -> Path:
    """Write the page to a temporary name, then move it over `out` (never a half-written page)."""
    path = Path(out)
    view = load_view(store)
    html = render_dashboard(view, store.destination_name, store.dataset_name, imports=store.imports())
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(html, encoding="utf-8")
    partial.replace(path)
    return path


class DashboardServer(http.server.ThreadingHTTPServer):
    """The served dashboard: `token` guards every request, `url` is the address to open."""

    token: str
    accounts: tuple[str, ...]

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/?token={self.token}"


def dashboard_server(
    store: LedgerStore,
    port: int = 0,
    *,
    host: str = LOOPBACK,
    token: str | None = None,
    accounts: Sequence[str] = (),
) -> DashboardServer:
    """An HTTP server on 127.0.0.1 that renders the page from the ledger on every GET and applies
    the buttons' POSTs to the ledger switches. `accounts`: the accounts a button may change besides
    those the ledger knows (e.g. the configured ones)."""
    if host != LOOPBACK:
        raise SyncError(f"the dashboard serves on {LOOPBACK} only, not {host!r}",
                        "klaviyo-sync dashboard --serve",
                        "open it on this machine (or through an SSH tunnel to 127.0.0.1)", code="config")
    secret = token or secrets.token_urlsafe(32)

    class Handler(http.server.BaseHTTPRequestHandler):
        server: DashboardServer

        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            url = urllib.parse.urlsplit(self.path)
            if not self._host_ok():
                return self._plain(403, "forbidden: open the dashboard at 127.0.0.1")
            if url.path == CONTROL_PATH:
                return self._plain(405, "changes are POST only", Allow="POST")
            if url.path != "/":
                return self._plain(404, "not found")
            query = urllib.parse.parse_qs(url.query)
            if not _same(query.get("token", [""])[0], secret):
                return self._plain(403, "forbidden: open the URL with the token printed at start")
            view = load_view(store)
            body = render_dashboard(view, store.destination_name, store.dataset_name, token=secret,
                                    imports=store.imports()).encode()
            self._send(200, body, "text/html; charset=utf-8")

        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            url = urllib.parse.urlsplit(self.path)
            if url.path != CONTROL_PATH:
                return self._plain(404, "not found")
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_FORM_BYTES:
                return self._plain(413, "request too large")
            form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
            given = self.headers.get(TOKEN_HEADER) or form.get("token", [""])[0]
            if not self._host_ok() or not self._origin_ok() or not _same(given, secret):
                return self._plain(403, "forbidden: a change needs the dashboard's token")
            action, account, obj = (form.get(name, [""])[0] for name in ("action", "account", "object"))
            known = set(self.server.accounts) | set(load_view(store).accounts) | {DEFAULT_ACCOUNT}
            if action not in ACTIONS or obj not in statuses.CONTROLLED_OBJECTS or account not in known:
                return self._plain(400, "unknown action, account or object")
            set_control(store, action, [obj], [account])
            self.send_response(303)
            self.send_header("Location", f"/?token={urllib.parse.quote(secret)}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _host_ok(self) -> bool:
            """Against DNS rebinding: the page is only for 127.0.0.1 / localhost with our port."""
            allowed = {f"{name}:{self.server.port}" for name in (LOOPBACK, "localhost")}
            return self.headers.get("Host", "") in allowed

        def _origin_ok(self) -> bool:
            origin = self.headers.get("Origin")
            if origin is None or origin == "null":
                return origin is None
            return origin in {f"http://{name}:{self.server.port}" for name in (LOOPBACK, "localhost")}

        def _plain(self, code: int, text: str, **headers: str) -> None:
            self._send(code, (text + "\n").encode(), "text/plain; charset=utf-8", **headers)

        def _send(self, code: int, body: bytes, content_type: str, **headers: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            # same-origin, not no-referrer: with no-referrer a form POST says `Origin: null`
            self.send_header("Referrer-Policy", "same-origin")
            self.send_header("X-Frame-Options", "DENY")
            self.send_header("Content-Security-Policy",
                             "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
                             "img-src data:; form-action 'self'; frame-ancestors 'none'")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet (URLs hold the token)
            pass

    server = DashboardServer((LOOPBACK, port), Handler)
    server.token, server.accounts = secret, tuple(accounts)
    return server


def serve_dashboard(
    store: LedgerStore, port: int, echo: Callable[[str], None] = print, accounts: Sequence[str] = ()
) -> None:
    """Serve the page on 127.0.0.1:`port` until Ctrl-C or SIGTERM."""
    with dashboard_server(store, port, accounts=accounts) as server:
        echo(f"serving the dashboard on {server.url} (Ctrl-C to stop)")
        echo("open that URL: its token is needed to see the page and to press its buttons")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            echo("stopped")


def _same(given: str, secret: str) -> bool:
    return hmac.compare_digest(given.encode(), secret.encode())


def _key(run_id: str, account: str | None) -> str:
    return f"{run_id}:{account or ''}"


def _errors_by_key(errors: list[ErrorRecord], accounts: Sequence[str]) -> dict[str, list[ErrorRecord]]:
    """Errors per run and account; a run-level error (no account) shows with every account."""
    grouped: dict[str, list[ErrorRecord]] = defaultdict(list)
    everyone = list(accounts) or [DEFAULT_ACCOUNT]
    for error in sorted(errors, key=lambda e: e.occurred_at):
        for account in [error.account] if error.account else everyone:
            grouped[_key(error.run_id, account)].append(error)
    return dict(grouped)


def _asset(name: str) -> str:
    """The page's template, styles and script ship as package data in loader/ops/assets/."""
    return resources.files("loader.ops").joinpath("assets", name).read_text(encoding="utf-8")


def _verb(row: TabRow) -> str:
    return {statuses.PAUSED: "resume", statuses.DISABLED: "enable"}.get(row.status, "pause")


def _control_hint(row: TabRow, several: bool) -> Markup:
    """A static page has no buttons that act: show the command that pauses, resumes or re-enables."""
    if row.name not in statuses.CONTROLLED_OBJECTS:
        return Markup("")
    account = f" --account {row.account}" if several or row.account != DEFAULT_ACCOUNT else ""
    return Markup('<code class="control">klaviyo-sync {} {}{}</code>').format(_verb(row), row.name, account)


def _control_button(row: TabRow, token: str) -> Markup:
    """The served page's button: a form POSTing the action with the token."""
    if row.name not in statuses.CONTROLLED_OBJECTS:
        return Markup("")
    verb = _verb(row)
    form = (
        '<form class="control" method="post" action="{path}">'
        '<input type="hidden" name="token" value="{token}">'
        '<input type="hidden" name="action" value="{verb}">'
        '<input type="hidden" name="account" value="{account}">'
        '<input type="hidden" name="object" value="{obj}">'
        '<button type="submit" class="control" data-action="{verb}" data-account="{account}" '
        'data-object="{obj}">{label}</button></form>'
    )
    return Markup(form).format(path=CONTROL_PATH, token=token, verb=verb, account=row.account, obj=row.name,
                               label=BUTTONS[verb])


def _css(status: str) -> str:
    return "s-" + status.lower().replace(" ", "-")
