"""FIX(h): DocumentCodec.encode returns common scalars without its type ladder (speed only).

mongoeco behaviour: encode() runs twice per written document and walks ~30 isinstance checks
(validating every value twice) before returning a str/float/bool/None unchanged.
Why the app cannot avoid it: every document the app writes goes through the codec.
"""

from __future__ import annotations


def apply() -> None:
    """Fix (h): DocumentCodec.encode returns common scalars without its type ladder."""
    # encode() (run twice per written document: to_internal() at the command boundary and
    # again for storage) validates every value twice and walks ~30 isinstance checks before
    # returning a str/float/bool/None unchanged. For these exact types (not subclasses)
    # validate_bson_value() cannot raise and no branch matches, so they are returned as is;
    # exact ints only inside the int64 range (outside, the original raises its overflow
    # error). Exact datetimes and ObjectIds return what their original branch returns (for
    # them validate_bson_value() is a no-op and no earlier branch matches). Containers and
    # every other type keep the original code, which recurses through this function.
    import datetime

    from mongoeco.core import codec
    from mongoeco.core.bson_scalars import INT64_MAX, INT64_MIN

    document_codec = codec.DocumentCodec
    original = document_codec.encode
    passthrough = frozenset({str, float, bool, type(None)})
    object_ids = frozenset(
        cls for cls in (codec.ObjectId, getattr(codec, "BsonObjectId", None)) if cls is not None
    )

    def encode(data):
        cls = type(data)
        if cls in passthrough:
            return data
        if cls is int and INT64_MIN <= data <= INT64_MAX:
            return data
        if cls is datetime.datetime:
            normalized = codec.normalize_utc_bson_datetime(data)
            return document_codec._tagged_value("datetime", normalized.isoformat())
        if cls in object_ids:
            return document_codec._tagged_value("objectid", str(codec.normalize_object_id(data)))
        return original(data)

    document_codec.encode = staticmethod(encode)
