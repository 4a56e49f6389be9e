"""FIX(i): deepcopy() treats ObjectId and datetime as the immutable atoms they are (speed only).

mongoeco behaviour: it deep-copies each written document 3-5 times, and copy.deepcopy rebuilds
every ObjectId and datetime through __reduce_ex__, about half of each copy.
Why the app cannot avoid it: Django models carry ObjectId primary keys and datetimes.
"""

from __future__ import annotations


def apply() -> None:
    """Fix (i): deepcopy() treats ObjectId and datetime as the immutable atoms they are."""
    # mongoeco deep-copies each written document 3-5 times (command boundary, outcome,
    # change payload, commit callback); copy.deepcopy rebuilds every ObjectId and datetime
    # through __reduce_ex__, about half of each copy. Both types are immutable (ObjectId
    # has only __slots__ state set at construction; datetime is immutable), so returning
    # the same object -- what deepcopy already does for str, int, float, bytes -- gives
    # equal, indistinguishable results. Exact classes only (deepcopy dispatches on type).
    import copy
    import datetime

    from bson.objectid import ObjectId as BsonObjectId
    from mongoeco.types import ObjectId

    for cls in (BsonObjectId, ObjectId, datetime.datetime):
        copy._deepcopy_dispatch.setdefault(cls, copy._deepcopy_atomic)
