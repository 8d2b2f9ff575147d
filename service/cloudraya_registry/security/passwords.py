"""Registry passwords: argon2id hashes, generation and the strength rule.

Hashes use OWASP's minimum argon2id configuration (Password Storage Cheat Sheet: 19 MiB of
memory, 2 iterations, 1 degree of parallelism) instead of argon2-cffi's default RFC 9106
low-memory profile (64 MiB, 3 iterations, 4 lanes), which costs about eight times the CPU per
hash: every registry created and every password set pays it, and a 2-core service creating 50
registries at once spent most of its time hashing. The parameters are stored in each hash, so
hashes made with the old profile still verify.
"""

from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
PASSWORD_RULE = (
    f"a password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long and "
    "contain at least three of: lower-case letters, upper-case letters, digits, symbols"
)

# OWASP Password Storage Cheat Sheet, argon2id: m=19456 (19 MiB), t=2, p=1.
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_ITERATIONS = 2
ARGON2_LANES = 1
_hasher = PasswordHasher(
    time_cost=ARGON2_ITERATIONS, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_LANES
)
_ALPHABET = string.ascii_letters + string.digits


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    """32 random letters and digits (~190 bits), always satisfying the strength rule."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(32))
        if password_problem(candidate) is None:
            return candidate


def password_problem(password: str) -> str | None:
    """Why ``password`` is not acceptable, or None when it is."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        return f"password has {len(password)} characters; {PASSWORD_RULE}"
    if any(ch.isspace() or not ch.isprintable() for ch in password):
        return f"password contains whitespace or control characters; {PASSWORD_RULE}"
    classes = sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    if classes < 3:
        return f"password is too weak; {PASSWORD_RULE}"
    return None
