"""Fixtures of the embedded server's tests: a pymongo client and a throwaway database.

They run against the session's MONGODB_URI (the pytest plugin's embedded server, or a real
MongoDB when MONGODB_URI is set): the behaviour checked is MongoDB's.
"""

import os
import uuid

import pytest
from pymongo import MongoClient


@pytest.fixture
def client():
    """A pymongo client on the session's MONGODB_URI."""
    with MongoClient(os.environ["MONGODB_URI"]) as mongo_client:
        yield mongo_client


@pytest.fixture
def mongo_db(client):
    """A fresh, uniquely named database, dropped afterwards."""
    name = f"test_embedded_{uuid.uuid4().hex[:12]}"
    yield client[name]
    client.drop_database(name)
