"""Password hashing (issue 13): CPU time of one password check with the old hasher
(Django's PBKDF2-SHA256) and the new one (Argon2id at OWASP's parameters, users/hashers.py).

CPU time of the checking thread (time.thread_time), so other load on the machine changes
it little; the median of a few checks of a correct password against a stored hash, as
login's check_password does it."""

import statistics
import time

from bench.common import Result, Section

PASSWORD = "a-long-enough-passphrase-13"
CHECKS = {"pbkdf2_sha256": 5, "argon2": 21}  # ~1 s of CPU each


def _check_ms(algorithm: str, checks: int) -> tuple[float, str]:
    """Median CPU ms of one check_password against a hash made by `algorithm`'s hasher,
    and the hasher's parameters as stored in the hash."""
    from django.contrib.auth.hashers import check_password, get_hasher, make_password

    hasher = get_hasher(algorithm)
    encoded = make_password(PASSWORD, hasher=algorithm)
    times = []
    for _ in range(checks):
        began = time.thread_time()
        # preferred=hasher: no upgrade (setter=None anyway), and no rehash-timing padding.
        assert check_password(PASSWORD, encoded, preferred=hasher)
        times.append(time.thread_time() - began)
    summary = hasher.safe_summary(encoded)
    params = ", ".join(
        f"{key} {value}" for key, value in summary.items() if key not in ("salt", "hash")
    )
    return statistics.median(times) * 1000, params


def run() -> Section:
    from django.conf import settings

    old_ms, old_params = _check_ms("pbkdf2_sha256", CHECKS["pbkdf2_sha256"])
    new_ms, new_params = _check_ms("argon2", CHECKS["argon2"])
    first = settings.PASSWORD_HASHERS[0].rsplit(".", 1)[-1]
    markdown = "\n".join(
        [
            "CPU time of one `check_password` of a correct password (the checking thread's "
            "CPU time, median of "
            f"{CHECKS['pbkdf2_sha256']} and {CHECKS['argon2']} checks), in this process. "
            f"New and changed passwords are hashed with the first hasher ({first}); a "
            "PBKDF2 hash is rehashed with it at the account's next successful login "
            '(docs/operations.md "Passwords").',
            "",
            "| hasher | parameters | CPU per check (ms) | checks/s per core |",
            "|---|---|---|---|",
            f"| old: PBKDF2-SHA256 | {old_params} | {old_ms:.1f} | {1000 / old_ms:.1f} |",
            f"| new: Argon2id | {new_params} | {new_ms:.1f} | {1000 / new_ms:.1f} |",
            "",
            f"Argon2id costs **{new_ms:.1f} ms** of CPU per check instead of "
            f"{old_ms:.0f} ms: {old_ms / new_ms:.1f}× less, at OWASP's recommended "
            "memory-hard parameters.",
        ]
    )
    return Section(
        "Password hashing",
        [
            Result("hashing.pbkdf2_sha256.check_ms", round(old_ms, 2), "ms"),
            Result("hashing.argon2id.check_ms", round(new_ms, 2), "ms"),
        ],
        markdown,
    )
