"""The service's password rule, checked before anything is sent (the password is never echoed)."""

from __future__ import annotations

import string

MIN_LENGTH = 12
MAX_LENGTH = 128
PASSWORD_RULE = (
    f"use {MIN_LENGTH}-{MAX_LENGTH} printable characters without spaces, with at least three of: "
    "lowercase letters, uppercase letters, digits, symbols"
)


def password_problem(password: str) -> str | None:
    """Why the password is not acceptable, or None. Never includes the password itself."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return f"password has {len(password)} characters: {PASSWORD_RULE}"
    if any(not ch.isprintable() or ch.isspace() for ch in password):
        return f"password contains spaces or unprintable characters: {PASSWORD_RULE}"
    classes = sum(
        (
            any(ch.islower() for ch in password),
            any(ch.isupper() for ch in password),
            any(ch.isdigit() for ch in password),
            any(ch in string.punctuation or not ch.isalnum() for ch in password),
        )
    )
    if classes < 3:
        return f"password is too simple: {PASSWORD_RULE}"
    return None
