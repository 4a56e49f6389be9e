"""Rounds as the API, the run_round command and the admin show them (API.md "Preferences
and rounds")."""

from users.serializers import iso


def round_to_json(found, *, assignments: bool = True) -> dict:
    data = {
        "id": str(found.pk),
        "objective": found.objective,
        "status": found.status,
        "created_at": iso(found.created_at),
        "created_by": found.created_by_email or None,
        "pinned": found.pinned,
        "excluded": found.excluded,
        "report": found.report,
        "published_as": found.published_as or None,
        "published_at": iso(found.published_at),
    }
    if assignments:
        data["assignments"] = found.assignments
    return data


def publish_to_json(result) -> dict:
    return {
        "round": round_to_json(result.round),
        "published": result.published,
        "skipped": result.skipped,
    }
