#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Commands other than the server get the database timeouts of long-running jobs
    # (config/settings.py, PROCESS_ROLE).
    role = "server" if sys.argv[1:2] == ["runserver"] else "command"
    os.environ.setdefault("MENTOR_MATCH_PROCESS", role)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
