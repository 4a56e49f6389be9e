"""`python -m core.secret_key PATH`: create the secret key file on first start, keep it after.

`make run` and `make dev` call it for var/secret_key before anything imports the settings,
which then read the key through DJANGO_SECRET_KEY_FILE (DJANGO_SECRET_KEY still wins). Kept
out of the settings so that importing them never writes a file. Stdlib only.

The key is written whole or not at all: to a private temporary file (mode 0600 from its
creation, fsynced) in the same directory, then hard-linked to PATH, which fails if PATH
exists: two starts racing keep the first key, and a crash leaves no half-written key.
"""

import os
import secrets
import sys
import tempfile
from pathlib import Path


def ensure_secret_key(path: Path) -> bool:
    """Create PATH holding a new random key unless it exists; True if it was created."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file with mode 0600, so the key is never readable by others.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(50) + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
    finally:
        os.unlink(temporary)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return True


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m core.secret_key PATH", file=sys.stderr)
        return 2
    path = Path(argv[0])
    if ensure_secret_key(path):
        print(f"secret_key: generated a new secret key in {path} (mode 0600)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
