"""Compatibility fixes for mongoeco 4.11.0's MemoryEngine and wire server (server role).

One module per mongoeco behaviour fixed, named after its FIX letter; each module's docstring
names the behaviour and why the app cannot simply avoid it. (f) is not a patch: it is the
rule that nothing may block the server's event loop (embedded_mongo/server.py).

Imported by the launcher's Python too (for MONGOECO_VERSION): nothing here imports mongoeco
at module level.
"""

from __future__ import annotations

import os

MONGOECO_VERSION = "4.11.0"


def check_mongoeco_version() -> None:
    """Fail loudly if mongoeco is not the exact version these patches were written for."""
    import mongoeco

    if mongoeco.__version__ != MONGOECO_VERSION:
        raise RuntimeError(
            f"embedded_mongo/patches/ patch mongoeco {MONGOECO_VERSION}, found "
            f"{mongoeco.__version__}: re-verify every patch against the new source first"
        )


def apply_patches() -> None:
    """Apply every compatibility fix (once), after checking the mongoeco version."""
    from mongoeco.engines import memory

    from embedded_mongo.patches import (
        ab_unique_checks,
        c_id_lookup,
        compound_equality,
        d_buildinfo_alias,
        e_not_expression,
        g_flat_document_paths,
        h_codec_scalars,
        i_immutable_deepcopy,
        j_journal_hooks,
        k_in_lookup,
        l_prefix_shadow_indexes,
        m_native_sort,
        n_or_lookup,
        o_wire_encode,
        q_partial_filter_plans,
        r_projection_copies,
        s_unchanged_index_keys,
        t_find_reply_materialization,
        u_group_fast_path,
        v_group_pipeline,
    )

    check_mongoeco_version()
    if getattr(memory.MemoryEngine, "_embedded_mongo_patched", False):
        return
    ab_unique_checks.apply(memory)
    c_id_lookup.apply(memory)
    # The compound-equality lookup wraps FIX(k)'s: it is tried first, (k) after the engine's.
    k_in_lookup.apply(memory)
    compound_equality.apply(memory)
    # Last of the candidate lookups: FIX(n) asks the whole chain above for each $or branch.
    # EMBEDDED_MONGO_NO_OR_LOOKUP=1: comparison only (bench/sort_probe.py).
    if os.environ.get("EMBEDDED_MONGO_NO_OR_LOOKUP") != "1":
        n_or_lookup.apply(memory)
    d_buildinfo_alias.apply()
    e_not_expression.apply()
    # Before the journal hooks: they wrap (and journal) the patched create/drop_index.
    l_prefix_shadow_indexes.apply(memory)
    j_journal_hooks.apply(memory)
    # EMBEDDED_MONGO_NO_SPEED_PATCHES=1 (benchmark comparison only, bench/db_raw_probe.py)
    # leaves out the pure speed-ups (g)-(i), (m), (o), (q)-(v), which change no result.
    if os.environ.get("EMBEDDED_MONGO_NO_SPEED_PATCHES") != "1":
        g_flat_document_paths.apply(memory)
        h_codec_scalars.apply()
        i_immutable_deepcopy.apply()
        # EMBEDDED_MONGO_NO_NATIVE_SORT=1 (comparison only: the FIX(m) equivalence tests and
        # bench/sort_probe.py) leaves out (m) alone.
        if os.environ.get("EMBEDDED_MONGO_NO_NATIVE_SORT") != "1":
            m_native_sort.apply()
        o_wire_encode.apply()
        q_partial_filter_plans.apply()
        r_projection_copies.apply()
        # Outermost wrapper of _update_indexes_locked (after FIX(a)/(b)): it looks at its
        # caller's frame.
        s_unchanged_index_keys.apply(memory)
        t_find_reply_materialization.apply()
        u_group_fast_path.apply()
        # After (u): it compiles its $group forms with (u)'s compile_plan.
        v_group_pipeline.apply()
    memory.MemoryEngine._embedded_mongo_patched = True
