"""daffidwilde/matching (PyPI `matching`), loaded beside this project's own `matching` app.

Both are the top-level package `matching`, so a plain import finds the app. The library's
modules import each other absolutely (`from matching.players import ...`), so it is loaded
with the app's modules briefly set aside in sys.modules and then put back; the library's
objects keep the references they bound at import. Used only by tests, to cross-check the
stable solver (it is too slow for rounds: 23 s at 1000x500)."""

import importlib
import importlib.util
import sys
import threading
from pathlib import Path

_lock = threading.Lock()


def _library_root() -> Path:
    for entry in sys.path:
        candidate = Path(entry or ".") / "matching" / "games" / "hospital_resident.py"
        if "site-packages" in str(entry) and candidate.exists():
            return candidate.parents[1]
    raise ImportError("the `matching` library is not installed")


def _ours(name: str) -> bool:
    return name == "matching" or name.startswith("matching.")


def load_hospital_resident():
    with _lock:
        ours = {
            k: v for k, v in sys.modules.items() if k == "matching" or k.startswith("matching.")
        }
        for name in ours:
            del sys.modules[name]
        try:
            root = _library_root()
            spec = importlib.util.spec_from_file_location(
                "matching", root / "__init__.py", submodule_search_locations=[str(root)]
            )
            package = importlib.util.module_from_spec(spec)
            sys.modules["matching"] = package
            spec.loader.exec_module(package)
            return importlib.import_module("matching.games").HospitalResident
        finally:
            for name in [k for k in sys.modules if _ours(k)]:
                del sys.modules[name]
            sys.modules.update(ours)
