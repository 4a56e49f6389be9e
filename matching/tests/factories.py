"""Scorable mentees and mentors (saving them scores them with the real model)."""

from users.tests.factories import MenteeFactory, MentorFactory


def scorable_mentee(**fields):
    defaults = {
        "major": ["Computer Science"],
        "year": "1",
        "hobbies": "chess, hackathons",
        "goals": "software internship",
    }
    return MenteeFactory(**{**defaults, **fields})


def scorable_mentor(**fields):
    defaults = {
        "major": ["Computer Science"],
        "year": "3",
        "hobbies": "startups, web apps",
        "goals": "mentor new programmers",
    }
    return MentorFactory(**{**defaults, **fields})
