"""Command line of both roles (same CLI as the former `python -m config.embedded_mongo`).

* ``python -m embedded_mongo run [--data-dir DIR] -- CMD ...`` (launcher, the app's Python):
  run CMD with MONGODB_URI pointing at an embedded server, supervising it;
* ``python -m embedded_mongo serve --port-file PATH ...`` (server, .venv-mongo's Python 3.13):
  what the launcher starts.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen role."""
    from embedded_mongo.server import DEFAULT_DUMP_INTERVAL

    parser = argparse.ArgumentParser(
        prog="embedded_mongo",
        description="Embedded MongoDB: mongoeco's wire server, its fixes, a launcher.",
    )
    sub = parser.add_subparsers(dest="role", required=True)
    serve_parser = sub.add_parser("serve", help="server role (Python 3.13 + mongoeco)")
    serve_parser.add_argument("--port-file", required=True)
    serve_parser.add_argument("--data-dir")
    serve_parser.add_argument("--dump-interval", type=float, default=DEFAULT_DUMP_INTERVAL)
    serve_parser.add_argument("--parent-pid", type=int)
    serve_parser.add_argument("--port", type=int, default=0, help="0: any free port")
    run_parser = sub.add_parser("run", help="launcher: run CMD against an embedded server")
    run_parser.add_argument("--data-dir")
    run_parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.role == "serve":
        import asyncio

        from embedded_mongo.server import serve

        return asyncio.run(serve(args))
    from embedded_mongo.launcher import run_command

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    return run_command(command, args.data_dir)


if __name__ == "__main__":
    sys.exit(main())
