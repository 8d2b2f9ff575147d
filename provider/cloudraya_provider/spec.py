"""Declared resources: each field once, with its kind, default, secrecy and replace-on-change.

From a `Spec` follow the default Check (unknown properties, required inputs, kinds and limits,
defaults), the default Diff (which change replaces, which is compared with what the service
reported), the secret inputs and outputs, and the resource's fragment of `schema.json`.
Resource modules then hold only their real rules (grow-only storage, rotation, destroy guard).
In the spirit of pulumi-go-provider's `infer`, where struct tags give all of these.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from .framework import CheckFailure, PropertyChange, change_between
from .kinds import Kind, ListOf, MapOf, Object, Problem
from .values import UNKNOWN, Props

NO_DEFAULT: Any = object()


@dataclass(frozen=True)
class Field:
    """One property of a resource, object type, function or the provider configuration.

    doc        user documentation; `{rule}` is replaced by the kind's limits (required when the
               kind has limits, so the schema always states what Check enforces)
    output_doc documentation of the output when it differs from the input's
    default    filled in by Check when the input is absent (also the schema default)
    required   Check fails when the input is absent or empty
    secret     kept secret in inputs, outputs and state; never shown in messages
    replaces   a change replaces the resource
    input      a property the program sets; `output`: one the resource reports
    always     always present in the outputs (the schema's `required` outputs)
    computed   known only once the resource exists (unknown at preview)
    diff_from  what Diff compares the new input with: the reported `state` (so changes made
               outside Pulumi show up) or the previous `inputs` (values never read back)
    write_only sent to the service, never read back: removing the input changes nothing
    env        environment variables read when the value is not set (provider configuration)
    """

    name: str
    kind: Kind
    doc: str
    output_doc: str | None = None
    default: Any = NO_DEFAULT
    required: bool = False
    secret: bool = False
    replaces: bool = False
    input: bool = True
    output: bool = True
    always: bool = False
    computed: bool = False
    diff_from: Literal["state", "inputs"] = "state"
    write_only: bool = False
    env: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        rule = self.kind.rule_text()
        if rule and "{rule}" not in self.doc:
            raise ValueError(f"{self.name}: the doc must state the kind's limits with {{rule}}")

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT

    def description(self, role: Literal["input", "output"] = "input") -> str:
        text = self.output_doc if role == "output" and self.output_doc else self.doc
        return text.replace("{rule}", self.kind.rule_text() or "")

    def schema(self, role: Literal["input", "output"] = "input") -> dict[str, Any]:
        fragment: dict[str, Any] = {**self.kind.schema(), "description": self.description(role)}
        if self.secret:
            fragment["secret"] = True
        if role == "input":
            if self.has_default:
                fragment["default"] = self.default
            if self.replaces:
                fragment["replaceOnChanges"] = True
                fragment["willReplaceOnChanges"] = True
            if self.env:
                fragment["defaultInfo"] = {"environment": list(self.env)}
        return fragment

    def problems(self, value: Any) -> list[Problem]:
        if value is None:
            return []
        return self.kind.problems(value, self.name, self.secret)


def computed(
    name: str, kind: Kind, doc: str, *, secret: bool = False, always: bool = True
) -> Field:
    """An output the service or the provider decides, unknown until the resource exists."""
    return Field(name, kind, doc=doc, input=False, computed=True, always=always, secret=secret)


def _check_fields(
    fields: Iterable[Field], values: Props, path: str = ""
) -> tuple[Props, list[Problem]]:
    """Values with defaults filled in, and the problems of unknown, missing or bad values."""
    declared = {f.name: f for f in fields}
    prefix = f"{path}." if path else ""
    problems: list[Problem] = [
        (f"{prefix}{key}", f"unknown property {prefix}{key}; allowed: {', '.join(declared)}")
        for key in values
        if key not in declared
    ]
    checked: Props = {}
    for name, spec in declared.items():
        value = values.get(name)
        if value is None and spec.has_default:
            value = spec.default
        if spec.required and (value is None or value == ""):
            problems.append((f"{prefix}{name}", f"{prefix}{name} is required"))
        elif value is not None:
            for where, reason in spec.problems(value):
                problems.append((f"{prefix}{where}", f"{prefix}{reason}" if prefix else reason))
        if value is not None:
            checked[name] = value
    return checked, problems


@dataclass(frozen=True)
class ObjectType:
    """A named object type (`#/types/<token>` in the schema), e.g. a list item with fields."""

    token: str
    description: str
    fields: tuple[Field, ...]

    @property
    def name(self) -> str:
        return self.token.rsplit(":", 1)[-1]

    def problems(self, value: Props, path: str) -> list[Problem]:
        return _check_fields(self.fields, value, path)[1]

    def schema(self) -> dict[str, Any]:
        fragment: dict[str, Any] = {
            "type": "object",
            "description": self.description,
            "properties": {f.name: f.schema() for f in self.fields},
        }
        required = [f.name for f in self.fields if f.required]
        if required:
            fragment["required"] = required
        return fragment


def object_types(fields: Iterable[Field]) -> Iterator[ObjectType]:
    """Every object type the fields use, nested ones included."""

    def walk(kind: Kind) -> Iterator[ObjectType]:
        if isinstance(kind, Object):
            yield kind.type
            for inner in kind.type.fields:
                yield from walk(inner.kind)
        elif isinstance(kind, ListOf):
            yield from walk(kind.items)
        elif isinstance(kind, MapOf):
            yield from walk(kind.values)

    for spec in fields:
        yield from walk(spec.kind)


@dataclass(frozen=True)
class Spec:
    """A resource (or the provider's configuration): its token, description and fields."""

    token: str
    description: str
    fields: tuple[Field, ...]
    _by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {f.name: f for f in self.fields})

    def __getitem__(self, name: str) -> Field:
        return self._by_name[name]

    @property
    def inputs(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.input)

    @property
    def outputs(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.output)

    @property
    def secret_inputs(self) -> frozenset[str]:
        return frozenset(f.name for f in self.inputs if f.secret)

    @property
    def secret_outputs(self) -> frozenset[str]:
        return frozenset(f.name for f in self.outputs if f.secret)

    @property
    def computed(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.outputs if f.computed)

    # --- Check and Diff -------------------------------------------------------------------

    def check(self, news: Props) -> tuple[Props, list[CheckFailure]]:
        """The declared inputs with defaults filled in, and what is wrong with them."""
        checked, problems = _check_fields(self.inputs, news)
        failures = [CheckFailure(path.split(".")[0].split("[")[0], why) for path, why in problems]
        return checked, failures

    def diff(
        self, old_state: Props, old_inputs: Props, news: Props, *, skip: Iterable[str] = ()
    ) -> dict[str, PropertyChange]:
        """Changes of the declared inputs; `skip` names inputs the resource diffs itself."""
        changes: dict[str, PropertyChange] = {}
        skipped = set(skip)
        for spec in self.inputs:
            if spec.name in skipped:
                continue
            new = news.get(spec.name)
            if new is None and spec.write_only:
                continue
            first, second = (old_inputs, old_state)
            if spec.diff_from == "state":
                first, second = second, first
            old = first.get(spec.name, second.get(spec.name))
            if spec.has_default:
                old = spec.default if old is None else old
                new = spec.default if new is None else new
            change = change_between(
                old, new, replace=spec.replaces, input_diff=spec.diff_from == "inputs"
            )
            if change is not None:
                changes[spec.name] = change
        return changes

    def preview_outputs(self, inputs: Props) -> Props:
        """Outputs shown at preview of a create: the inputs plus unknown computed values."""
        known = {f.name: inputs[f.name] for f in self.outputs if f.name in inputs}
        return {**dict.fromkeys(self.computed, UNKNOWN), **known}

    # --- schema -----------------------------------------------------------------------------

    def schema(self) -> dict[str, Any]:
        fragment: dict[str, Any] = {
            "description": self.description,
            "inputProperties": {f.name: f.schema("input") for f in self.inputs},
            "properties": {f.name: f.schema("output") for f in self.outputs},
        }
        if required := [f.name for f in self.outputs if f.always]:
            fragment["required"] = required
        if required_inputs := [f.name for f in self.inputs if f.required]:
            fragment["requiredInputs"] = required_inputs
        return fragment


@dataclass(frozen=True)
class FunctionSpec:
    """An invoke function: its arguments and its result, each a list of fields."""

    token: str
    description: str
    inputs: tuple[Field, ...]
    outputs: tuple[Field, ...]

    def check(self, args: Props) -> tuple[Props, list[CheckFailure]]:
        checked, problems = _check_fields(self.inputs, args)
        return checked, [CheckFailure(path.split(".")[0], why) for path, why in problems]

    def schema(self) -> dict[str, Any]:
        def group(
            fields: tuple[Field, ...], role: Literal["input", "output"], required: list[str]
        ) -> dict[str, Any]:
            body: dict[str, Any] = {"properties": {f.name: f.schema(role) for f in fields}}
            if required:
                body["required"] = required
            return body

        return {
            "description": self.description,
            "inputs": group(self.inputs, "input", [f.name for f in self.inputs if f.required]),
            "outputs": group(self.outputs, "output", [f.name for f in self.outputs if f.always]),
        }
