"""FIX(e): the aggregation-expression `$not` (in $expr, $project, ...).

mongoeco behaviour: it has no `$not` aggregation-expression operator (only the query
operator), so {"$expr": {"$not": [...]}} fails.
Why the app cannot avoid it: django-mongodb-backend compiles a negated condition (exclude(),
~Q) into {"$not": [...]} whenever it builds the filter as an `$expr` (its query.py).
"""

from __future__ import annotations


def apply() -> None:
    """Fix (e): the aggregation-expression `$not` (in $expr, $project, ...)."""
    # MongoDB: {$not: [expr]} or {$not: expr} returns the boolean opposite of expr's
    # truthiness; false, null, 0 and missing/undefined are falsy, everything else
    # (including "" and []) truthy. The dialect policy's expression_truthy is the same
    # predicate mongoeco's own $and/$or/$cond use.
    from mongoeco.core.aggregation.extensions import register_aggregation_expression_operator

    def evaluate_not(document, spec, variables, dialect, context):
        # MongoDB accepts a bare operand as a one-element argument list.
        args = context.require_expression_args(
            "$not", spec if isinstance(spec, list) else [spec], 1, 1
        )
        value = context.evaluate_expression(document, args[0], variables)
        return not dialect.policy.expression_truthy(value)

    register_aggregation_expression_operator("$not", evaluate_not)
