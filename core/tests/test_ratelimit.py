"""The limit primitives (core/ratelimit.py) and their settings."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from config.settings import env_rate
from core.errors import RateLimitedError
from core.ratelimit import Lockout, client_address, limit, lockouts


def _request(remote="203.0.113.9", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_the_socket_peer_is_the_client_unless_a_proxy_is_trusted(settings):
    settings.TRUSTED_PROXIES = []
    # A client cannot pick its own address by sending the header.
    assert client_address(_request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"

    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    # Only a trusted peer's header counts, read from the right past trusted hops; what the
    # client itself wrote further left is not believed.
    assert client_address(_request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"
    assert client_address(_request("10.0.0.5", "198.51.100.1")) == "198.51.100.1"
    assert client_address(_request("10.0.0.5", "1.2.3.4, 198.51.100.1, 10.0.0.7")) == (
        "198.51.100.1"
    )
    assert client_address(_request("10.0.0.5", "junk, 198.51.100.1")) == "198.51.100.1"
    assert client_address(_request("10.0.0.5", "198.51.100.1, junk")) == "10.0.0.5"
    assert client_address(_request("10.0.0.5")) == "10.0.0.5"  # no header: the proxy itself


def test_ipv6_clients_count_per_64_block(settings):
    settings.TRUSTED_PROXIES = []

    assert client_address(_request("2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::"
    assert client_address(_request("2001:db8:1:2:bbbb::9")) == "2001:db8:1:2::"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, "10/15m"), ("", "10/15m"), ("5/H", "5/h"), ("30/m", "30/m"), ("off", None)],
)
def test_env_rate_reads_rates_and_off(monkeypatch, raw, expected):
    if raw is None:
        monkeypatch.delenv("X_RATE", raising=False)
    else:
        monkeypatch.setenv("X_RATE", raw)

    assert env_rate("X_RATE", "10/15m") == expected


@pytest.mark.parametrize("raw", ["10", "0/m", "10/0m", "ten/m", "10/15w", "١٠/m", "-1/m"])
def test_env_rate_rejects_malformed_rates(monkeypatch, raw):
    monkeypatch.setenv("X_RATE", raw)

    with pytest.raises(ImproperlyConfigured, match="X_RATE"):
        env_rate("X_RATE", "10/15m")


@pytest.mark.django_db
def test_limit_counts_per_key_until_its_window_ends(limits_clock):
    for _ in range(3):
        limit("demo", "alice", "3/m")
    with pytest.raises(RateLimitedError) as refused:
        limit("demo", "alice", "3/m")
    limit("demo", "bob", "3/m")  # another key has its own count
    limit("demo", "alice", None)  # a limit set to off never refuses

    assert 1 <= refused.value.retry_after <= 60
    limits_clock.advance(refused.value.retry_after - 1)
    with pytest.raises(RateLimitedError):
        limit("demo", "alice", "3/m")
    limits_clock.advance(1)  # exactly Retry-After after the refusal
    limit("demo", "alice", "3/m")


@pytest.mark.django_db
def test_a_lockout_lasts_its_period_from_the_failure_that_reached_it(limits_clock):
    guard = Lockout("demo", "carol", "2/15m")

    def fail():
        with lockouts(guard, failure=KeyError):
            raise KeyError

    for _ in range(2):
        with pytest.raises(KeyError):
            fail()
    limits_clock.advance(600)
    with pytest.raises(RateLimitedError) as refused:
        fail()  # refused before the work runs: not a KeyError
    assert refused.value.retry_after == 300

    limits_clock.advance(300)
    with pytest.raises(KeyError):
        fail()
