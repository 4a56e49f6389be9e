"""FIX(c): filters on _id (equality, $in) of absent and present documents."""


def test_upsert_of_missing_id_inserts_exactly_once(mongo_db):
    filter_ = {"_id": "user-1", "active": True}
    first = mongo_db.docs.update_one(filter_, {"$set": {"n": 1}}, upsert=True)
    second = mongo_db.docs.update_one(filter_, {"$set": {"n": 1}}, upsert=True)
    assert first.upserted_id == "user-1"
    assert second.upserted_id is None
    assert second.matched_count == 1
    assert list(mongo_db.docs.find()) == [{"_id": "user-1", "active": True, "n": 1}]
    # Updates and deletes of a missing _id match nothing.
    assert mongo_db.docs.update_one({"_id": "nobody"}, {"$set": {"n": 2}}).matched_count == 0
    assert mongo_db.docs.delete_one({"_id": "nobody"}).deleted_count == 0


def test_delete_and_update_by_id_in(mongo_db):
    mongo_db.docs.insert_many([{"_id": f"d{i}", "n": i} for i in range(10)])
    updated = mongo_db.docs.update_many({"_id": {"$in": ["d1", "d2", "gone"]}}, {"$set": {"n": -1}})
    assert updated.matched_count == 2
    deleted = mongo_db.docs.delete_many({"_id": {"$in": ["d1", "d3", "gone"]}, "n": -1})
    assert deleted.deleted_count == 1
    assert sorted(doc["_id"] for doc in mongo_db.docs.find({"n": -1})) == ["d2"]
    assert mongo_db.docs.count_documents({}) == 9
