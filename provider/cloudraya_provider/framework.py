"""What a resource implementation sees: plain values, typed results, no protobuf.

The gRPC layer (`server.py`) turns the engine's Structs, secrets and unknowns into the plain
dictionaries used here (unknown values become `UNKNOWN`, secrets are unwrapped) and turns these
results back into protocol messages. A resource declares its fields once (`spec.Spec`); the
defaults here (Check, Diff, preview outputs, secrets) follow from that declaration.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .values import UNKNOWN, Props, is_unknown

if TYPE_CHECKING:
    from .spec import Spec

__all__ = ["UNKNOWN", "Props", "is_unknown"]


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
    """A change of one property. `input_diff` says it compares the program's new value with its
    previous one; False: with the value the service reported (drift shows the service's value)."""

    kind: Literal["add", "delete", "update"]
    replace: bool = False
    input_diff: bool = field(default=True, compare=False)


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
    """The resource exists (or may exist) but the operation did not finish: the engine keeps
    `state` for it and the next `pulumi up` updates it again."""

    def __init__(self, id: str, state: Props, inputs: Props, reason: str) -> None:
        super().__init__(reason)
        self.id = id
        self.state = state
        self.inputs = inputs
        self.reason = reason


Severity = Literal["info", "warning"]


@dataclass(frozen=True)
class Operation:
    """One engine call on one resource: its URN, its deadline and a way to tell the user.

    `deadline` comes from the resource's customTimeouts (None: the provider's own default);
    `say` shows a message on the resource in the engine's output (warnings, retries).
    """

    urn: str = ""
    deadline: float | None = None
    say: Callable[[Severity, str], None] = lambda severity, message: None

    def seconds_left(self, default: float) -> float:
        if self.deadline is None:
            return default
        return max(0.0, self.deadline - time.monotonic())

    def warn(self, message: str) -> None:
        self.say("warning", message)

    def info(self, message: str) -> None:
        self.say("info", message)


def change_between(
    old: Any, new: Any, *, replace: bool = False, input_diff: bool = True
) -> PropertyChange | None:
    """The change from `old` to `new` (None is absent); None when they are equal."""
    if new is UNKNOWN or is_unknown(new):
        kind: Literal["add", "delete", "update"] = "update"
    elif old == new:
        return None
    elif old is None:
        kind = "add"
    elif new is None:
        kind = "delete"
    else:
        kind = "update"
    return PropertyChange(kind, replace, input_diff)


class Resource(ABC):
    """One resource type: its declared fields (`spec`) and its lifecycle."""

    spec: Spec

    @property
    def token(self) -> str:
        return self.spec.token

    @property
    def secret_inputs(self) -> frozenset[str]:
        return self.spec.secret_inputs

    @property
    def secret_outputs(self) -> frozenset[str]:
        return self.spec.secret_outputs

    def check(self, ctx: CheckContext, olds: Props, news: Props) -> CheckResult:
        inputs, failures = self.spec.check(news)
        return CheckResult(inputs, failures)

    def diff(self, id: str, old_state: Props, old_inputs: Props, news: Props) -> DiffResult:
        return DiffResult(self.spec.diff(old_state, old_inputs, news))

    @abstractmethod
    def create(self, inputs: Props, op: Operation) -> tuple[str, Props]: ...

    @abstractmethod
    def read(self, id: str, state: Props, inputs: Props, op: Operation) -> ReadResult | None:
        """Current state, or None when the resource no longer exists."""

    @abstractmethod
    def update(
        self, id: str, old_state: Props, old_inputs: Props, news: Props, op: Operation
    ) -> Props: ...

    @abstractmethod
    def delete(self, id: str, state: Props, op: Operation) -> None: ...

    def preview_create(self, inputs: Props, op: Operation) -> Props:
        """Outputs shown by `pulumi preview` for a create: inputs plus unknown computed values."""
        return self.spec.preview_outputs(inputs)

    def preview_update(
        self, id: str, old_state: Props, old_inputs: Props, news: Props, op: Operation
    ) -> Props:
        """Outputs shown by `pulumi preview` for an update; nothing is changed."""
        return {**old_state, **news}
