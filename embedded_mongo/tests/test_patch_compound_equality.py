"""The compound-equality lookup: an equality on every field of a compound index."""

from pymongo import ASCENDING


def test_update_by_compound_equality_finds_the_document(mongo_db):
    scores = mongo_db.scores
    scores.create_index([("mentee", ASCENDING), ("mentor", ASCENDING)], unique=True)
    scores.insert_many([{"mentee": f"m{i}", "mentor": f"t{i % 3}", "s": 0} for i in range(9)])
    result = scores.update_one({"mentee": "m4", "mentor": "t1"}, {"$set": {"s": 5}})
    assert result.matched_count == 1
    assert (
        scores.update_one({"mentee": "m4", "mentor": "t2"}, {"$set": {"s": 6}}).matched_count == 0
    )
    assert scores.find_one({"mentee": "m4"})["s"] == 5
