"""FIX(l): an equality on a compound index's leading field, and the indexes listed."""

from pymongo import ASCENDING


def _index_names(collection):
    return sorted(index["name"] for index in collection.list_indexes())


def test_equality_on_a_compound_index_prefix_and_the_indexes_listed(mongo_db):
    """An equality on a compound index's leading field (a mentee's scores, answered through
    a hidden single-field index on the embedded server, FIX(l)) finds exactly the matches,
    and the indexes a client sees are the ones it created, whatever it creates or drops."""
    scores = mongo_db.scores
    scores.create_index([("mentee", ASCENDING), ("score", -1)], name="rank")
    scores.insert_many(
        [{"mentee": f"m{i % 3}", "mentor": f"t{i}", "score": i} for i in range(12)]
        + [{"mentee": ["m1", "m2"], "mentor": "both", "score": 99}, {"mentor": "none"}]
    )

    def mentors(query):
        return [doc["mentor"] for doc in scores.find(query).sort("score", -1)]

    assert _index_names(scores) == ["_id_", "rank"]
    assert list(scores.index_information()) == ["_id_", "rank"]
    assert mentors({"mentee": "m1"}) == ["both", "t10", "t7", "t4", "t1"]
    assert mentors({"mentee": "m0", "score": {"$gte": 6}}) == ["t9", "t6"]
    assert mentors({"mentee": None}) == ["none"]

    scores.create_index([("mentee", ASCENDING)], name="by_mentee")  # the client's own
    assert _index_names(scores) == ["_id_", "by_mentee", "rank"]
    scores.drop_index("by_mentee")
    scores.drop_index("rank")
    assert _index_names(scores) == ["_id_"]
    assert mentors({"mentee": "m2"}) == ["both", "t11", "t8", "t5", "t2"]
    scores.create_index([("mentee", ASCENDING), ("mentor", ASCENDING)], unique=True, name="pair")
    assert _index_names(scores) == ["_id_", "pair"]
    assert scores.delete_many({"mentee": "m0"}).deleted_count == 4
    assert mentors({"mentee": "m0"}) == []
