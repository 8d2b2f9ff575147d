"""The kinds of value a declared field holds: how each is checked and written into the schema.

A kind checks a value the engine sent (unknown values always pass: they are checked when they
are known) and says what it expects in words, so Check failures and schema descriptions state
the same limits. Failures never show a secret value: `secret=True` leaves the value out.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .values import UNKNOWN, kind_of, show

if TYPE_CHECKING:
    from .spec import ObjectType

Problem = tuple[str, str]  # (property path, reason)


@dataclass(frozen=True)
class Rule:
    """A rule on a value: its wording (used in the schema and in failures) and its check."""

    text: str
    problem: Callable[[Any], str | None]


def _got(value: Any, secret: bool) -> str:
    return "" if secret else f" (got {show(value)})"


class Kind(ABC):
    """Base of every kind: `problems` checks a known value, `schema` describes it for Pulumi."""

    @abstractmethod
    def problems(self, value: Any, path: str, secret: bool = False) -> list[Problem]: ...

    @abstractmethod
    def schema(self) -> dict[str, Any]: ...

    @abstractmethod
    def words(self) -> str:
        """What a value of this kind is, e.g. "a whole number"."""

    def rule_text(self) -> str | None:
        """Limits beyond the type, for descriptions ("a multiple of 10 from 10 to 100000")."""
        return None


@dataclass(frozen=True)
class Boolean(Kind):
    def problems(self, value: Any, path: str, secret: bool = False) -> list[Problem]:
        if value is UNKNOWN or isinstance(value, bool):
            return []
        return [(path, f"{path} must be true or false (got {kind_of(value)})")]

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}

    def words(self) -> str:
        return "true or false"


@dataclass(frozen=True)
class Integer(Kind):
    """A whole number, optionally bounded and in steps (`multiple_of`)."""

    minimum: int | None = None
    maximum: int | None = None
    multiple_of: int | None = None
    unit: str = ""

    def problems(self, value: Any, path: str, secret: bool = False) -> list[Problem]:
        if value is UNKNOWN:
            return []
        if isinstance(value, bool) or not isinstance(value, int):
            return [(path, f"{path} must be {self.words()}{_got(value, secret)}")]
        limits = self.rule_text()
        if (
            (self.minimum is not None and value < self.minimum)
            or (self.maximum is not None and value > self.maximum)
            or (self.multiple_of and value % self.multiple_of)
        ):
            return [(path, f"{path} {show(value)} is not allowed: use {limits}")]
        return []

    def schema(self) -> dict[str, Any]:
        return {"type": "integer"}

    def words(self) -> str:
        return "a whole number" + (f" of {self.unit}" if self.unit else "")

    def rule_text(self) -> str | None:
        parts = []
        if self.multiple_of:
            parts.append(f"a multiple of {self.multiple_of}")
        if self.minimum is not None and self.maximum is not None:
            parts.append(f"from {self.minimum} to {self.maximum}")
        elif self.minimum is not None:
            parts.append(f"at least {self.minimum}")
        elif self.maximum is not None:
            parts.append(f"at most {self.maximum}")
        return " ".join(parts) or None


@dataclass(frozen=True)
class String(Kind):
    """A string, optionally limited to `choices` or checked by a `rule`."""

    rule: Rule | None = None
    choices: tuple[str, ...] = ()

    def problems(self, value: Any, path: str, secret: bool = False) -> list[Problem]:
        if value is UNKNOWN:
            return []
        if not isinstance(value, str):
            return [(path, f"{path} must be a string (got {kind_of(value)})")]
        if self.choices and value not in self.choices:
            return [(path, f"{path} must be {self.rule_text()}{_got(value, secret)}")]
        if self.rule and (problem := self.rule.problem(value)):
            return [(path, f"{path}: {problem}")]
        return []

    def schema(self) -> dict[str, Any]:
        return {"type": "string"}

    def words(self) -> str:
        return "a string"

    def rule_text(self) -> str | None:
        if self.choices:
            return "one of " + ", ".join(f"`{choice}`" for choice in self.choices)
        return self.rule.text if self.rule else None


@dataclass(frozen=True)
class MapOf(Kind):
    """An object whose keys are free and whose values are all of one kind."""

    values: Kind

    def problems(self, value: Any, path: str, secret: bool = False) -> list[Problem]:
        if value is UNKNOWN:
            return []
        if not isinstance(value, dict):
            return [(path, f"{path} must be a map of {self.values.words()} (got {kind_of(value)})")]
        found: list[Problem] = []
        for key, item in value.items():
            found += self.values.problems(item, f"{path}.{key}", secret)
        return found

    def schema(self) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": self.values.schema()}

    def words(self) -> str:
        return f"a map of {self.values.words()}"


@dataclass(frozen=True)
class ListOf(Kind):
    items: Kind
    max_items: int | None = None

    def problems(self, value: Any, path: str, secret: bool = False) -> list[Problem]:
        if value is UNKNOWN:
            return []
        if not isinstance(value, list):
            return [(path, f"{path} must be a list of {self.items.words()} (got {kind_of(value)})")]
        if self.max_items is not None and len(value) > self.max_items:
            return [(path, f"{path} has {len(value)} items; at most {self.max_items} are allowed")]
        found: list[Problem] = []
        for index, item in enumerate(value):
            found += self.items.problems(item, f"{path}[{index}]", secret)
        return found

    def schema(self) -> dict[str, Any]:
        return {"type": "array", "items": self.items.schema()}

    def words(self) -> str:
        return f"a list of {self.items.words()}"

    def rule_text(self) -> str | None:
        return f"at most {self.max_items} items" if self.max_items is not None else None


@dataclass(frozen=True)
class Object(Kind):
    """An object of a declared type (`ObjectType`): its own fields, checked one by one."""

    type: ObjectType = field(compare=False)

    def problems(self, value: Any, path: str, secret: bool = False) -> list[Problem]:
        if value is UNKNOWN:
            return []
        if not isinstance(value, dict):
            return [(path, f"{path} must be an object (got {kind_of(value)})")]
        return self.type.problems(value, path)

    def schema(self) -> dict[str, Any]:
        return {"$ref": f"#/types/{self.type.token}"}

    def words(self) -> str:
        return f"{self.type.name} objects"
