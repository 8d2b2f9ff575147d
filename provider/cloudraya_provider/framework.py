"""What a resource implementation sees: plain values, typed results, no protobuf.

The gRPC layer (`server.py`) turns the engine's Structs, secrets and unknowns into the plain
dictionaries used here (unknown values become `UNKNOWN`, secrets are unwrapped) and turns these
results back into protocol messages.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Literal

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


class ResourceError(Exception):
    """A failure the user must act on; the message is shown as is (never holds a secret)."""


@dataclass(frozen=True)
class CheckFailure:
    property: str
    reason: str


@dataclass(frozen=True)
class CheckContext:
    """What Check knows besides the inputs: the resource name and the engine's naming hints."""

    resource_name: str
    random_seed: bytes = b""
    proposed_name: str | None = None
    autonaming: Literal["propose", "enforce", "disable"] | None = None


@dataclass
class CheckResult:
    inputs: Props
    failures: list[CheckFailure] = field(default_factory=list)


@dataclass(frozen=True)
class PropertyChange:
    kind: Literal["add", "delete", "update"]
    replace: bool = False


@dataclass
class DiffResult:
    changes: dict[str, PropertyChange] = field(default_factory=dict)
    delete_before_replace: bool = False

    @property
    def replaces(self) -> list[str]:
        return [name for name, change in self.changes.items() if change.replace]


@dataclass
class ReadResult:
    id: str
    state: Props
    inputs: Props


class PartialFailure(Exception):
    """The resource exists but a follow-up call failed: the engine must keep it in state."""

    def __init__(self, id: str, state: Props, inputs: Props, reason: str) -> None:
        super().__init__(reason)
        self.id = id
        self.state = state
        self.inputs = inputs
        self.reason = reason


def change_between(old: Any, new: Any, *, replace: bool = False) -> PropertyChange | None:
    """The change from `old` to `new` (None is absent); None when they are equal."""
    if new is UNKNOWN or is_unknown(new):
        return PropertyChange("update", replace)
    if old == new:
        return None
    if old is None:
        return PropertyChange("add", replace)
    if new is None:
        return PropertyChange("delete", replace)
    return PropertyChange("update", replace)


class Resource(ABC):
    """One resource type: its token, which outputs are secret, and its lifecycle."""

    token: str
    secret_outputs: frozenset[str] = frozenset()
    secret_inputs: frozenset[str] = frozenset()

    @abstractmethod
    def check(self, ctx: CheckContext, olds: Props, news: Props) -> CheckResult: ...

    @abstractmethod
    def diff(self, id: str, old_state: Props, old_inputs: Props, news: Props) -> DiffResult: ...

    @abstractmethod
    def create(self, inputs: Props) -> tuple[str, Props]: ...

    @abstractmethod
    def read(self, id: str, state: Props, inputs: Props) -> ReadResult | None:
        """Current state, or None when the resource no longer exists."""

    @abstractmethod
    def update(self, id: str, old_state: Props, old_inputs: Props, news: Props) -> Props: ...

    @abstractmethod
    def delete(self, id: str, state: Props) -> None: ...

    def preview_create(self, inputs: Props) -> Props:
        """Outputs shown by `pulumi preview` for a create: inputs plus unknown computed values."""
        return {**inputs, **dict.fromkeys(self.computed_on_create(), UNKNOWN)}

    def preview_update(self, old_state: Props, news: Props) -> Props:
        """Outputs shown by `pulumi preview` for an update."""
        return {**old_state, **news}

    def computed_on_create(self) -> tuple[str, ...]:
        return ()


def unknown_property_failures(news: Props, allowed: tuple[str, ...]) -> list[CheckFailure]:
    """Failures for properties the resource does not have (typos in YAML programs)."""
    return [
        CheckFailure(key, f"unknown property {key!r}; allowed: {', '.join(allowed)}")
        for key in news
        if key not in allowed
    ]


def bool_input(news: Props, key: str, default: bool, failures: list[CheckFailure]) -> bool | Any:
    """A boolean input with its default, or a failure when it has another type."""
    value = news.get(key)
    if value is None:
        return default
    if value is UNKNOWN or isinstance(value, bool):
        return value
    failures.append(CheckFailure(key, f"{key} must be true or false (got {_kind(value)})"))
    return value


def string_input(news: Props, key: str, failures: list[CheckFailure]) -> str | Any | None:
    value = news.get(key)
    if value is None or value is UNKNOWN or isinstance(value, str):
        return value
    failures.append(CheckFailure(key, f"{key} must be a string (got {_kind(value)})"))
    return value


def _kind(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)
