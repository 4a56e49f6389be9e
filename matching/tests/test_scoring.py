"""The scoring rules, cell by cell, and the real model's judgement on realistic profiles.

Checklist from the reference: TestYearCompatibility, TestMatchScoring, TestEdgeCases,
TestRealWorldScenarios, TestFieldSpecificScenarios, TestEdgeCaseProfiles.
"""

import numpy as np
import pytest

from matching import scoring
from matching.scoring import (
    Profile,
    build_profile_text,
    calculate_year_compatibility,
    category_overlap,
    parse_year,
    score_matrix,
    score_pair,
)


@pytest.fixture(scope="session")
def embed():
    """Embed profiles with the real all-MiniLM-L6-v2 (loaded once per test session)."""
    scoring.get_embedding_model()

    def _embed(*profiles: Profile) -> np.ndarray:
        return scoring.encode([build_profile_text(p) for p in profiles])

    return _embed


def _score(embed, mentee: Profile, mentor: Profile) -> float:
    vecs = embed(mentee, mentor)
    return score_pair(mentee, mentor, vecs[0], vecs[1]).score


# --- TestYearCompatibility ------------------------------------------------------------

EXPECTED_YEAR_TABLE = {
    # (mentee, mentor): points
    (1, 1): 3.0,
    (1, 2): 6.0,
    (1, 3): 10.0,
    (1, 4): 9.0,
    (1, 5): 9.0,
    (2, 1): 1.0,
    (2, 2): 3.0,
    (2, 3): 6.0,
    (2, 4): 8.0,
    (2, 5): 9.0,
    (3, 1): 1.0,
    (3, 2): 1.0,
    (3, 3): 3.0,
    (3, 4): 6.0,
    (3, 5): 8.0,
    (4, 1): 1.0,
    (4, 2): 1.0,
    (4, 3): 1.0,
    (4, 4): 3.0,
    (4, 5): 6.0,
    (5, 1): 1.0,
    (5, 2): 1.0,
    (5, 3): 1.0,
    (5, 4): 1.0,
    (5, 5): 3.0,
}


@pytest.mark.parametrize(("pair", "points"), sorted(EXPECTED_YEAR_TABLE.items()))
def test_year_table_cell(pair, points):
    assert calculate_year_compatibility(*pair) == points
    assert calculate_year_compatibility(str(pair[0]), str(pair[1])) == points


def test_year_optimal_pairing_is_first_year_with_third_year():
    assert calculate_year_compatibility(1, 3) == 10.0
    assert max(EXPECTED_YEAR_TABLE.values()) == 10.0


def test_year_5_plus_parses_as_5():
    assert parse_year("5+") == 5
    assert calculate_year_compatibility("2", "5+") == 9.0
    assert calculate_year_compatibility("5+", "5") == 3.0


@pytest.mark.parametrize(
    "unknown", [None, "", "  ", "abc", "third", "0", "6", 0, 7, -1, True, 2.5, "3.5", [3]]
)
def test_year_unknown_or_invalid_is_neutral(unknown):
    assert parse_year(unknown) == 0
    assert calculate_year_compatibility(unknown, 3) == 5.0
    assert calculate_year_compatibility(1, unknown) == 5.0


def test_year_strings_with_spaces():
    assert calculate_year_compatibility(" 1 ", " 3") == 10.0


# --- TestMatchScoring / categories ----------------------------------------------------


@pytest.mark.parametrize(
    ("mentee", "mentor", "points"),
    [
        (set(), set(), 0.0),
        ({"firstgen"}, {"commuter"}, 0.0),
        ({"firstgen"}, {"firstgen", "commuter"}, 5.0),
        ({"firstgen", "commuter", "transfer"}, {"firstgen", "commuter", "transfer"}, 15.0),
        (set(scoring.CATEGORY_FIELDS[:4]), set(scoring.CATEGORY_FIELDS[:4]), 20.0),
        (set(scoring.CATEGORY_FIELDS), set(scoring.CATEGORY_FIELDS), 20.0),
    ],
)
def test_category_overlap_is_5_per_shared_flag_capped_at_20(mentee, mentor, points):
    assert category_overlap(mentee, mentor) == points


def test_text_points_scale_cosine_and_clip_negative():
    assert scoring.text_points(1.0) == 70.0
    assert scoring.text_points(0.5) == 35.0
    assert scoring.text_points(-0.3) == 0.0
    assert scoring.text_points(0.123456) == 8.64


def test_breakdown_parts_sum_to_the_rounded_score():
    mentee = Profile(major=["Biology"], year=1, categories=frozenset({"firstgen"}))
    mentor = Profile(major=["Biology"], year=3, categories=frozenset({"firstgen"}))
    a = np.array([0.6, 0.8], dtype=np.float32)
    b = np.array([0.8, 0.6], dtype=np.float32)

    result = score_pair(mentee, mentor, a, b)

    assert result.text == 67.2
    assert result.year == 10.0
    assert result.categories == 5.0
    assert result.score == 82.2


# --- TestEdgeCases: profile text --------------------------------------------------------


def test_build_profile_text_full_uses_labels_in_order():
    profile = Profile(
        major=["Computer Science", "Mathematics"],
        minor=["Music"],
        hobbies="chess, hiking",
        clubs="ACM",
        goals="SWE internship",
    )

    assert build_profile_text(profile) == (
        "Major: Computer Science, Mathematics\n"
        "Minor: Music\n"
        "Hobbies and interests: chess, hiking\n"
        "Clubs: ACM\n"
        "Goals: SWE internship"
    )


