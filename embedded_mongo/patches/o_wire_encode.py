"""FIX(o): replies are encoded without walking plain values through the type ladder (speed only).

mongoeco behaviour: before BSON.encode, every reply (and every document of a raw batch)
goes through wire.bson_bridge.encode_wire_value, which calls itself on each value and walks
up to 20 isinstance checks before returning a str/int/float/bool/None/datetime unchanged.
Replying with 200 user documents (about 25 fields each) spent 55 % of the server's CPU in
that walk (py-spy on the server while a client read the open mentors: /work/prof in the
issue-13 note); the match list reads such a list on every request.
Why the app cannot avoid it: every reply of the wire server is encoded this way; projecting
fewer fields only shortens the walk.

The patched function returns exactly what the original returns for every value: values of
these exact types (not subclasses) fall through every branch of the original unchanged, so
they are returned as they are without a call; exact dicts and lists are rebuilt as new
containers, as the original does, with each non-plain item passed to the function again.
Every other type (SON, ObjectId, Binary, Decimal128, the BSON scalar wrappers, ...) takes
the original code, whose own recursion comes back through this function (the module
global is replaced).
"""

from __future__ import annotations

import datetime


def apply() -> None:
    """Fix (o): encode_wire_value returns plain values without its type ladder."""
    from mongoeco.api._async import raw_batch_cursor
    from mongoeco.wire import bson_bridge, protocol

    original = bson_bridge.encode_wire_value
    plain = frozenset({str, int, float, bool, type(None), datetime.datetime})

    def encode_wire_value(value):
        cls = type(value)
        if cls in plain:
            return value
        if cls is dict:
            return {
                key: item if type(item) in plain else encode_wire_value(item)
                for key, item in value.items()
            }
        if cls is list:
            return [item if type(item) in plain else encode_wire_value(item) for item in value]
        return original(value)

    encode_wire_value.original = original
    # protocol and raw_batch_cursor imported the name itself: each module's global is replaced.
    for module in (bson_bridge, protocol, raw_batch_cursor):
        module.encode_wire_value = encode_wire_value
