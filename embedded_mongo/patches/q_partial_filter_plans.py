"""FIX(q): a partial index's filter is compiled once, not on every insert (speed only).

mongoeco behaviour: engines.virtual_indexes compiles an index's partialFilterExpression
(compile_filter) every time it asks whether a document belongs to the index: on every
insert into the collection, and when it checks whether a query can use the index.
django-mongodb-backend gives every unique index such a filter (`{field: {$type: ...}}`, so
that missing values are not unique, as NULLs in SQL), so every insert into a collection
with a unique index paid it: scores, users, refresh tokens, the outbox, intents. Restoring
the load bench's 30 MB dump spent 29 % of its time in that membership test, 10 % of it
compiling the filters, which is what this fix removes (py-spy on the server while it
restored; docs/operations.md, gap q).
Why the app cannot avoid it: the filters are how Django's unique constraints reach MongoDB.

compile_filter is a pure function of its arguments and returns frozen dataclasses (the
query plan nodes), so a plan compiled once can be shared. The module global that
virtual_indexes calls is replaced by a memo keyed by the repr of the filter (dict order,
int against float, every value's type: all show in a repr) and the identity of the keyword
arguments (the dialect), which the memo keeps alive; a filter that fails to compile is not
memoised and fails the same way every time. At most MAX_PLANS plans are kept.
"""

from __future__ import annotations

MAX_PLANS = 1024


def apply() -> None:
    """Fix (q): virtual_indexes.compile_filter memoised."""
    from mongoeco.engines import virtual_indexes

    original = virtual_indexes.compile_filter
    # key -> (plan, the keyword values): keeping them alive keeps their ids unique.
    plans: dict[tuple, tuple[object, tuple]] = {}

    def compile_filter(*args, **kwargs):
        # The filter by repr; the keyword arguments (the dialect: a large object whose repr
        # costs more than the compilation) by identity.
        options = tuple(sorted(kwargs.items()))
        key = (repr(args), tuple((name, id(value)) for name, value in options))
        found = plans.get(key)
        if found is not None:
            return found[0]
        plan = original(*args, **kwargs)
        if len(plans) < MAX_PLANS:
            plans[key] = (plan, options)
        return plan

    compile_filter.original = original
    compile_filter.plans = plans
    virtual_indexes.compile_filter = compile_filter
