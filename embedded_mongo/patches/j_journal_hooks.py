"""FIX(j): every committed write, with its post-image, is fed to the write-ahead journal.

mongoeco behaviour: MemoryEngine offers no commit hook and records a document's post-image
only when a change stream may read it (otherwise a gap), so nothing tells a persistence layer
what a write committed; its own persistence is a full dump.
Why the app cannot avoid it: durability of acknowledged writes between dumps must hold for
every write path (inserts, updates, upserts with server-generated _ids, deletes, DDL), which
only the engine sees. The journal itself is in embedded_mongo/persistence.py.
"""

from __future__ import annotations

from typing import Any

from embedded_mongo import persistence
from embedded_mongo.persistence import JOURNALED_DDL


def apply(memory: Any) -> None:
    """Fix (j): feed every committed write, with its post-image, to the journal."""
    # Three hooks, active only while persistence.active_journal is set:
    # * AsyncCollection._should_publish_change_events: mongoeco records a change payload
    #   (operation type, _id, full post-image for insert/update/replace/upsert) for every
    #   written document only when a change stream may read it; otherwise it records a gap
    #   (None). Forcing it on makes every write path record its post-image, including
    #   upserts with server-generated _ids (replay then reproduces the same _id).
    # * MemoryEngine._prepare_committed_changes_locked: called under the engine's lock at
    #   the commit point of every write (single operations and transaction commits), in
    #   commit order, with those payloads: they are journaled there.
    # * the DDL methods in JOURNALED_DDL: journaled after they succeed, as the call itself
    #   (mongoeco records no change for them).
    from mongoeco.api._async.collection import AsyncCollection
    from mongoeco.core.codec import DocumentCodec

    engine_cls = memory.MemoryEngine
    original_publish = AsyncCollection._should_publish_change_events
    original_prepare = engine_cls._prepare_committed_changes_locked

    def _should_publish_change_events(self, *, session=None):
        if persistence.active_journal is not None:
            return True
        return original_publish(self, session=session)

    def _prepare_committed_changes_locked(self, payloads):
        journal = persistence.active_journal
        if journal is not None:
            for payload in payloads:
                if payload is None:
                    # A gap: a document without _id (never stored over the wire, which
                    # adds _id). Refuse to acknowledge what could not be journaled.
                    raise memory.OperationFailure("embedded_mongo: unjournalable write")
                record = {"d": payload["db_name"], "c": payload["coll_name"]}
                if payload["operation_type"] == "delete":
                    record.update(o="del", id=payload["document_key"]["_id"])
                else:
                    record.update(o="put", doc=DocumentCodec.to_public(payload["full_document"]))
                journal.append(record)
        return original_prepare(self, payloads)

    def journaled(name: str, original: Any) -> Any:
        async def method(self, *args, **kwargs):
            result = await original(self, *args, **kwargs)
            journal = persistence.active_journal
            if journal is not None:
                # The session (context) is not replayable; DDL in transactions is not used.
                options = {key: value for key, value in kwargs.items() if key != "context"}
                journal.append({"o": "ddl", "m": name, "a": list(args), "k": options})
            return result

        method.__name__ = name
        return method

    AsyncCollection._should_publish_change_events = _should_publish_change_events
    engine_cls._prepare_committed_changes_locked = _prepare_committed_changes_locked
    for name in JOURNALED_DDL:
        setattr(engine_cls, name, journaled(name, getattr(engine_cls, name)))
