"""Invoke functions: `getRegistry` and `getPushCommand`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .client import CloudRayaClient
from .framework import CheckFailure, Props, ResourceError
from .registry import registry_outputs

Function = Callable[[Props], Props]


def _required_string(args: Props, key: str) -> str:
    value = args.get(key)
    if not isinstance(value, str) or not value:
        raise FunctionArgumentError([CheckFailure(key, f"{key} is required and must be a string")])
    return value


class FunctionArgumentError(ResourceError):
    def __init__(self, failures: list[CheckFailure]) -> None:
        super().__init__("; ".join(f.reason for f in failures))
        self.failures = failures


def functions(client: CloudRayaClient) -> dict[str, Function]:
    def get_registry(args: Props) -> Props:
        return registry_outputs(client.get_registry(_required_string(args, "name")))

    def get_push_command(args: Props) -> Props:
        registry = _required_string(args, "registry")
        repository = _required_string(args, "repository")
        tag = args.get("tag")
        body: dict[str, Any] = client.push_command(
            registry, repository, tag if isinstance(tag, str) else None
        )
        keys = ("registry", "repository", "image", "login", "build", "tag", "push", "commands")
        return {key: body[key] for key in keys if key in body}

    return {
        "cloudraya:index:getRegistry": get_registry,
        "cloudraya:index:getPushCommand": get_push_command,
    }
