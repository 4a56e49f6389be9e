"""A client generated from docs/openapi.json with openapi-python-client works: every schema of
the spec becomes a model (a dropped one, "Could not find reference", fails), and the client
drives register → login → profile → matches → select → my-mentor → chat against a live
server."""

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from matching.tests.factories import scorable_mentor

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "docs" / "openapi.json"
GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "mentor_match_client"


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The generated package, imported; and the generator's output."""
    where = tmp_path_factory.mktemp("client")
    config = where / "config.yml"
    # No post hooks: they would run ruff from PATH on the generated code.
    config.write_text(f"package_name_override: {PACKAGE}\npost_hooks: []\n")
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(SPEC),
            "--meta",
            "none",
            "--output-path",
            str(where / PACKAGE),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(PACKAGE), output, where / PACKAGE
    finally:
        sys.path.remove(str(where))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_the_generator_drops_no_schema(generated):
    _, output, package = generated

    assert "Could not find reference" not in output, output
    assert "Warning" not in output, output
    names = json.loads(SPEC.read_text())["components"]["schemas"]
    models = {path.stem for path in (package / "models").glob("*.py")}
    missing = sorted(name for name in names if _snake(name) not in models)
    assert not missing, f"schemas without a generated model: {missing}"


def test_the_generated_client_drives_the_main_flow(generated, live_server):
    client_package, _, _ = generated
    from mentor_match_client.api.chat import list_messages, send_message
    from mentor_match_client.api.matching import (
        get_mentor_matches,
        get_my_mentor,
        select_mentor,
        update_profile_view,
    )
    from mentor_match_client.api.users import login, register
    from mentor_match_client.models import (
        Error,
        LoginIn,
        ProfileIn,
        RegisterIn,
        SelectIn,
        SendIn,
    )

    mentor = scorable_mentor()
    anonymous = client_package.Client(base_url=live_server.url, raise_on_unexpected_status=True)
    password = "a-long-enough-passphrase"

    created = register.sync(
        client=anonymous,
        body=RegisterIn(email="client@example.edu", password=password, role="MENTEE"),
    )
    assert created.user.email == "client@example.edu"
    assert created.user.year is None
    refused = login.sync(client=anonymous, body=LoginIn(email="client@example.edu", password="x"))
    assert isinstance(refused, Error) and refused.code == "invalid_credentials"
    session = login.sync(
        client=anonymous, body=LoginIn(email="Client@Example.edu", password=password)
    )
    me = client_package.AuthenticatedClient(
        base_url=live_server.url, token=session.access, raise_on_unexpected_status=True
    )

    profile = update_profile_view.sync(
        client=me,
        body=ProfileIn(major=[*mentor.major], year="5+", hobbies=mentor.hobbies, goals="research"),
    )
    assert (profile.user.major, profile.user.year) == (list(mentor.major), "5+")

    matches = get_mentor_matches.sync(client=me)
    assert [card.email for card in matches.matches] == [mentor.email]
    assert matches.total == 1
    ranked = matches.matches[0]
    parts = ranked.breakdown.text + ranked.breakdown.year + ranked.breakdown.categories
    assert abs(ranked.score - parts) < 0.02

    selected = select_mentor.sync(client=me, body=SelectIn(mentor_email=mentor.email))
    assert selected.success and selected.mentor.email == mentor.email
    assert get_my_mentor.sync(client=me).mentor.email == mentor.email

    sent = send_message.sync(client=me, body=SendIn(to=mentor.email, body="hello"))
    assert (sent.message.sender, sent.message.body) == ("client@example.edu", "hello")
    page = list_messages.sync(client=me, with_=mentor.email)
    assert [m.body for m in page.messages] == ["hello"]
    assert page.next_cursor is None
