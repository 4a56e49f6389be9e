"""How fast an interpreter runs the app's own Python: a few hot paths of the request, no
database, no HTTP (docs/operations.md "Python build").

Run it with each interpreter's virtualenv and compare, e.g.
    .venv/bin/python -m bench.python_build
    /path/to/other-venv/bin/python -m bench.python_build
Not a `make bench` section: it compares builds of Python, and a machine has the one the
Makefile picked. Each figure is the best of 5 rounds of CPU time per call, in microseconds.
"""

import datetime
import os
import sys
import time

ROUNDS = 5
CALLS = 2000


def _best_us(call, calls: int = CALLS) -> float:
    call()
    best = float("inf")
    for _ in range(ROUNDS):
        began = time.process_time()
        for _ in range(calls):
            call()
        best = min(best, (time.process_time() - began) / calls)
    return best * 1e6


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()
    from bson import ObjectId
    from django.urls import resolve

    from chat.models import Message
    from chat.schemas import MessagePage
    from chat.serializers import message_to_json
    from core.api import validated_json
    from core.documents import from_document
    from users import tokens

    now = datetime.datetime(2026, 12, 1, 12, 0, 0, 123000)
    documents = [
        {
            "_id": ObjectId(),
            "sender": "a@example.edu",
            "recipient": "b@example.edu",
            "body": "hello " * 5,
            "created_at": now,
            "read_at": None,
        }
        for _ in range(20)
    ]
    messages = [from_document(Message, document) for document in documents]
    page = {"messages": [message_to_json(m) for m in messages], "next_cursor": None}
    access = tokens.issue_access(user_id=str(ObjectId()), session_id="s" * 32)
    cases = {
        "20 documents to models (from_document)": lambda: [
            from_document(Message, d) for d in documents
        ],
        "20 messages to dicts (message_to_json)": lambda: [message_to_json(m) for m in messages],
        "a 20-message page to JSON (validated_json)": lambda: validated_json(MessagePage, page),
        "an access token decoded (PyJWT)": lambda: tokens._decode(access, "access"),
        "a URL resolved (/chat/messages/)": lambda: resolve("/chat/messages/"),
    }
    print(f"{sys.version.split()[0]} at {sys.executable}")
    for name, call in cases.items():
        print(f"{_best_us(call):9.1f} us  {name}")


if __name__ == "__main__":
    main()
