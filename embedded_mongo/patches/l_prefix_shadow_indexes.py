"""FIX(l): an equality on the leading field of a compound index uses an index.

mongoeco behaviour: its planner answers an equality from an index only when the index's whole
key is that field ascending (find_usable_index), so filter(mentee_email=...) on the
(mentee_email, -score) index scans every score.
Why the app cannot avoid it: only by declaring a redundant single-field index next to the
compound one, a product-side workaround that a real MongoDB (answering the prefix from the
compound index) would pay for in index upkeep on every score write.
"""

from __future__ import annotations

from typing import Any

SHADOW_PREFIX = "__embedded_prefix__"


def apply(memory: Any) -> None:
    """Fix (l): an equality on the leading field of a compound index uses an index."""
    # mongoeco's planner answers an equality from an index only when the index's whole key
    # is that field ascending (find_usable_index), so filter(mentee_email=...) .order_by(
    # "-score") -- a mentee's match list, on the (mentee_email, -score) index -- scanned every
    # score: 82 ms a call at 73,000 scores, the main database cost of the load bench. MongoDB
    # answers it from the compound index's prefix. mongoeco's index maps are persistent
    # (MVCC) structures with no prefix lookup, and walking their keys costs as much as the
    # scan, so the exact bridge is a real engine index on the leading field, which the
    # engine itself maintains on every write path: creating a compound index whose first
    # key is ascending also creates a plain (not unique, sparse or partial: it covers every
    # document, so it is always usable and exact) single-field index named SHADOW_PREFIX +
    # field, unless the collection already has an index on exactly that key. Shadows are
    # hidden from listIndexes / index_information (so dumps, Django's introspection and
    # clients never see them); an index the client creates on that same key replaces its
    # shadow, and dropping indexes drops shadows with them. Calls go to the unjournaled
    # engine methods: replaying the compound's creation recreates its shadow.
    engine_cls = memory.MemoryEngine
    original_create = engine_cls.create_index
    original_drop = engine_cls.drop_index
    original_list = engine_cls.list_indexes
    original_information = engine_cls.index_information

    def shadow_name(field: str) -> str:
        return f"{SHADOW_PREFIX}{field}"

    async def existing(self, db_name, coll_name, context):
        return await original_list(self, db_name, coll_name, context=context)

    async def create_index(self, db_name, coll_name, keys, **kwargs):
        normalized = memory.normalize_index_keys(keys)
        context = kwargs.get("context")
        if len(normalized) == 1 and normalized[0][1] == 1:
            # The client's own index on the key replaces the shadow.
            field = normalized[0][0]
            names = {index["name"] for index in await existing(self, db_name, coll_name, context)}
            if shadow_name(field) in names and kwargs.get("name") != shadow_name(field):
                await original_drop(self, db_name, coll_name, shadow_name(field), context=context)
        name = await original_create(self, db_name, coll_name, keys, **kwargs)
        if len(normalized) >= 2 and normalized[0][1] == 1:
            field = normalized[0][0]
            indexes = await existing(self, db_name, coll_name, context)
            if not any(index["key"] == {field: 1} for index in indexes):
                await original_create(
                    self, db_name, coll_name, [(field, 1)], name=shadow_name(field), context=context
                )
        return name

    async def drop_index(self, db_name, coll_name, index_or_name, **kwargs):
        await original_drop(self, db_name, coll_name, index_or_name, **kwargs)
        # A shadow goes with the last compound index it serves.
        context = kwargs.get("context")
        indexes = await existing(self, db_name, coll_name, context)
        for index in indexes:
            if not index["name"].startswith(SHADOW_PREFIX):
                continue
            field = index["name"][len(SHADOW_PREFIX) :]
            if not any(
                len(other["key"]) >= 2 and next(iter(other["key"])) == field
                for other in indexes
                if not other["name"].startswith(SHADOW_PREFIX)
            ):
                await original_drop(self, db_name, coll_name, index["name"], context=context)

    async def list_indexes(self, db_name, coll_name, **kwargs):
        indexes = await original_list(self, db_name, coll_name, **kwargs)
        return [index for index in indexes if not index["name"].startswith(SHADOW_PREFIX)]

    async def index_information(self, db_name, coll_name, **kwargs):
        information = await original_information(self, db_name, coll_name, **kwargs)
        return {
            name: entry for name, entry in information.items() if not name.startswith(SHADOW_PREFIX)
        }

    engine_cls.create_index = create_index
    engine_cls.drop_index = drop_index
    engine_cls.list_indexes = list_indexes
    engine_cls.index_information = index_information
