"""Registry passwords: argon2id hashes, generation and the strength rule."""

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

_hasher = PasswordHasher()
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
