"""Model instances from raw MongoDB documents, as the backend's own queries build them.

For the reads that a raw pymongo call does in fewer round trips (or cheaper ones) than the
ORM can express: a find_one instead of an aggregation, or an aggregation that returns a
model's documents inside another result. The backend's value converters still apply
(aware datetimes, ...), so the instance equals what the ORM would have read."""

import functools

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model


def from_document(model: type[Model], document: dict, using: str = DEFAULT_DB_ALIAS) -> Model:
    connection = connections[using]
    attnames, columns, converters = _loader(model, tuple(document), connection)
    row = [document[column] for column in columns]
    for position, (functions, expression) in converters:
        value = row[position]
        for function in functions:
            value = function(value, expression, connection)
        row[position] = value
    return model.from_db(using, attnames, row)


@functools.lru_cache(maxsize=256)
def _loader(model: type[Model], keys: tuple, connection) -> tuple[list, list, list]:
    """The fields a document with these keys fills, and their converters: worked out once
    per shape (it is most of the cost of building an instance)."""
    fields = [f for f in model._meta.concrete_fields if f.column in keys]
    query = model._default_manager.none().query
    compiler = connection.ops.compiler("SQLCompiler")(query, connection, connection.alias)
    converters = compiler.get_converters([f.get_col(model._meta.db_table) for f in fields])
    return [f.attname for f in fields], [f.column for f in fields], list(converters.items())
