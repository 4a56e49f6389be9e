"""FIX(v): an aggregate that is only $match/$sort stages and a $group of FIX(u)'s form runs
as a find and a group (speed only).

mongoeco behaviour: every aggregate goes through its general streaming machinery (a
deferred stream, a plan of the pipeline, an incremental group fed page by page through a
pushed-down cursor, spill and cost policies checked per page), which cost the embedded
server 1.26-1.55 ms of CPU for chat.services.conversations' pipeline ($match on the pair
keys, $sort, $group) on a 21-message conversation, where a find of the same documents took
0.66-0.82 ms; 0.99-1.02 ms with this patch (the server's CPU over 300 calls, two rounds).
Why the app cannot avoid it: see FIX(u); the conversation list is one aggregation.

Exactness. mongoeco itself answers the leading $match and $sort stages with a find: its
pushdown (planning.split_pushdown_pipeline, then aggregation_cursor._pushdown_find_operation)
compiles their filter and sort into a FindOperation, read without the codec options, and
feeds the documents, in that order, to the same _IncrementalGroup (FIX(u) included), whose
finish() gives the reply's documents. This patch calls the same split and does the same
with nothing in between. It applies only when what the split leaves is exactly one $group
of a form FIX(u) compiles (no $skip, $limit or $project pushed down, no $expr match), the
command has no collation, hint, variables (let), maxTimeMS or comment, the documents fit in
one page of the pushdown's own size (256), the engine has no spill policy and its cost
policy (50,000 documents by default) would not act, and the groups fit in the first batch
(the command's batchSize, or 101); otherwise mongoeco's own code runs, from the start.
"""

from __future__ import annotations

DEFAULT_BATCH = 101
PAGE = 256


def apply() -> None:
    """Fix (v): [$match, $sort?, $group] aggregates run as a find and a group."""
    from mongoeco._types.documents import CommandCursorResult
    from mongoeco.api import operations
    from mongoeco.api._async import _database_admin_read_commands as read_commands
    from mongoeco.compat import MONGODB_DIALECT_70
    from mongoeco.core.aggregation import grouping_stages as gs
    from mongoeco.core.aggregation import planning

    from embedded_mongo.patches.u_group_fast_path import compile_plan

    service = read_commands.DatabaseAdminReadCommandService
    if getattr(service, "_embedded_mongo_group_pipeline", False):
        return
    original = service.execute_aggregate_command

    def _shape(operation, dialect):
        """(mongoeco's pushdown of the pipeline, the $group spec) or None."""
        # The command's let arrives as an execution context (its bindings and $$NOW):
        # none of the forms accepted reads a variable, but a bound one means the user's let.
        let = operation.let
        if (
            operation.collation is not None
            or operation.hint is not None
            or (let is not None and getattr(let, "bindings", let))
            or operation.max_time_ms is not None
            or operation.comment is not None
            or operation.context is not None
        ):
            return None
        # mongoeco's own split of the pipeline into what a find answers and what is left.
        pushdown = planning.split_pushdown_pipeline(operation.pipeline, dialect=dialect)
        rest = list(pushdown.remaining_pipeline)
        if (
            len(rest) != 1
            or next(iter(rest[0])) != "$group"
            or pushdown.projection is not None
            or pushdown.skip
            or pushdown.limit is not None
        ):
            return None
        group = rest[0]["$group"]
        return (pushdown, group) if compile_plan(group) is not None else None

    async def execute_aggregate_command(self, collection_name, operation, *, session=None):
        collection = self._admin._database.get_collection(collection_name)
        dialect = getattr(collection, "mongodb_dialect", MONGODB_DIALECT_70)
        shape = _shape(operation, dialect)
        engine = getattr(collection, "_engine", None)
        cost = getattr(engine, "aggregation_cost_policy", None)
        if (
            shape is None
            or getattr(engine, "aggregation_spill_policy", None) is not None
            or (cost is not None and cost.max_materialized_documents <= PAGE)
        ):
            return await original(self, collection_name, operation, session=session)
        pushdown, group = shape
        # As aggregation_cursor._pushdown_find_operation compiles it (no collation, hint,
        # comment, time limit or variables here: _shape).
        find = operations.compile_find_operation(
            pushdown.filter_spec, sort=pushdown.sort, batch_size=PAGE + 1, dialect=dialect
        )
        documents = await collection._build_cursor(
            find, session=session, apply_codec_options=False
        ).to_list(length=PAGE + 1)
        if len(documents) > PAGE:
            return await original(self, collection_name, operation, session=session)
        accumulator = gs._IncrementalGroup(group, {}, dialect=dialect)
        for position, document in enumerate(documents):
            accumulator.consume_document(document, position=position)
        groups = accumulator.finish()
        if len(groups) > (operation.batch_size or DEFAULT_BATCH):
            return await original(self, collection_name, operation, session=session)
        return CommandCursorResult(
            namespace=f"{self._admin._db_name}.{collection_name}", first_batch=groups
        )

    execute_aggregate_command.original = original
    service.execute_aggregate_command = execute_aggregate_command
    service._embedded_mongo_group_pipeline = True
