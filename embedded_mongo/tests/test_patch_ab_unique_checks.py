"""FIX(a), FIX(b): duplicate _id and unique keys are refused, exactly as MongoDB does."""

import pytest
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError


def test_duplicate_id_rejected(mongo_db):
    mongo_db.docs.insert_one({"_id": "a"})
    with pytest.raises(DuplicateKeyError):
        mongo_db.docs.insert_one({"_id": "a"})
    assert mongo_db.docs.count_documents({}) == 1


def test_numeric_ids_one_and_one_point_zero_are_duplicates(mongo_db):
    mongo_db.docs.insert_one({"_id": 1})
    with pytest.raises(DuplicateKeyError):
        mongo_db.docs.insert_one({"_id": 1.0})
    assert mongo_db.docs.count_documents({}) == 1


def test_duplicate_single_field_unique_key_rejected(mongo_db):
    mongo_db.users.create_index("email", unique=True)
    mongo_db.users.insert_one({"email": "a@example.com"})
    with pytest.raises(DuplicateKeyError):
        mongo_db.users.insert_one({"email": "a@example.com"})
    mongo_db.users.insert_one({"email": "b@example.com"})
    assert mongo_db.users.count_documents({}) == 2


def test_duplicate_compound_unique_key_rejected(mongo_db):
    scores = mongo_db.scores
    scores.create_index([("mentee", ASCENDING), ("mentor", ASCENDING)], unique=True)
    scores.insert_one({"mentee": "m1", "mentor": "t1", "score": 1})
    scores.insert_one({"mentee": "m1", "mentor": "t2", "score": 2})
    with pytest.raises(DuplicateKeyError):
        scores.insert_one({"mentee": "m1", "mentor": "t1", "score": 3})
    # An update that would create the duplicate pair is rejected too.
    with pytest.raises(DuplicateKeyError):
        scores.update_one({"mentee": "m1", "mentor": "t2"}, {"$set": {"mentor": "t1"}})
    # A missing field and an explicit null are the same index key.
    scores.insert_one({"mentee": "m2"})
    with pytest.raises(DuplicateKeyError):
        scores.insert_one({"mentee": "m2", "mentor": None})
    assert scores.count_documents({}) == 3
    assert scores.find_one({"mentee": "m1", "mentor": "t1"})["score"] == 1


def test_compound_unique_key_with_array_element_rejected(mongo_db):
    pairs = mongo_db.pairs
    pairs.create_index([("a", ASCENDING), ("b", ASCENDING)], unique=True)
    pairs.insert_one({"a": 1, "b": ["x", "y"]})
    with pytest.raises(DuplicateKeyError):
        pairs.insert_one({"a": 1, "b": "y"})
    pairs.insert_one({"a": 1, "b": "z"})
    assert pairs.count_documents({}) == 2
