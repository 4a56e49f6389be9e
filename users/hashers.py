"""The password hasher: Argon2id at OWASP's parameters (docs/operations.md "Passwords")."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at the OWASP Password Storage Cheat Sheet's recommended minimum: 19 MiB of
    memory, 2 passes, 1 lane.

    Argon2id is memory-hard: each guess needs its 19 MiB, which is what makes GPU and ASIC
    cracking expensive, while our CPU pays some 20 ms per check instead of PBKDF2-SHA256's
    250 ms (docs/benchmarks.md "Password hashing"). Django's own Argon2 defaults (100 MiB,
    8 lanes) would need 100 MiB per concurrent check. Same algorithm name ("argon2"): it
    verifies any argon2 hash whatever its parameters, and must_update() makes Django rehash
    those that differ from these at the next successful login.
    """

    time_cost = 2
    memory_cost = 19456  # KiB = 19 MiB
    parallelism = 1