def test_build_profile_text_leaves_blank_fields_out():
    profile = Profile(major=["Biology"], minor=[" ", ""], hobbies="  ", goals="Med school")

    assert build_profile_text(profile) == "Major: Biology\nGoals: Med school"


def test_build_profile_text_empty():
    assert build_profile_text(Profile()) == ""


def test_minor_field_included_in_profile_text():
    assert "Minor: Linguistics" in build_profile_text(Profile(minor=["Linguistics"]))


def test_fingerprint_changes_with_text_only():
    assert scoring.text_fingerprint("a") == scoring.text_fingerprint("a")
    assert scoring.text_fingerprint("a") != scoring.text_fingerprint("b")


# --- the matrix path agrees with the pair path -------------------------------------------


def test_score_matrix_matches_score_pair_for_every_cell():
    rng = np.random.default_rng(7)
    mentees = [
        Profile(year=y, categories=frozenset(c))
        for y, c in [(1, {"firstgen"}), ("5+", set()), (None, {"commuter", "transfer"})]
    ]
    mentors = [
        Profile(year=y, categories=frozenset(c))
        for y, c in [(3, {"firstgen", "commuter"}), ("2", set()), ("x", {"transfer"}), (4, set())]
    ]
    a = rng.normal(size=(3, 8))
    b = rng.normal(size=(4, 8))
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)

    text, year, cats, total = score_matrix(mentees, mentors, a, b)

    for i, mentee in enumerate(mentees):
        for j, mentor in enumerate(mentors):
            pair = score_pair(mentee, mentor, a[i], b[j])
            assert (text[i, j], year[i, j], cats[i, j]) == (pair.text, pair.year, pair.categories)
            assert total[i, j] == pair.score
    assert total.min() >= 0.0 and total.max() <= 100.0


# --- with the real model ---------------------------------------------------------------

CS_FRESHMAN = Profile(
    major=["Computer Science"],
    hobbies="coding side projects, hackathons, chess",
    clubs="ACM Student Chapter",
    goals="land a software engineering internship and maybe start a startup",
    year=1,
)
CS_STARTUP_MENTOR = Profile(
    major=["Computer Science"],
    hobbies="building web apps, hackathons, startups",
    clubs="Entrepreneurs Club, ACM",
    goals="founded a tech startup, interned at a software company",
    year=3,
)
BIO_PREMED_MENTOR = Profile(
    major=["Biology"],
    minor=["Chemistry"],
    hobbies="volunteering at the hospital, hiking",
    clubs="Pre-Med Society",
    goals="medical school, clinical research",
    year=3,
)


def test_identical_profiles_score_near_the_top(embed):
    mentee = Profile(**{**CS_STARTUP_MENTOR.__dict__, "year": 1})
    result = _score(embed, mentee, CS_STARTUP_MENTOR)

    assert result >= 79.0  # 70 text + 10 year (1 vs 3), no categories


def test_related_profiles_rank_above_unrelated(embed):
    assert (
        _score(embed, CS_FRESHMAN, CS_STARTUP_MENTOR)
        > _score(embed, CS_FRESHMAN, BIO_PREMED_MENTOR) + 5
    )


def test_pre_med_mentorship(embed):
    premed_mentee = Profile(
        major=["Biology"], hobbies="volunteering at a clinic", goals="become a doctor", year=1
    )
    assert _score(embed, premed_mentee, BIO_PREMED_MENTOR) > _score(
        embed, premed_mentee, CS_STARTUP_MENTOR
    )


def test_similar_meaning_different_words(embed):
    mentee = Profile(major=["Computer Science"], goals="become a software developer", year=1)
    close = Profile(major=["Software Engineering"], goals="work as a programmer", year=3)
    far = Profile(major=["Art History"], goals="curate museum exhibitions", year=3)

    assert _score(embed, mentee, close) > _score(embed, mentee, far)


def test_special_category_boost(embed):
    mentee = Profile(
        major=["Economics"], year=2, categories=frozenset({"international", "firstgen"})
    )
    plain = Profile(major=["Economics"], year=4)
    shared = Profile(
        major=["Economics"], year=4, categories=frozenset({"international", "firstgen"})
    )

    assert _score(embed, mentee, shared) == pytest.approx(_score(embed, mentee, plain) + 10.0)


def test_frontend_vs_backend_developer(embed):
    frontend = Profile(
        major=["Computer Science"], hobbies="web design, React, UI animation", year=1
    )
    frontend_mentor = Profile(
        major=["Computer Science"], hobbies="CSS, React, user interfaces", year=3
    )
    chemist = Profile(major=["Chemistry"], hobbies="lab work, organic synthesis", year=3)

    assert _score(embed, frontend, frontend_mentor) > _score(embed, frontend, chemist)


def test_empty_profile_gets_no_text_points(embed):
    vecs = embed(Profile(), CS_STARTUP_MENTOR)

    assert score_pair(Profile(), CS_STARTUP_MENTOR, vecs[0], vecs[1]).text == 0.0


def test_unicode_and_special_characters(embed):
    profile = Profile(major=["Génie logiciel"], hobbies="日本語, émojis 🎉, <script>", year="2")
    result = _score(embed, profile, CS_STARTUP_MENTOR)

    assert 0.0 <= result <= 100.0


def test_score_range_on_many_random_pairs(embed):
    profiles = [CS_FRESHMAN, CS_STARTUP_MENTOR, BIO_PREMED_MENTOR, Profile(), Profile(major=["X"])]
    vecs = embed(*profiles)

    _, _, _, total = score_matrix(profiles, profiles, vecs, vecs)

    assert total.min() >= 0.0 and total.max() <= 100.0
    assert np.array_equal(total, np.round(total, 2))
