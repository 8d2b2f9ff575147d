"""The push command helper: ready-to-run login, build, tag and push commands."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from cloudraya_registry.controlplane.deps import CallerDep, StateDep
from cloudraya_registry.controlplane.views import Strict
from cloudraya_registry.domain import push_commands
from cloudraya_registry.domain.names import (
    MAX_REPOSITORY_LENGTH,
    REPOSITORY_PATTERN,
    REPOSITORY_RULE,
    TAG_PATTERN,
    TAG_RULE,
)
from cloudraya_registry.errors import error_responses, explain_pattern

router = APIRouter(tags=["push command"])
explain_pattern(REPOSITORY_PATTERN, REPOSITORY_RULE)
explain_pattern(TAG_PATTERN, TAG_RULE)


class PushCommand(Strict):
    registry: str
    repository: str
    image: str = Field(description="`<endpoint>/<repository>:<tag>`")
    login: str = Field(description="Log in to the registry host (prompts for the password).")
    build: str
    tag: str = Field(description="The `docker tag` command (not the tag itself).")
    push: str
    commands: list[str] = Field(description="login, build, tag, push, in order.")
    plain_http: bool = Field(description="The service is served over HTTP, not HTTPS.")
    notes: list[str]


@router.get(
    "/registries/{name}/push-command",
    responses=error_responses(400, 401, 404),
    summary="Commands to build, tag and push an image",
    description="Docker syntax; `podman` accepts the same commands. The login goes to the "
    "host; the image reference is `<endpoint>/<repository>:<tag>`.",
)
def push_command(
    name: str,
    state: StateDep,
    caller: CallerDep,
    repository: Annotated[
        str,
        Query(
            max_length=MAX_REPOSITORY_LENGTH,
            pattern=REPOSITORY_PATTERN,
            description=f"Repository path: {REPOSITORY_RULE}.",
        ),
    ] = "my-app",
    tag: Annotated[str, Query(pattern=TAG_PATTERN, description=f"Tag: {TAG_RULE}.")] = "v1.0.0",
) -> PushCommand:
    commands = push_commands.for_registry(state, caller, name, repository, tag)
    return PushCommand.model_validate(commands, from_attributes=True)
