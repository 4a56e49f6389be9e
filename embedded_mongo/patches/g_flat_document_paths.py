"""FIX(g): O(1) field access for the top-level index paths of plain documents (speed only).

mongoeco behaviour: every write computes each index's key(s) several times through general
dot-path walkers, together about a quarter of an insert's cost.
Why the app cannot avoid it: every ORM write to an indexed collection takes that path.
"""

from __future__ import annotations

from typing import Any


def apply(memory: Any) -> None:
    """Fix (g): O(1) field access for top-level index paths of plain documents."""
    # Every write computes each index's key(s) several times (unique check, multikey shape
    # check, the irregular-document mark, the index maps), each through the general
    # dot-path walkers below; together ~25% of an insert. For the overwhelmingly common
    # case -- a plain dict document and a path without "." -- each walker reduces to one
    # dict lookup, derived line by line from mongoeco 4.11.0:
    # * _filtering_support.extract_values(doc, "f"): path_mapping(doc) is doc, one part,
    #   the document is not a list, so: [] if "f" is absent, [v, *v] for a list v, else [v];
    # * MemoryEngine._array_paths_for_index_field(doc, "f"): collect() reaches doc["f"]
    #   at position 1 == len(parts) and records "f" only when it is a list;
    # * MemoryEngine._index_keys(doc, fields) with no list value on any field: each field
    #   gives [] (-> None) or [v] (-> _index_equality_key(v)).
    # Anything else (dotted or empty paths, list values, other mapping types such as SON or
    # DBRef) takes the original code.
    from mongoeco.core import codec
    from mongoeco.core.filtering import QueryEngine

    plain = (dict, codec._InternalBsonDocument)
    engine_cls = memory.MemoryEngine
    original_extract = QueryEngine.extract_values
    original_array_paths = engine_cls._array_paths_for_index_field
    original_index_keys = engine_cls._index_keys

    def extract_values(doc, path):
        if type(doc) in plain and path and "." not in path:
            if path not in doc:
                return []
            value = doc[path]
            return [value, *value] if isinstance(value, list) else [value]
        return original_extract(doc, path)

    def _array_paths_for_index_field(document, field):
        if type(document) in plain and field and "." not in field:
            return {field} if isinstance(document.get(field), list) else set()
        return original_array_paths(document, field)

    def _index_keys(self, document, fields):
        if type(document) in plain:
            key = []
            for field in fields:
                if not field or "." in field:
                    break
                if field not in document:
                    key.append(None)
                    continue
                value = document[field]
                if isinstance(value, list):
                    break
                key.append(self._index_equality_key(value))
            else:
                return {tuple(key)}
        return original_index_keys(self, document, fields)

    QueryEngine.extract_values = staticmethod(extract_values)
    engine_cls._array_paths_for_index_field = staticmethod(_array_paths_for_index_field)
    engine_cls._index_keys = _index_keys
