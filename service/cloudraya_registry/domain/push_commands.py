"""The push command helper (View Push Command): ready-to-run login, build, tag and push.

Docker syntax; ``podman`` accepts the same commands. The login goes to the registry's host
(the service's, or the registry's own in host style); the image reference is
``<endpoint>/<repository>:<tag>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cloudraya_registry import endpoints
from cloudraya_registry.domain import registries
from cloudraya_registry.domain.actors import Actor
from cloudraya_registry.domain.errors import InvalidArgument
from cloudraya_registry.domain.names import REPOSITORY_RULE, TAG_RULE, is_repository_path, is_tag

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState


@dataclass(frozen=True)
class PushCommands:
    registry: str
    repository: str
    image: str
    login: str
    build: str
    tag: str  # the `docker tag` command
    push: str
    commands: list[str]
    plain_http: bool
    notes: list[str]


def for_registry(
    state: ServiceState, actor: Actor, name: str, repository: str, tag: str
) -> PushCommands:
    registry_name = registries.get_row(state, actor, name).name
    if not is_repository_path(repository):
        raise InvalidArgument(f"repository: must be {REPOSITORY_RULE} (got {repository!r})")
    if not is_tag(tag):
        raise InvalidArgument(f"tag: must be {TAG_RULE} (got {tag!r})")
    host = endpoints.registry_host(state.config, registry_name)
    local = f"{repository}:{tag}"
    image = f"{state.endpoint_of(registry_name)}/{local}"
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
    return PushCommands(
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
