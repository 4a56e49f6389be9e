"""FIX(d): pymongo's server_info() (the lowercase buildinfo command)."""


def test_server_info_sends_lowercase_buildinfo(client):
    info = client.server_info()
    assert info["ok"] == 1
    assert isinstance(info["version"], str)
