"""The emulator's modules import each other without a cycle (type-checking-only imports included), and
the HTTP server module imports nothing of the emulator (it serves a plain handler)."""

from __future__ import annotations

import ast
from pathlib import Path

import loader.emulator

PACKAGE = "loader.emulator"
ROOT = Path(loader.emulator.__file__).parent


def _modules(root: Path, package: str) -> dict[str, Path]:
    """Every module of the package at `root`, by dotted name."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        out[".".join((package, *(parts[:-1] if parts[-1] == "__init__" else parts)))] = path
    return out


def _resolve(module: str | None, level: int, importer: str, is_package: bool) -> str:
    if not level:
        return module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def import_graph(root: Path = ROOT, package: str = PACKAGE) -> dict[str, set[str]]:
    """module -> the emulator modules its import statements name, wherever they stand (module level,
    functions, `if TYPE_CHECKING:`). `from pkg import name` names pkg.name when that is a module, else
    pkg. A submodule's implicit import of its parent package is not an edge."""
    modules = _modules(root, package)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                source = _resolve(node.module, node.level, name, is_package)
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source
                           for a in node.names]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_emulator_has_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 20 and f"{PACKAGE}.endpoints.events" in graph
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_cycle_finder_finds_a_type_checking_cycle(tmp_path):
    """The check can fail: two modules importing each other, one only under TYPE_CHECKING."""
    package = tmp_path / "fake"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from fake.b import B\n")
    (package / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                  "    from fake import a\nclass B: ...\n")
    assert find_cycle(import_graph(package, "fake")) == ["fake.a", "fake.b", "fake.a"]
    (package / "b.py").write_text("class B: ...\n")
    assert find_cycle(import_graph(package, "fake")) is None


def test_the_http_server_knows_nothing_of_the_emulator():
    assert import_graph()[f"{PACKAGE}.http_server"] == set()
    source = (ROOT / "http_server.py").read_text().lower()
    assert "klaviyo" not in source


def test_endpoint_modules_import_no_other_family_and_not_the_table():
    graph = import_graph()
    families = {m for m in graph if m.startswith(f"{PACKAGE}.endpoints.")}
    assert {f.rsplit(".", 1)[1] for f in families} == {
        "accounts", "metrics", "profiles", "events", "control", "campaigns", "campaign_messages", "flows",
        "flow_actions", "flow_messages", "lists", "segments"}
    for family in families:
        assert not graph[family] & (families | {f"{PACKAGE}.routes", f"{PACKAGE}.app"}), family
