"""String enums whose members also carry the words the dashboard shows for them."""

from __future__ import annotations

import enum
from typing import Self


class LabelledStrEnum(enum.StrEnum):
    """Members are ``NAME = ("stored value", "Label for people")``."""

    label: str

    def __new__(cls, value: str, label: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def labels(cls) -> dict[str, str]:
        return {member.value: member.label for member in cls}
