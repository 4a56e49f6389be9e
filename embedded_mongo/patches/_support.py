"""Helpers shared by several patches: when is a lookup by storage key or index key exact."""

from __future__ import annotations

import datetime
import uuid
from typing import Any


def scalar_types(memory: Any) -> tuple[type, ...]:
    """Plain scalar types whose index equality key is exactly their BSON equality."""
    return (str, bool, int, float, datetime.datetime, uuid.UUID, memory.ObjectId)


def simple_id(value: Any) -> bool:
    """Tell whether storage-key equality is exactly BSON equality for this _id value."""
    # memory.py keys documents by bson_engine_key(_id) and compares ids with
    # bson_equality_key. The two differ only for numbers (1 == 1.0 == Int64(1)), for
    # bytes vs Binary subtype 0, and for documents/arrays containing those; everywhere
    # else bson_equality_key delegates to bson_engine_key. None is excluded because a
    # document without _id is stored under the key of None.
    import re

    from mongoeco.core.identity import id_contains_numeric_value
    from mongoeco.types import Binary, Regex

    def has_bytes(item: Any) -> bool:
        if isinstance(item, dict):
            return any(has_bytes(sub) for sub in item.values())
        if isinstance(item, (list, tuple)):
            return any(has_bytes(sub) for sub in item)
        return isinstance(item, (bytes, bytearray, Binary))

    # Regexes are excluded too: in a query ({"_id": {"$in": [/x/]}}) they match by pattern.
    return (
        value is not None
        and not isinstance(value, (list, Regex, re.Pattern))
        and not id_contains_numeric_value(value)
        and not has_bytes(value)
    )


def regular_compound_key(engine: Any, document: dict, fields: list[str]) -> tuple | None:
    """Return the single index tuple of a document without arrays on the index paths, else None."""
    # For such a document _unique_index_values() yields exactly one tuple (one value per
    # field, None when missing) and _index_keys() stores the same tuple in the
    # MemoryIndexMap, except that a *missing* field is stored as None while an explicit
    # null is stored as bson_equality_key(None). Documents with an array anywhere on an
    # index path are "irregular": the map keeps only the array itself (values[0]) where
    # uniqueness needs every element, so they must use the original scan.
    from mongoeco.core.filtering import QueryEngine

    if engine._compound_multikey_array_paths(document, fields):
        return None
    key = []
    for field in fields:
        values = QueryEngine.extract_values(document, field)
        if len(values) > 1 or (values and isinstance(values[0], list)):
            return None
        key.append(values[0] if values else None)
    return tuple(key)


def map_lookup_keys(engine: Any, values: tuple) -> list[tuple]:
    """Every MemoryIndexMap key a regular document with these values may be stored under."""
    # null and missing are the same index key for uniqueness; the map spells missing as
    # None and null as bson_equality_key(None), so look both spellings up.
    variants: list[tuple] = [()]
    for value in values:
        if value is None:
            spellings = [None, engine._index_equality_key(None)]
        else:
            spellings = [engine._index_equality_key(value)]
        variants = [(*prefix, spelling) for prefix in variants for spelling in spellings]
    return variants


def irregular_marks(engine: Any) -> set:
    """(index name, fields) of compound indexes that ever indexed an irregular document."""
    marks = getattr(engine, "_embedded_irregular_compound", None)
    if marks is None:
        marks = set()
        engine._embedded_irregular_compound = marks
    return marks


def mark_key(index: Any) -> tuple:
    """Key of the irregular-document mark: survives collection renames and MVCC copies."""
    return (str(index["name"]), tuple(index["fields"]))
