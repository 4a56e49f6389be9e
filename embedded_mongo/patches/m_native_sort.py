"""FIX(m): sorts on plain scalar values are ordered with native Python keys (speed only).

mongoeco behaviour: it never answers a sort from an index. `find(filter).sort(key).limit(n)`
and an aggregation's `$match` -> `$sort` -> `$limit` collect every matching document and
order them with functools.cmp_to_key over its generic BSON comparison, tens of microseconds
per comparison for datetimes and ObjectIds (they miss the engine's own same-type fast path
for int/bool/str/bytes/float and walk compat.base._compare_values_default: numeric
wrapping, type ranks, ObjectId normalisation). Reading the newest 21 of 100 matching
messages (created_at descending) took 8-18 ms, ~90% of it in comparisons (cProfile); with
10,000 matching, 0.7-1.1 s (bench/sort_probe.py and an in-process profile, shared machine).
Why the app cannot avoid it: "newest first, then by id" is the API's order (API.md's keyset
paging); sorting in the app instead would move every matching document over the wire.

Why not an index-ordered scan, as MongoDB does: mongoeco's index maps (MemoryIndexMap) are
persistent hash tries keyed by each document's full index key, with no order and no prefix
lookup (see FIX(l)); an ordered index would be a second structure kept consistent with
every write path, MVCC snapshot and rollback, and its ties would have to reproduce the
engine's candidate order exactly. The candidates already come from an index where one
applies (the engine's lookup, FIX(c)/(k)/(l) and the compound-equality lookup); this
patch makes ordering them cheap, for every sort path at once.

Exactness. mongoeco orders by the sort keys of _document_sort_keys() (missing and null are
both None; arrays already reduced to their extreme element), direction by direction, and
keeps ties in input order (sort_documents: list.sort, which is stable; the limited window:
its heap breaks ties by input index). This patch computes the same sort keys and orders
with Python's stable sort (one pass per key, last key first, reverse=True for descending,
which keeps ties in input order) or, for one key with a window, heapq.nsmallest/nlargest
(documented equal to sorted(...)[:n] / sorted(..., reverse=True)[:n]). It does so only when
every key of a column is None or of ONE of these exact types, where Python's order is
mongoeco's (compat.base._compare_values_default: same type rank, then == / <):
str (code point order, which is UTF-8 byte order), int, bool, float without NaN, datetime
(all naive or all aware), ObjectId; None ranks below each of them (BSON null's rank). Any
other column (mixed types, NaN, Decimal128, empty arrays, documents, ...), a collation, another
dialect, or a direction other than 1/-1 takes the original code.
"""

from __future__ import annotations

import datetime
import heapq
import sys
from typing import Any

NULL_KEY = (0,)


def _column_keys(values: list[Any], object_ids: tuple[type, ...]) -> list[tuple] | None:
    """Native sort keys of one sort column, or None when the column needs mongoeco's order."""
    kind: Any = None
    keys: list[tuple] = []
    for value in values:
        if value is None:
            keys.append(NULL_KEY)
            continue
        cls = type(value)
        if cls is str or cls is int or cls is bool:
            this = cls
        elif cls is float:
            if value != value:  # NaN: mongoeco orders it below every number
                return None
            this = float
        elif cls is datetime.datetime:
            # Naive and aware datetimes do not compare in Python: one kind per column.
            this = (datetime.datetime, value.tzinfo is None)
        elif cls in object_ids:
            this = "objectid"
        else:
            return None
        if kind is None:
            kind = this
        elif kind != this:
            return None
        keys.append((1, value))
    return keys


def apply() -> None:
    """Replace sorting.sort_documents/_window, in every mongoeco module that imported them."""
    # Bind every module that imports the two functions by name before rebinding below.
    import mongoeco.core.aggregation.compiled_pipeline  # noqa: F401
    import mongoeco.core.aggregation.stages  # noqa: F401
    import mongoeco.engines.memory  # noqa: F401
    import mongoeco.engines.semantic_core  # noqa: F401
    from bson import ObjectId as BsonObjectId
    from mongoeco.compat import MONGODB_DIALECT_70
    from mongoeco.core import sorting
    from mongoeco.core.operation_limits import enforce_deadline
    from mongoeco.types import ObjectId

    object_ids = (ObjectId, BsonObjectId)
    original_sort = sorting.sort_documents
    original_window = sorting.sort_documents_window

    def native_order(documents, sort, window, dialect, collation):
        """The sorted documents (first `window` of them), or None to use the original."""
        if collation is not None or dialect is not MONGODB_DIALECT_70:
            return None
        if any(direction not in (1, -1) for _field, direction in sort):
            return None
        rows = [
            sorting._document_sort_keys(document, sort, dialect=dialect, collation=None)
            for document in documents
        ]
        columns = []
        for position in range(len(sort)):
            column = _column_keys([keys[position] for keys in rows], object_ids)
            if column is None:
                return None
            columns.append(column)
        order = list(range(len(rows)))
        if window is not None and len(sort) == 1:
            pick = heapq.nsmallest if sort[0][1] == 1 else heapq.nlargest
            order = pick(window, order, key=columns[0].__getitem__)
        else:
            for position in reversed(range(len(sort))):
                order.sort(key=columns[position].__getitem__, reverse=sort[position][1] == -1)
            if window is not None:
                order = order[:window]
        return [documents[index] for index in order]

    def sort_documents(
        documents, sort, *, dialect=MONGODB_DIALECT_70, collation=None, deadline=None
    ):
        if not sort:
            return documents
        documents = list(documents)
        enforce_deadline(deadline)
        ordered = native_order(documents, sort, None, dialect, collation)
        if ordered is None:
            return original_sort(
                documents, sort, dialect=dialect, collation=collation, deadline=deadline
            )
        enforce_deadline(deadline)
        return ordered

    def sort_documents_window(
        documents, sort, *, window, dialect=MONGODB_DIALECT_70, collation=None, deadline=None
    ):
        if not sort or window is None or window <= 0:
            return original_window(
                documents,
                sort,
                window=window,
                dialect=dialect,
                collation=collation,
                deadline=deadline,
            )
        documents = list(documents)
        enforce_deadline(deadline)
        ordered = native_order(documents, sort, window, dialect, collation)
        if ordered is None:
            return original_window(
                documents,
                sort,
                window=window,
                dialect=dialect,
                collation=collation,
                deadline=deadline,
            )
        enforce_deadline(deadline)
        return ordered

    replacements = (
        ("sort_documents", original_sort, sort_documents),
        ("sort_documents_window", original_window, sort_documents_window),
    )
    for name, module in list(sys.modules.items()):
        if not name.startswith("mongoeco"):
            continue
        for attribute, original, replacement in replacements:
            if getattr(module, attribute, None) is original:
                setattr(module, attribute, replacement)
