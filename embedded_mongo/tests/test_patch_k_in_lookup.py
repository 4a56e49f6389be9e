"""FIX(k): $in on a field with a single-field index."""

from pymongo import ASCENDING


def test_in_on_an_indexed_field_finds_exactly_the_matches(mongo_db):
    """$in on a field with a single-field index (answered from the index on the embedded
    server, FIX(k)) matches what MongoDB's $in matches: scalars and array elements, 1 and
    1.0 alike, never null/missing, and still the rest of the filter."""
    docs = mongo_db.docs
    docs.create_index([("email", ASCENDING)], unique=True, sparse=True)
    docs.create_index([("tag", ASCENDING)])
    docs.insert_many(
        [
            {"_id": "a", "email": "a@x.edu", "tag": "red", "n": 1},
            {"_id": "b", "email": "b@x.edu", "tag": ["blue", "red"], "n": 2},
            {"_id": "c", "email": "c@x.edu", "tag": 1, "n": 3},
            {"_id": "d", "tag": None, "n": 4},
            {"_id": "e", "n": 5},
        ]
    )

    def ids(query):
        return sorted(doc["_id"] for doc in docs.find(query))

    assert ids({"email": {"$in": ["a@x.edu", "c@x.edu", "nobody@x.edu"]}}) == ["a", "c"]
    assert ids({"email": {"$in": ["a@x.edu", "b@x.edu"]}, "n": {"$gt": 1}}) == ["b"]
    assert ids({"tag": {"$in": ["red"]}}) == ["a", "b"]
    assert ids({"tag": {"$in": [1.0, "blue"]}}) == ["b", "c"]
    assert ids({"tag": {"$in": [None]}}) == ["d", "e"]  # null matches missing too
    assert ids({"email": {"$in": []}}) == []
    assert docs.count_documents({"email": {"$in": ["b@x.edu", "c@x.edu"]}}) == 2
    assert docs.delete_many({"email": {"$in": ["a@x.edu"]}, "n": 9}).deleted_count == 0
    assert docs.update_many({"tag": {"$in": ["red"]}}, {"$inc": {"n": 10}}).matched_count == 2
    assert ids({"n": {"$gt": 10}}) == ["a", "b"]
