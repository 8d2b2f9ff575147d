"""Registry password hashes: OWASP's argon2id minimum, and passwords set before still work."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY
from cloudraya_registry.security.passwords import hash_password, verify_password


def test_new_hashes_use_owasp_argon2id_parameters():
    encoded = hash_password("Correct-Horse-9")
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(encoded, "Correct-Horse-9")
    assert not verify_password(encoded, "Correct-Horse-8")


def test_passwords_hashed_with_the_previous_parameters_still_verify():
    # Registries created before the change keep hashes of argon2-cffi's default profile.
    previous = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY).hash("Set-Before-2025")
    assert "m=65536,t=3,p=4" in previous
    assert verify_password(previous, "Set-Before-2025")
    assert not verify_password(previous, "Set-Before-2026")
