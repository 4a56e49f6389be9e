"""The demo cohort that `make run` loads on first start (python manage.py seed_demo)."""

import random

from django.contrib.auth.hashers import make_password

from users.categories import CATEGORY_FIELDS
from users.models import Role, User

DEMO_PASSWORD = "mentor-match-demo"
DEMO_DOMAIN = "demo.mentor-match.edu"
MENTEE_COUNT = 40
MENTOR_COUNT = 20

FIRST_NAMES = [
    "Aisha",
    "Ben",
    "Carmen",
    "Dmitri",
    "Elena",
    "Farah",
    "Gabriel",
    "Hana",
    "Ibrahim",
    "Jade",
    "Kofi",
    "Lucia",
    "Mateo",
    "Nadia",
    "Oscar",
    "Priya",
    "Quentin",
    "Rosa",
    "Samir",
    "Tara",
    "Uma",
    "Victor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
]
LAST_NAMES = [
    "Adeyemi",
    "Brennan",
    "Chen",
    "Dubois",
    "Estrada",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Johansson",
    "Kim",
    "Lopez",
    "Mensah",
    "Nguyen",
    "Okafor",
    "Patel",
    "Rossi",
    "Silva",
    "Tanaka",
    "Walker",
]
# (major, likely minors, hobbies, clubs, goals) — one theme per field, so related
# profiles really are related.
THEMES = [
    (
        "Computer Science",
        ["Mathematics", "Statistics"],
        ["competitive programming", "building side projects", "chess", "open-source contributing"],
        ["ACM Student Chapter", "Hackathon Club", "Women in Computing"],
        [
            "land a software engineering internship",
            "learn distributed systems",
            "start a tech company",
        ],
    ),
    (
        "Biology",
        ["Chemistry", "Public Health"],
        ["hiking", "birdwatching", "volunteering at the free clinic", "gardening"],
        ["Pre-Med Society", "Biology Research Club", "Red Cross Club"],
        ["get into medical school", "join a genetics research lab", "publish a first paper"],
    ),
    (
        "Economics",
        ["Statistics", "Political Science"],
        ["investing", "debate", "podcasts about markets", "running"],
        ["Investment Club", "Economics Society", "Model UN"],
        ["work in consulting", "prepare for an economics PhD", "intern at a central bank"],
    ),
    (
        "Mechanical Engineering",
        ["Physics", "Materials Science"],
        ["robotics", "3D printing", "rebuilding motorcycles", "rock climbing"],
        ["Formula SAE", "Robotics Team", "Engineers Without Borders"],
        ["design electric vehicles", "get a co-op at an aerospace firm", "earn a PE license"],
    ),
    (
        "Psychology",
        ["Sociology", "Neuroscience"],
        ["journaling", "yoga", "peer counseling", "reading memoirs"],
        ["Psi Chi", "Active Minds", "Peer Mentoring Network"],
        [
            "become a clinical psychologist",
            "research adolescent mental health",
            "apply to graduate school",
        ],
    ),
    (
        "English",
        ["Journalism", "History"],
        ["creative writing", "poetry slams", "book clubs", "photography"],
        ["Literary Magazine", "Student Newspaper", "Writers' Workshop"],
        ["publish a novel", "work in editorial publishing", "become a journalist"],
    ),
    (
        "Business Administration",
        ["Marketing", "Economics"],
        ["entrepreneurship", "networking events", "tennis", "travel"],
        ["Entrepreneurs Club", "Marketing Association", "Toastmasters"],
        ["launch a startup", "work in product management", "get an MBA"],
    ),
    (
        "Environmental Science",
        ["Geography", "Policy Studies"],
        ["camping", "sustainability projects", "kayaking", "urban farming"],
        ["Sustainability Coalition", "Outdoors Club", "Climate Action Network"],
        ["work on climate policy", "do field research on watersheds", "join an NGO"],
    ),
]
YEARS_MENTEE = ["1", "1", "1", "2", "2", "3"]
YEARS_MENTOR = ["3", "4", "4", "5", "5+"]


def _profile(rng: random.Random, *, years: list[str]) -> dict:
    major, minors, hobbies, clubs, goals = rng.choice(THEMES)
    second = rng.random() < 0.15
    majors = [major] + ([rng.choice(THEMES)[0]] if second else [])
    return {
        "firstName": rng.choice(FIRST_NAMES),
        "lastName": rng.choice(LAST_NAMES),
        "major": list(dict.fromkeys(majors)),
        "minor": [rng.choice(minors)] if rng.random() < 0.5 else [],
        "year": rng.choice(years),
        "hobbies": ", ".join(rng.sample(hobbies, 2)),
        "clubs": rng.choice(clubs),
        "goals": "I want to " + rng.choice(goals) + ".",
        **{flag: rng.random() < 0.25 for flag in CATEGORY_FIELDS},
    }


def demo_cohort() -> list[dict]:
    """The demo users as field dicts: deterministic, so re-seeding changes nothing."""
    rng = random.Random(2026)
    people = [
        {
            "email": f"admin@{DEMO_DOMAIN}",
            "role": Role.ADMIN,
            "is_staff": True,
            "is_superuser": True,
            "firstName": "Demo",
            "lastName": "Admin",
        },
    ]
    for i in range(1, MENTOR_COUNT + 1):
        people.append(
            {
                "email": f"mentor{i:02d}@{DEMO_DOMAIN}",
                "role": Role.MENTOR,
                **_profile(rng, years=YEARS_MENTOR),
            }
        )
    for i in range(1, MENTEE_COUNT + 1):
        people.append(
            {
                "email": f"mentee{i:02d}@{DEMO_DOMAIN}",
                "role": Role.MENTEE,
                **_profile(rng, years=YEARS_MENTEE),
            }
        )
    return people


def seed_demo(*, if_empty: bool = False) -> int:
    """Create the demo users that are missing; returns how many were created."""
    if if_empty and User.objects.exists():
        return 0
    people = demo_cohort()
    existing = set(
        User.objects.filter(email__in=[p["email"] for p in people]).values_list("email", flat=True)
    )
    # One hash for every demo account: hashing 61 times would take ~30 s for nothing.
    password = make_password(DEMO_PASSWORD)
    new = [User(password=password, **p) for p in people if p["email"] not in existing]
    User.objects.bulk_create(new)
    return len(new)
