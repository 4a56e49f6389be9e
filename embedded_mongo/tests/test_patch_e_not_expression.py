"""FIX(e): the aggregation-expression $not."""


def test_expr_not_filters(mongo_db):
    mongo_db.docs.insert_many(
        [{"_id": 1, "n": 0}, {"_id": 2, "n": 5}, {"_id": 3, "n": None}, {"_id": 4}]
    )
    gt_one = {"$gt": ["$n", 1]}
    found = mongo_db.docs.find({"$expr": {"$not": [gt_one]}}, sort=[("_id", 1)])
    assert [doc["_id"] for doc in found] == [1, 3, 4]
    projected = mongo_db.docs.aggregate(
        [{"$sort": {"_id": 1}}, {"$project": {"falsy": {"$not": ["$n"]}, "bare": {"$not": "$n"}}}]
    )
    assert [(doc["falsy"], doc["bare"]) for doc in projected] == [
        (True, True),
        (False, False),
        (True, True),
        (True, True),
    ]
