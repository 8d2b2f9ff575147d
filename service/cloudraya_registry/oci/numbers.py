"""Numbers read from requests (query parameters, Content-Length, ranges), bounded before use.

Python's ``int()`` refuses more than 4300 digits with an exception, and the database holds at
most 2^63-1: a number past :data:`MAX_BYTE_COUNT` is refused as the client's error, never
parsed into a 500.
"""

from __future__ import annotations

MAX_BYTE_COUNT = 2**63 - 1
_MAX_DIGITS = len(str(MAX_BYTE_COUNT))


def byte_count(text: str) -> int | None:
    """A non-negative decimal within :data:`MAX_BYTE_COUNT`; None when it is anything else."""
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > _MAX_DIGITS:
        return None
    value = int(text)
    return value if value <= MAX_BYTE_COUNT else None
