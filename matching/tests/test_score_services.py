from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from matching import scoring
from matching.models import ProfileEmbedding, Score
from matching.services import recalculate_all_scores, refresh_scores_for_user
from matching.tests.factories import scorable_mentee as _mentee
from matching.tests.factories import scorable_mentor as _mentor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, scope="module")
def _model_loaded():
    scoring.get_embedding_model()


def _scores():
    return {(s.mentee_email, s.mentor_email): s for s in Score.objects.all()}


def test_saving_scorable_users_fills_the_table_with_explained_scores():
    mentee = _mentee(firstgen=True)
    cs = _mentor(firstgen=True)
    bio = _mentor(major=["Biology"], hobbies="hiking", goals="medical school", year="2")

    scores = _scores()

    assert set(scores) == {(mentee.email, cs.email), (mentee.email, bio.email)}
    for s in scores.values():
        assert s.score == round(s.text + s.year + s.categories, 2)
        assert 0 <= s.score <= 100
    assert scores[(mentee.email, cs.email)].year == 10.0
    assert scores[(mentee.email, cs.email)].categories == 5.0
    assert scores[(mentee.email, cs.email)].score > scores[(mentee.email, bio.email)].score


def test_mentee_profile_change_refreshes_their_row_with_one_encode():
    mentee = _mentee()
    mentors = [
        _mentor(),
        _mentor(major=["Biology"], hobbies="hospital volunteering", goals="medical school"),
    ]
    before = {k: s.score for k, s in _scores().items()}
    encodes = scoring.encode_count

    mentee.hobbies = "volunteering at a hospital, biology research"
    mentee.goals = "medical school"
    mentee.save(update_fields=["hobbies", "goals"])

    assert scoring.encode_count - encodes == 1
    after = {k: s.score for k, s in _scores().items()}
    assert set(after) == set(before)
    bio_key = (mentee.email, mentors[1].email)
    assert after[bio_key] > before[bio_key]


def test_year_only_change_rescores_without_encoding():
    mentee = _mentee()
    mentor = _mentor()
    encodes = scoring.encode_count

    mentee.year = "3"
    mentee.save(update_fields=["year"])

    assert scoring.encode_count == encodes
    assert Score.objects.get(mentee_email=mentee.email, mentor_email=mentor.email).year == 3.0


def test_mentor_profile_change_refreshes_their_column():
    mentees = [_mentee(), _mentee(year="2")]
    mentor = _mentor()
    other = _mentor(major=["Economics"])
    other_before = {k: s.updated_at for k, s in _scores().items() if k[1] == other.email}
    encodes = scoring.encode_count

    mentor.transfer = True
    mentor.year = "4"
    mentor.save(update_fields=["transfer", "year"])

    column = Score.objects.filter(mentor_email=mentor.email)
    assert {s.mentee_email for s in column} == {m.email for m in mentees}
    assert all(s.year in (9.0, 8.0) for s in column)
    assert scoring.encode_count == encodes
    assert {k: s.updated_at for k, s in _scores().items() if k[1] == other.email} == other_before


def test_saves_that_touch_no_scoring_field_do_nothing(django_assert_max_num_queries):
    mentee = _mentee()
    _mentor()
    mentee.isMatched = True

    with django_assert_max_num_queries(1):
        mentee.save(update_fields=["isMatched"])


def test_ineligible_profiles_get_no_scores():
    _mentee(major=[])
    _mentee(year="")
    _mentor(year="unknown")
    _mentor(major=["  "])

    assert Score.objects.count() == 0


def test_becoming_ineligible_removes_scores():
    mentee = _mentee()
    _mentor()
    assert Score.objects.filter(mentee_email=mentee.email).count() == 1

    mentee.major = []
    mentee.save(update_fields=["major"])

    assert Score.objects.filter(mentee_email=mentee.email).count() == 0


def test_embeddings_are_stored_once_per_user_and_reused():
    mentee = _mentee()
    _mentor()

    assert ProfileEmbedding.objects.count() == 2
    stored = ProfileEmbedding.objects.get(email=mentee.email)
    assert len(bytes(stored.vector)) == scoring.EMBEDDING_DIM * 4


def test_recalculate_all_scores_end_to_end_and_idempotent():
    mentees = [_mentee(), _mentee(major=["Biology"], hobbies="hiking"), _mentee(major=[])]
    mentors = [_mentor(), _mentor(major=["Economics"], year="5+")]
    Score.objects.all().delete()
    ProfileEmbedding.objects.all().delete()
    Score.objects.create(mentee_email="gone@x.edu", mentor_email=mentors[0].email, score=1)

    first = recalculate_all_scores(batch_size=3)
    table = {k: (s.score, s.text, s.year, s.categories) for k, s in _scores().items()}
    second = recalculate_all_scores()

    assert (first.mentees, first.mentors, first.scores, first.removed) == (2, 2, 4, 1)
    assert first.encoded == 4
    assert second.encoded == 0 and second.removed == 0
    assert {k: (s.score, s.text, s.year, s.categories) for k, s in _scores().items()} == table
    assert set(table) == {(a.email, b.email) for a in mentees[:2] for b in mentors}


def test_recalculate_encodes_identical_texts_once():
    _mentee(email="twin1@x.edu")
    _mentee(email="twin2@x.edu")
    ProfileEmbedding.objects.all().delete()

    summary = recalculate_all_scores()

    assert summary.encoded == 1


def test_refresh_of_an_admin_writes_nothing(admin_user):
    assert refresh_scores_for_user(user=admin_user) == 0


def test_purge_removes_scores_and_embeddings():
    from datetime import timedelta

    from django.utils import timezone

    from users.services import purge_deleted_users

    mentee = _mentee()
    _mentor()
    mentee.deletion_requested_at = timezone.now() - timedelta(days=365)
    mentee.save(update_fields=["deletion_requested_at"])

    purge_deleted_users()

    assert not Score.objects.filter(mentee_email=mentee.email).exists()
    assert not ProfileEmbedding.objects.filter(email=mentee.email).exists()


def test_recalculate_command_prints_a_summary_and_plain_progress_without_tty():
    _mentee()
    _mentor()
    out, err = StringIO(), StringIO()

    call_command("recalculate_all_scores", "--batch-size", "1", stdout=out, stderr=err)

    assert out.getvalue().strip().splitlines()[-1].startswith("1 scores for 1 mentees × 1 mentors")
    assert "1/1 scores written" in err.getvalue()


def test_recalculate_command_if_empty_and_bad_batch_size():
    _mentee()
    _mentor()
    out = StringIO()

    call_command("recalculate_all_scores", "--if-empty", stdout=out)

    assert "nothing to do" in out.getvalue()
    with pytest.raises(CommandError, match="batch-size"):
        call_command("recalculate_all_scores", "--batch-size", "0", stdout=StringIO())
