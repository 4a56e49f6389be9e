"""Embedded MongoDB for `make run` / `make test`: mongoeco's wire server, its fixes, a launcher.

Runs without Django (nothing here imports django or config), split by job:

* launcher.py     start/stop/supervise the server from the app's venv (Python 3.11, stdlib +
                  pymongo): EmbeddedMongo, ``python -m embedded_mongo run -- CMD ...``;
* server.py       the server role, run in .venv-mongo (Python 3.13): mongoeco's wire server,
                  its heap frozen out of the cyclic garbage collector's reach (gap p);
* persistence.py  the write-ahead journal (group commit), dumps in mongodump layout, replay;
* patches/        one module per mongoeco behaviour fixed, FIX(a)..FIX(o), FIX(q)..FIX(v);
* pytest_plugin.py  a fresh in-memory server for the test session (pytest.ini: -p).

Durability: with a data dir, every committed write is journaled (post-images, fsynced,
group-committed) before its reply is sent, and replayed after restoring the last dump;
dumps (every 5 minutes and on a clean stop) compact the journal. The launcher supervises
the server: if it dies, it is restarted from its data on the same port, or everything is
stopped with a clear message.
"""

from embedded_mongo.launcher import REPO, EmbeddedMongo, mongoeco_python, run_command
from embedded_mongo.patches import MONGOECO_VERSION
from embedded_mongo.persistence import journal_dir, read_segment, scan_segment

__all__ = [
    "MONGOECO_VERSION",
    "REPO",
    "EmbeddedMongo",
    "journal_dir",
    "mongoeco_python",
    "read_segment",
    "run_command",
    "scan_segment",
]
