"""core sits below every app: none of its modules imports users, matching or chat (the
users app registers its token check with core.auth instead)."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1]
APPS = {"users", "matching", "chat"}


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_core_imports_no_app():
    for path in CORE.rglob("*.py"):
        if "tests" in path.relative_to(CORE).parts:
            continue
        upward = {name for name in _imported(path) if name.split(".")[0] in APPS}
        assert not upward, f"{path.relative_to(CORE.parent)} imports {sorted(upward)}"


def test_the_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from users.tokens import authenticate_request\n")
    assert "users.tokens" in _imported(module)
