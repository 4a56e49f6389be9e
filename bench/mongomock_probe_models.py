"""Two models for bench/mongomock_probe.py's EmbeddedModelField row: the product has no
embedded model yet (it keeps lists in ArrayFields), and the probe should still say whether
mongomock could back one. Registered under the matching app only when the probe imports
this module; no migration knows them."""

from django.db import models
from django_mongodb_backend.fields import EmbeddedModelField
from django_mongodb_backend.models import EmbeddedModel


class Address(EmbeddedModel):
    city = models.CharField(max_length=50)

    class Meta:
        app_label = "matching"


class Person(models.Model):
    name = models.CharField(max_length=50)
    address = EmbeddedModelField(Address)

    class Meta:
        app_label = "matching"
        db_table = "mongomock_probe_person"
