"""`klaviyo-sync dashboard`: render the ledger as one static HTML page, or serve it on 127.0.0.1.

The page is self-contained (styles, script and chart inline; no CDN). `?selftest=1` makes it switch
tabs and open an error drawer itself and write what it saw into `#selftest-result` (JSON), which
the tests read back from headless Chromium.
"""

from __future__ import annotations

import http.server
from collections import defaultdict
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from loader.ledger import statuses
from loader.ledger.records import ErrorRecord, RunRecord
from loader.ledger.store import LedgerStore
from loader.ledger.view import LedgerView, TabRow
from loader.ops.freshness_chart import freshness_series, render_svg
from loader.ops.queries import load_view
from loader.ops.report_text import age, when
from loader.secrets import redact

TIMELINE_ROWS = 100


def render_dashboard(view: LedgerView, destination: str, dataset: str) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    errors_by_run = _errors_by_run(view.errors)
    timeline = env.from_string(_asset("timeline.html.j2"))

    def errors_button(run_id: str | None) -> Markup:
        count = len(errors_by_run.get(run_id or "", []))
        if not count:
            return Markup("")
        label = f"{count} error{'s' if count > 1 else ''}"
        button = '<button type="button" class="errors" data-errors="{}">{}</button>'
        return Markup(button).format(run_id, label)

    helpers: dict[str, Any] = {
        "when": when, "age": age, "css": _css, "display": statuses.display, "errors_button": errors_button,
        "control_hint": _control_hint,
    }

    def render_timeline(runs: list[RunRecord]) -> Markup:
        return Markup(timeline.render(runs=runs[:TIMELINE_ROWS], **helpers))

    page = env.from_string(_asset("dashboard.html.j2")).render(
        view=view, destination=destination, dataset=dataset, errors_by_run=errors_by_run,
        historical_runs=[r for r in view.runs if r.kind == statuses.HISTORICAL],
        periodic_runs=[r for r in view.runs if r.kind == statuses.PERIODIC],
        chart=Markup(render_svg(freshness_series(view.runs, view.now))),
        timeline=render_timeline, style=Markup(_asset("dashboard.css")),
        script=Markup(_asset("dashboard.js")),
        **helpers,
    )
    return redact(page)  # ledger texts are redacted when written; this is a second line of defence


def write_dashboard(store: LedgerStore, out: str | Path) -> Path:
    """Write the page to a temporary name, then move it over `out` (never a half-written page)."""
    path = Path(out)
    html = render_dashboard(load_view(store), store.destination_name, store.dataset_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(html, encoding="utf-8")
    partial.replace(path)
    return path


def dashboard_server(store: LedgerStore, port: int = 0) -> http.server.ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1 that renders the page from the ledger on every GET."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            body = render_dashboard(load_view(store), store.destination_name, store.dataset_name).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            pass

    return http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)


def serve_dashboard(store: LedgerStore, port: int, echo: Callable[[str], None] = print) -> None:
    """Serve the page on 127.0.0.1:`port` until Ctrl-C or SIGTERM."""
    with dashboard_server(store, port) as server:
        echo(f"serving the dashboard on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            echo("stopped")


def _errors_by_run(errors: list[ErrorRecord]) -> dict[str, list[ErrorRecord]]:
    grouped: dict[str, list[ErrorRecord]] = defaultdict(list)
    for error in sorted(errors, key=lambda e: e.occurred_at):
        grouped[error.run_id].append(error)
    return dict(grouped)


def _asset(name: str) -> str:
    """The page's template, styles and script ship as package data in loader/ops/assets/."""
    return resources.files("loader.ops").joinpath("assets", name).read_text(encoding="utf-8")


def _control_hint(row: TabRow) -> Markup:
    """A static page has no buttons that act: show the command that pauses, resumes or re-enables."""
    if row.name not in statuses.CONTROLLED_OBJECTS:
        return Markup("")
    verb = {statuses.PAUSED: "resume", statuses.DISABLED: "enable"}.get(row.status, "pause")
    return Markup('<code class="control">klaviyo-sync {} {}</code>').format(verb, row.name)


def _css(status: str) -> str:
    return "s-" + status.lower().replace(" ", "-")
