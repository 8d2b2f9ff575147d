"""Invoke functions: `getRegistry`, `getPushCommand` and `getRetentionPreview`, declared like
the resources."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .image_names import REPOSITORY, TAG
from .kinds import Boolean, Integer, ListOf, Object, String
from .naming import REGISTRY_NAME
from .registry import registry_outputs
from .retention_policy import RETENTION_RULES, normalised, to_service
from .spec import Field, FunctionSpec, ObjectType, computed
from .values import Props

if TYPE_CHECKING:
    from .client import CloudRayaClient

DEFAULT_TAG = "v1.0.0"


GET_REGISTRY = FunctionSpec(
    token="cloudraya:index:getRegistry",
    description="Look up an existing registry by name.",
    inputs=(
        Field("name", String(rule=REGISTRY_NAME), required=True, doc="Registry name: {rule}."),
    ),
    outputs=(
        computed("name", String(), "Registry name."),
        computed("endpoint", String(), "Registry endpoint (`host:port/name`)."),
        computed("username", String(), "Username for `docker login`."),
        computed("storageGb", Integer(), "Allocated storage in GB."),
        computed("usedStorageBytes", Integer(), "Storage used, in bytes."),
        computed("tagImmutability", Boolean(), "Whether existing tags are immutable."),
        computed("scanOnPush", Boolean(), "Whether images are scanned on push."),
        computed("repositoryCount", Integer(), "Number of repositories in the registry."),
        computed("createdAt", String(), "When the registry was created (RFC 3339)."),
    ),
)

GET_PUSH_COMMAND = FunctionSpec(
    token="cloudraya:index:getPushCommand",
    description=(
        "Ready-to-run commands to log in, build, tag and push an image to a registry (Docker "
        "syntax; Podman takes the same commands), with the service's notes on using them."
    ),
    inputs=(
        Field("registry", String(rule=REGISTRY_NAME), required=True, doc="Registry name: {rule}."),
        Field(
            "repository",
            String(rule=REPOSITORY),
            required=True,
            doc="Repository inside the registry, for example `my-app`: {rule}.",
        ),
        Field(
            "tag",
            String(rule=TAG),
            doc=f"Image tag: {{rule}}. `{DEFAULT_TAG}` when omitted.",
        ),
    ),
    outputs=(
        computed("registry", String(), "Registry name."),
        computed("repository", String(), "Repository name."),
        computed("tag", String(), "The image tag used in the commands, for example `v1.0.0`."),
        computed(
            "image", String(), "Full image reference to push (`<endpoint>/<repository>:<tag>`)."
        ),
        computed("loginCommand", String(), "Command logging in to the registry host."),
        computed("buildCommand", String(), "Example command building the image locally."),
        computed(
            "tagCommand", String(), "Command tagging the local image with the registry reference."
        ),
        computed("pushCommand", String(), "Command pushing the image."),
        computed(
            "commands",
            ListOf(String()),
            "The four commands in order: login, build, tag, push.",
        ),
        computed(
            "plainHttp",
            Boolean(),
            "Whether the service is served over plain HTTP, so clients must be told to allow "
            "it (see `notes`: Docker's `insecure-registries`, Podman's `--tls-verify=false`).",
        ),
        computed(
            "notes",
            ListOf(String()),
            "The service's advice on running the commands (Podman, CI logins, plain HTTP).",
        ),
    ),
)


RETENTION_DELETION = ObjectType(
    token="cloudraya:index:RetentionDeletion",
    description="One manifest a retention run would delete.",
    fields=(
        Field("repository", String(), doc="Repository (path inside the registry)."),
        Field("digest", String(), doc="Manifest digest."),
        Field("tags", ListOf(String()), doc="Tags deleted with it."),
        Field("type", String(), doc="`image`, `index` or `artifact`."),
        Field("sizeBytes", Integer(), doc="Its size: manifest, config and layers."),
        Field("reason", String(), doc="Why it is deleted."),
    ),
)

GET_RETENTION_PREVIEW = FunctionSpec(
    token="cloudraya:index:getRetentionPreview",
    description=(
        "Everything a retention policy with these rules would delete from a registry right "
        "now (a dry run: nothing changes)."
    ),
    inputs=(
        Field("registry", String(rule=REGISTRY_NAME), required=True, doc="Registry name: {rule}."),
        RETENTION_RULES,
    ),
    outputs=(
        computed("artifactCount", Integer(), "Number of manifests a run would delete."),
        computed("sizeBytes", Integer(), "Their size in bytes."),
        computed("message", String(), "One sentence saying what the policy would do."),
        computed(
            "matchedRepositories", ListOf(String()), "Repositories some rule of the policy matches."
        ),
        computed(
            "protectedTags",
            ListOf(String()),
            "`<repository>:<tag>` kept only because tag immutability holds them.",
        ),
        computed(
            "deletions", ListOf(Object(RETENTION_DELETION)), "Each manifest a run would delete."
        ),
    ),
)


@dataclass(frozen=True)
class Function:
    """A declared function and its implementation (called with checked arguments)."""

    spec: FunctionSpec
    call: Callable[[Props], Props]


def functions(client: CloudRayaClient) -> dict[str, Function]:
    def get_registry(args: Props) -> Props:
        return registry_outputs(client.get_registry(args["name"]))

    def get_push_command(args: Props) -> Props:
        tag = args.get("tag", DEFAULT_TAG)
        body = client.push_command(args["registry"], args["repository"], tag)
        return {
            "registry": body["registry"],
            "repository": body["repository"],
            "tag": tag,
            "image": body["image"],
            "loginCommand": body["login"],
            "buildCommand": body["build"],
            "tagCommand": body["tag"],
            "pushCommand": body["push"],
            "commands": list(body["commands"]),
            "plainHttp": bool(body.get("plain_http", False)),
            "notes": list(body.get("notes", [])),
        }

    def get_retention_preview(args: Props) -> Props:
        rules = to_service([normalised(rule) for rule in args["rules"]])
        plan = client.retention_dry_run(args["registry"], rules)
        return {
            "artifactCount": plan["artifact_count"],
            "sizeBytes": plan["size_bytes"],
            "message": plan["message"],
            "matchedRepositories": list(plan["matched_repositories"]),
            "protectedTags": list(plan["protected_tags"]),
            "deletions": [
                {
                    "repository": d["repository"],
                    "digest": d["digest"],
                    "tags": list(d["tags"]),
                    "type": d["type"],
                    "sizeBytes": d["size_bytes"],
                    "reason": d["reason"],
                }
                for d in plan["deletions"]
            ],
        }

    return {
        GET_REGISTRY.token: Function(GET_REGISTRY, get_registry),
        GET_PUSH_COMMAND.token: Function(GET_PUSH_COMMAND, get_push_command),
        GET_RETENTION_PREVIEW.token: Function(GET_RETENTION_PREVIEW, get_retention_preview),
    }
