"""Registry passwords: the service's rule (checked before anything is sent, never echoing the
password) and generation.

The provider generates the passwords it sets instead of letting the service do it: knowing the
password before the request leaves lets it ask the service afterwards whether a request whose
answer was lost took effect (a 190-bit secret only this operation knows identifies its work as
surely as an idempotency key would).
"""

from __future__ import annotations

import secrets
import string

from .kinds import Rule

MIN_LENGTH = 12
MAX_LENGTH = 128
GENERATED_LENGTH = 32
PASSWORD_RULE = (
    f"{MIN_LENGTH}-{MAX_LENGTH} printable characters without spaces, with at least three of: "
    "lowercase letters, uppercase letters, digits, symbols"
)
_ALPHABET = string.ascii_letters + string.digits


def password_problem(password: str) -> str | None:
    """Why the password is not acceptable, or None. Never includes the password itself."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return f"the password has {len(password)} characters; use {PASSWORD_RULE}"
    if any(not ch.isprintable() or ch.isspace() for ch in password):
        return f"the password contains spaces or unprintable characters; use {PASSWORD_RULE}"
    classes = sum(
        (
            any(ch.islower() for ch in password),
            any(ch.isupper() for ch in password),
            any(ch.isdigit() for ch in password),
            any(ch in string.punctuation or not ch.isalnum() for ch in password),
        )
    )
    if classes < 3:
        return f"the password is too simple; use {PASSWORD_RULE}"
    return None


PASSWORD = Rule(PASSWORD_RULE, password_problem)


def generate_password() -> str:
    """32 random letters and digits (about 190 bits), always satisfying the rule."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(GENERATED_LENGTH))
        if password_problem(candidate) is None:
            return candidate
