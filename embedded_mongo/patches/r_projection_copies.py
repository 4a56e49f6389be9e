"""FIX(r): a projection copies the values it keeps without copy.deepcopy's machinery (speed only).

mongoeco behaviour: an inclusion projection deep-copies every value it keeps, one
copy.deepcopy call per field, and an exclusion projection deep-copies the whole document
(fields it then deletes included) before deleting. copy.deepcopy sets up a memo and
dispatches per value even for a str, so a match list's find of 289 mentor cards (17
fields) spent 26 % of the server's CPU in the projection (py-spy on the server while a
client repeated that find, issue 13). Authentication projects `sessions` out of every
user it reads, and that exclusion copied the sessions array first.
Why the app cannot avoid it: projections are how the app reads less; without one the
server copies and encodes every field instead.

The copy is the one copy.deepcopy makes for documents: values of the types deepcopy
returns as they are (its atomic types, FIX(i)'s included, read from copy's own table) are
returned as they are; exact dicts and lists are rebuilt around copies of their items;
every other value goes to copy.deepcopy. A stored document never shares a container
between two of its fields (it comes from BSON or from a copy), so the memo that deepcopy
keeps for shared references changes nothing here. The inclusion walk and the exclusion of
top-level fields use that copy; an exclusion of a dotted path or with an operator
($slice, $elemMatch, ...) takes the original code.
"""

from __future__ import annotations

import copy


def apply() -> None:
    """Fix (r): projections copy kept values without copy.deepcopy's per-value machinery."""
    from mongoeco.core import projections

    dispatch = copy._deepcopy_dispatch
    atomic = frozenset(cls for cls, copier in dispatch.items() if copier is copy._deepcopy_atomic)
    deepcopy = copy.deepcopy

    def copy_value(value):
        cls = type(value)
        if cls in atomic:
            return value
        if cls is dict:
            return {key: copy_value(item) for key, item in value.items()}
        if cls is list:
            return [copy_value(item) for item in value]
        return deepcopy(value)

    original_value = projections._project_inclusion_value

    def _project_inclusion_value(source, node):
        # The original's first branch with the cheaper copy; the rest is its own code (its
        # recursion comes back here: the module global is replaced).
        if node.include_value:
            return True, copy_value(source)
        return original_value(source, node)

    original_apply = projections._apply_parsed_projection

    def _apply_parsed_projection(doc, parsed, inclusion_root, *, selector_filter, dialect):
        fields = parsed.regular_fields
        if (
            not parsed.is_inclusion
            and fields
            and not parsed.operator_fields
            and not any(value or "." in path for path, value in fields.items())
        ):
            # Only top-level fields excluded: what deepcopy-then-delete leaves, without
            # copying what is deleted. "_id" is never in regular_fields: {"_id": 0} clears
            # include_id, and the original then deletes it too.
            keep_id = parsed.include_id
            return {
                key: copy_value(value)
                for key, value in doc.items()
                if key not in fields and (keep_id or key != "_id")
            }
        return original_apply(
            doc, parsed, inclusion_root, selector_filter=selector_filter, dialect=dialect
        )

    _project_inclusion_value.original = original_value
    _apply_parsed_projection.original = original_apply
    _apply_parsed_projection.copy_value = copy_value
    projections._project_inclusion_value = _project_inclusion_value
    projections._apply_parsed_projection = _apply_parsed_projection
