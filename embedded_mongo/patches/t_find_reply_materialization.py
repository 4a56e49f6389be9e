"""FIX(t): a find reply skips a conversion that the wire encoding repeats (speed only).

mongoeco behaviour: the wire server runs a find command through its in-process cursor API,
whose every document is first materialised for a Python caller: rebuilt container by
container, mongoeco's own ObjectId, Binary, Int64, Decimal128, ... turned into pymongo's
types and the codec options applied (tz_aware=False turns an aware datetime into a naive
UTC one). The reply is then encoded by wire.bson_bridge.encode_wire_value, which rebuilds
every container again and turns the same mongoeco types into the same pymongo types,
before BSON.encode. For the wire the first pass only costs time: the match list's find of
289 mentor cards took 17.1 ms of server CPU with it and 15.1 ms without (medians of six
alternating runs, issue-13 note); a user's find_one showed no difference beyond the noise.
Why the app cannot avoid it: every find over the wire takes this path.

The patched execute_find_command builds the same cursor and reads it with to_list(), but
the cursor hands its documents on as the engine produced them (its _materialize_document
is the identity, on that cursor object only). The bytes on the wire are the same: for the
codec options of the server's own client (dict documents, tz_aware=False, STANDARD UUIDs,
no type registry; checked on every call, any other options take the original code)
encode_wire_value maps each mongoeco type to the value materialisation maps it to, and
BSON.encode writes an aware datetime and its naive UTC form as the same milliseconds.
embedded_mongo/tests/test_patch_t_find_reply_materialization.py checks this byte for byte,
in the server's Python and over the wire. Other commands (aggregate, findAndModify, ...)
and the in-process API keep the original materialisation.
"""

from __future__ import annotations


def apply() -> None:
    """Fix (t): find replies are not materialised twice."""
    from mongoeco._types.concerns import CodecOptions, UuidRepresentation
    from mongoeco.api._async import _database_admin_read_commands as read_commands

    service = read_commands.DatabaseAdminReadCommandService
    original = service.execute_find_command

    def identity(document):
        return document

    async def execute_find_command(self, collection_name, operation, *, session=None):
        collection = self._admin._database.get_collection(collection_name)
        options = collection._codec_options
        if not (
            type(options) is CodecOptions
            and options.document_class is dict
            and not options.tz_aware
            and options.uuid_representation == UuidRepresentation.STANDARD
            and not options.type_registry
        ):
            return await original(self, collection_name, operation, session=session)
        cursor = collection._build_cursor(operation, session=session)
        # The wire encoder converts every value the materialisation would (see above).
        cursor._materialize_document = identity
        return read_commands.CommandCursorResult(
            namespace=f"{self._admin._db_name}.{collection_name}",
            first_batch=await cursor.to_list(),
        )

    execute_find_command.original = original
    service.execute_find_command = execute_find_command
