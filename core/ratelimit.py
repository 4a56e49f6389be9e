"""Rate limits and login lockouts (docs/operations.md "Limits"), over django-ratelimit.

django-ratelimit's fixed-window counters live in the cache RATELIMIT_USE_CACHE names: the
MongoDB cache of core/cache.py, so that every worker process shares them; a request is
counted there in one round trip (its hit()), see _count. Each limit is a
rate setting such as "10/15m" (None turns it off). A limit that is reached raises
RateLimitedError (429 rate_limited) with Retry-After: the seconds its window has left.

Failed sign-ins lock out rather than merely count: the failure that reaches the limit
locks the account (or the address) for the rate's whole period from then on, and a locked
sign-in is refused before its password is checked, right or wrong.
"""

import hashlib
import ipaddress
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import caches
from django_ratelimit import ALL
from django_ratelimit.core import (
    EXPIRATION_FUDGE,
    _get_window,
    _make_cache_key,
    _split_rate,
    get_usage,
)

from core.errors import RateLimitedError


def limit(group: str, value: str, rate: str | None) -> None:
    """Count one request of `value` (a user id, an address) in `group`; raise
    RateLimitedError past the rate."""
    usage = _count(group, value, rate)
    if usage is not None and usage["should_limit"]:
        # time_left is until the window's last second, which still counts in it.
        raise RateLimitedError(retry_after=usage["time_left"] + 1)


def _count(group: str, value: str, rate: str | None) -> dict | None:
    """django-ratelimit's get_usage(increment=True), in one round trip instead of two.

    get_usage counts with cache.add() (refused once the window's counter exists) and then
    cache.incr(): two round trips on every request but a window's first. The window, the
    key and the answer here are the library's own (its helpers), so the counters are the
    ones get_usage would keep; only the counting is the store's single hit()."""
    if rate is None or not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    cache = caches[settings.RATELIMIT_USE_CACHE]
    if not hasattr(cache, "hit"):  # another store: the library's own two steps
        return get_usage(
            None, group=group, key=lambda _group, _request: value, rate=rate, increment=True
        )
    allowed, period = _split_rate(rate)
    window = _get_window(value, period)
    count = cache.hit(_make_cache_key(group, window, rate, value, ALL), period + EXPIRATION_FUDGE)
    return {
        "count": count,
        "limit": allowed,
        "should_limit": count > allowed,
        "time_left": window - int(time.time()),
    }


@dataclass(frozen=True)
class Lockout:
    """Failures of one account or one address: `rate` of them lock it out for the period."""

    group: str
    value: str
    rate: str | None

    @property
    def _lock_key(self) -> str:
        digest = hashlib.sha256(f"{self.group}\0{self.value}".encode()).hexdigest()
        return f"{settings.RATELIMIT_CACHE_PREFIX}lock:{digest}"

    def locked_until(self, until: float | None) -> None:
        """Raise if `until`, the stored end of this guard's lock (or None), is ahead."""
        now = time.time()
        if until is not None and until > now:
            raise RateLimitedError(
                "Too many failed sign-ins; try again later.", retry_after=math.ceil(until - now)
            )

    def record_failure(self) -> None:
        usage = _count(self.group, self.value, self.rate)
        if usage is None or usage["count"] < usage["limit"]:
            return
        period = _period_seconds(self.rate)
        # The lock's end is checked against the clock above; the entry's own expiry (with a
        # little slack) only tidies the store.
        caches[settings.RATELIMIT_USE_CACHE].set(
            self._lock_key, math.ceil(time.time() + period), period + 5
        )


@contextmanager
def lockouts(*guards: Lockout, failure: type[Exception]) -> Iterator[None]:
    """Refuse while any guard is locked; count a `failure` raised inside against each."""
    # Every guard's lock in one read (get_many: one round trip on the MongoDB cache).
    active = [guard for guard in guards if guard.rate is not None]
    if active:
        locks = caches[settings.RATELIMIT_USE_CACHE].get_many([g._lock_key for g in active])
        for guard in active:
            guard.locked_until(locks.get(guard._lock_key))
    try:
        yield
    except failure:
        for guard in guards:
            guard.record_failure()
        raise


def _period_seconds(rate: str) -> int:
    return _split_rate(rate)[1]  # the library's own parser of "10/15m"


def client_address(request) -> str:
    """The client's address: the socket's peer, unless that peer is a trusted proxy
    (TRUSTED_PROXIES), in which case X-Forwarded-For is read from the right, past the
    trusted hops. IPv6 addresses count per /64, the block one subscriber usually holds."""
    peer = request.META.get("REMOTE_ADDR", "")
    trusted = _networks(tuple(settings.TRUSTED_PROXIES))
    address = peer
    if trusted and _is_in(peer, trusted):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
            if _parse(hop) is None:
                break  # not an address: what a trusted proxy appends always is one
            address = hop
            if not _is_in(hop, trusted):
                break
    parsed = _parse(address)
    if parsed is not None and parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    return str(parsed) if parsed is not None else address


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _parse(text: str):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_in(text: str, networks: tuple) -> bool:
    address = _parse(text)
    return address is not None and any(
        address.version == net.version and address in net for net in networks
    )
