"""The push command helper: ready-to-run login, build, tag and push commands."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from cloudraya_registry.controlplane.deps import CallerDep, StateDep, load_registry
from cloudraya_registry.controlplane.naming import (
    MAX_REPOSITORY_LENGTH,
    REPOSITORY_PATTERN,
    REPOSITORY_RULE,
    TAG_PATTERN,
    TAG_RULE,
    is_repository_name,
    is_tag,
)
from cloudraya_registry.controlplane.views import Strict
from cloudraya_registry.errors import error_responses, invalid_argument

router = APIRouter(tags=["push command"])


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
    with state.db.read() as session:
        registry_name = load_registry(session, caller, name).name
    if not is_repository_name(repository):
        raise invalid_argument(f"repository: must be {REPOSITORY_RULE} (got {repository!r})")
    if not is_tag(tag):
        raise invalid_argument(f"tag: must be {TAG_RULE} (got {tag!r})")
    host = state.public_host
    endpoint = state.endpoint_of(registry_name)
    local = f"{repository}:{tag}"
    image = f"{endpoint}/{local}"
    login = f"docker login {host} -u {registry_name}"
    build = f"docker build -t {local} ."
    tag_cmd = f"docker tag {local} {image}"
    push = f"docker push {image}"
    plain_http = state.public_url.startswith("http://")
    notes = [
        "Replace `docker` with `podman` to use Podman; the commands are otherwise the same.",
        "For CI, pipe the password: "
        f"`printf '%s' \"$REGISTRY_PASSWORD\" | docker login {host} -u {registry_name} "
        "--password-stdin`.",
    ]
    if plain_http:
        notes.append(
            f"{host} is served over plain HTTP: Docker accepts that for 127.0.0.0/8 only "
            "(otherwise add it to `insecure-registries`); Podman needs `--tls-verify=false` on "
            "login and push, or the host marked insecure in registries.conf."
        )
    return PushCommand(
        registry=registry_name,
        repository=repository,
        image=image,
        login=login,
        build=build,
        tag=tag_cmd,
        push=push,
        commands=[login, build, tag_cmd, push],
        plain_http=plain_http,
        notes=notes,
    )
