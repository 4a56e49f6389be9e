"""FIX(d): the lowercase `buildinfo` command (pymongo's server_info()) is understood.

mongoeco behaviour: its wire surface knows only `buildInfo`; mongod registers `buildinfo` as
an alias, and pymongo's MongoClient.server_info() sends the lowercase name.
Why the app cannot avoid it: django-mongodb-backend reads the server version through
server_info() (DatabaseWrapper.get_database_version); the command is not the app's to choose.
"""

from __future__ import annotations


def apply() -> None:
    """Fix (d): accept the lowercase `buildinfo` command that pymongo's server_info() sends."""
    # mongod registers `buildinfo` as an alias of `buildInfo`; mongoeco's wire surface only
    # knows the camel-case name. Renaming the command key before the request context is
    # built (validation, capability lookup and dispatch all derive from it) is exact.
    from mongoeco.wire import _executor_support, executor

    original = executor.build_request_context

    def build_request_context(body, **kwargs):
        command = next(
            (key for key in body if key not in _executor_support.WIRE_INTERNAL_KEYS), None
        )
        if command == "buildinfo":
            body = {("buildInfo" if key == "buildinfo" else key): v for key, v in body.items()}
        return original(body, **kwargs)

    executor.build_request_context = build_request_context
