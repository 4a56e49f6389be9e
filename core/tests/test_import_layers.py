"""The import graph of the apps: no circles, and dependencies point down only
(roster → chat → matching → users → core/config; STYLE.md §1.1).

The graph is read from the source (every import statement, also those inside functions,
since a function-level import is how a circle hides), so the check needs no database and
fails on a circle whatever order Python would meet it in. Fresh interpreters then start
Django (AppConfig.ready() imports the receivers and, through them, the services) and import
every other module in three orders: start-up and every module must import cleanly.
"""

import ast
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Higher imports lower, never the reverse. Packages not listed (bench, the embedded server,
# migrations' django imports) are outside the graph.
LAYERS = {"roster": 4, "chat": 3, "matching": 2, "users": 1, "core": 0, "config": 0}
# Modules whose job is to wire the apps together: they may import any app.
WIRING = {"config.settings", "config.test_settings", "config.urls", "config.wsgi", "config.asgi"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _in_graph(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    if "tests" in parts or "migrations" in parts or path.name.startswith("conftest"):
        return False
    name = _module_name(path)
    # The embedded MongoDB runs without Django in its own virtualenv (wherever it lives).
    return "embedded_mongo" not in name


def _function_level_imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules imported inside a function body of `name`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import):
                    found.update(a.name for a in inner.names)
                elif isinstance(inner, ast.ImportFrom) and not inner.level:
                    found.update(
                        f"{inner.module}.{a.name}"
                        if f"{inner.module}.{a.name}" in modules
                        else inner.module
                        for a in inner.names
                    )
    return {m for m in found if m in modules}


def project_modules() -> dict[str, Path]:
    found = {}
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else []:
            if _in_graph(path):
                found[_module_name(path)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules that `name` imports anywhere in its body."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # `from pkg import sub` imports the submodule; `from pkg import name` the package.
                sub = f"{base}.{alias.name}"
                targets.add(sub if sub in modules else base)
    return {t for t in targets if t in modules and t != name}


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of the graph as a path (first == last), or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def upward_imports(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    def layer(module: str) -> int:
        return LAYERS[module.split(".")[0]]

    return {
        (source, target)
        for source, targets in graph.items()
        if source not in WIRING
        for target in targets
        if layer(target) > layer(source)
    }


def test_find_cycle_and_upward_imports_detect_what_they_should():
    # The checker itself must be able to fail.
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert upward_imports({"users.x": {"matching.y"}, "chat.z": {"users.x"}}) == {
        ("users.x", "matching.y")
    }


def test_relative_and_function_level_imports_are_in_the_graph(tmp_path, monkeypatch):
    package = tmp_path / "matching"
    (package / "services").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "services" / "__init__.py").write_text("from .a import f\n")
    (package / "services" / "a.py").write_text("def f():\n    from matching import signals\n")
    (package / "signals.py").write_text("from matching import services\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    graph = import_graph()
    assert graph["matching.services"] == {"matching.services.a"}
    assert find_cycle(graph) == [
        "matching.services",
        "matching.services.a",
        "matching.signals",
        "matching.services",
    ]


def test_the_apps_import_each_other_without_a_circle():
    assert find_cycle(import_graph()) is None


def test_imports_point_down_the_layers():
    assert upward_imports(import_graph()) == set()


def test_project_modules_are_imported_at_the_top():
    # A function-level import is how a circle hides from Python; only AppConfig.ready(),
    # which runs once the registry is loaded, imports inside a function.
    modules = project_modules()
    hidden = {
        (name, target)
        for name, path in modules.items()
        if not name.endswith(".apps")
        for target in _function_level_imports(name, path, modules)
    }
    assert hidden == set()


def _import_all(order: list[str]) -> subprocess.CompletedProcess:
    script = (
        "import importlib, sys, django\n"
        "django.setup()\n"
        "for name in sys.argv[1:]:\n"
        "    importlib.import_module(name)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings"}
    return subprocess.run(
        [sys.executable, "-c", script, *order],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("order", ["sorted", "reversed", "shuffled"])
def test_every_module_imports_in_a_fresh_interpreter(order):
    names = sorted(project_modules())
    if order == "reversed":
        names.reverse()
    elif order == "shuffled":
        random.Random(14).shuffle(names)
    result = _import_all(names)
    assert result.returncode == 0, result.stderr[-3000:]
