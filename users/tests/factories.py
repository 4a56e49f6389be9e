import factory
from factory.django import DjangoModelFactory

from users.models import Role, User

DEFAULT_PASSWORD = "correct-horse-battery-9"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.edu")
    role = Role.MENTEE
    firstName = factory.Faker("first_name")
    lastName = factory.Faker("last_name")
    password = factory.django.Password(DEFAULT_PASSWORD)


class MenteeFactory(UserFactory):
    role = Role.MENTEE
    email = factory.Sequence(lambda n: f"mentee{n}@example.edu")


class MentorFactory(UserFactory):
    role = Role.MENTOR
    email = factory.Sequence(lambda n: f"mentor{n}@example.edu")


class AdminFactory(UserFactory):
    role = Role.ADMIN
    is_staff = True
    is_superuser = True
    email = factory.Sequence(lambda n: f"admin{n}@example.edu")
