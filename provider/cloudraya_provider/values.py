"""Plain property values as resource code sees them, and how messages show them to users.

The gRPC layer turns the engine's values into plain Python values; values the engine does not
know yet (outputs of resources still to be created) become `UNKNOWN`. Messages show values in
the vocabulary of Pulumi programs (`true`, `null`, `"text"`), never as Python reprs.
"""

from __future__ import annotations

import json
from typing import Any

Props = dict[str, Any]


class _Unknown:
    """A value the engine does not know yet (an output of a resource not created yet)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


def is_unknown(value: Any) -> bool:
    """True when the value, or anything inside it, is not known yet."""
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(is_unknown(v) for v in value)
    return False


def show(value: Any) -> str:
    """`value` as a Pulumi program writes it: true, false, null, 10, "text", ["a"], {"k": "v"}."""
    if value is UNKNOWN:
        return "(unknown until apply)"
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except ValueError:  # circular structures cannot come from the engine; be safe anyway
        return str(value)


def kind_of(value: Any) -> str:
    """What a value is, in the vocabulary of Pulumi programs ("a number", "null", ...)."""
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)
