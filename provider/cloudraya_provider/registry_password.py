"""`cloudraya:index:RegistryPassword`: the managed password of one registry.

Creating it sets a new password; a change of `keepers` (or of an explicit `password`) rotates it.
Read verifies that the stored password still authenticates: when it was reset elsewhere the
password leaves the outputs, and Diff then plans a rotation. An imported RegistryPassword never
had a password (the service does not reveal them) and is not rotated by that rule.
The resource ID is the registry name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .api import Credential

if TYPE_CHECKING:
    from .client import CloudRayaClient
from .docker_config import docker_config_json
from .framework import UNKNOWN, DiffResult, Operation, PropertyChange, Props, ReadResult, Resource
from .kinds import MapOf, String
from .passwords import PASSWORD, generate_password
from .registry_fields import USERNAME, endpoint, registry_reference
from .spec import Field, Spec, computed

ROTATED = ("password", "dockerConfigJson", "rotatedAt")

SPEC = Spec(
    token="cloudraya:index:RegistryPassword",
    description=(
        "The managed password of a registry. Creating it sets a new password (the previous one "
        "stops working at once); changing `keepers` rotates it again. A refresh checks that the "
        "stored password still authenticates: when it was reset elsewhere, the password "
        "disappears from the outputs and the next `pulumi up` rotates it. Deleting this "
        "resource leaves the registry's current password in place.\n\nImport it by registry "
        "name: `pulumi import cloudraya:index:RegistryPassword my-password dev-registry`. The "
        "service never reveals passwords, so an imported password has no `password` output "
        "until the next rotation."
    ),
    fields=(
        registry_reference("whose password is managed", "Name of the registry."),
        Field(
            "keepers",
            MapOf(String()),
            diff_from="inputs",
            doc=(
                "Arbitrary values; any change rotates the password. Use them to rotate on a "
                "schedule or when something else changes (for example "
                '`{"rotation": "2026-q1"}`).'
            ),
            output_doc="Values whose change rotates the password.",
        ),
        Field(
            "password",
            String(rule=PASSWORD),
            secret=True,
            write_only=True,
            diff_from="inputs",
            doc="Password to set: {rule}. Generated when omitted.",
            output_doc=(
                "The current password. Absent when the service no longer accepts it (reset "
                "elsewhere) or after an import."
            ),
        ),
        USERNAME,
        endpoint(),
        computed(
            "dockerConfigJson",
            String(),
            secret=True,
            always=False,
            doc=(
                'Docker config JSON (`{"auths": {"<registry host>": {...}}}`) holding these '
                "credentials, keyed by the registry host so Docker, Podman, skopeo and the "
                "kubelet all match it. Use it as the `.dockerconfigjson` value of a "
                "`kubernetes.io/dockerconfigjson` Secret or as an `--authfile`."
            ),
        ),
        computed(
            "rotatedAt",
            String(),
            "When this resource last set the password (RFC 3339).",
            always=False,
        ),
    ),
)


@dataclass
class PasswordInputs:
    registry: str
    keepers: dict[str, str] = field(default_factory=dict)
    password: str | None = None

    @classmethod
    def from_props(cls, props: Props) -> PasswordInputs:
        return cls(
            registry=props["registry"],
            keepers=dict(props.get("keepers") or {}),
            password=props.get("password"),
        )

    def to_props(self) -> Props:
        props: Props = {"registry": self.registry}
        if self.keepers:
            props["keepers"] = dict(self.keepers)
        if self.password is not None:
            props["password"] = self.password
        return props


def credential_props(inputs: PasswordInputs, endpoint: str, credential: Credential) -> Props:
    return {
        **inputs.to_props(),
        "username": credential.username,
        "endpoint": endpoint,
        "password": credential.password,
        "dockerConfigJson": docker_config_json(endpoint, credential.username, credential.password),
        "rotatedAt": credential.password_updated_at,
    }


def stale(state: Props) -> bool:
    """True when this resource set a password that the service no longer accepts."""
    return "rotatedAt" in state and "password" not in state


class RegistryPassword(Resource):
    spec = SPEC

    def __init__(self, client: CloudRayaClient) -> None:
        self._client = client

    def diff(self, id: str, old_state: Props, old_inputs: Props, news: Props) -> DiffResult:
        changes = self.spec.diff(old_state, old_inputs, news)
        if stale(old_state) and "password" not in changes:
            # Reset outside Pulumi: the next update sets a password this stack knows again.
            changes["password"] = PropertyChange("update")
        return DiffResult(changes)

    def _rotate(self, wanted: PasswordInputs) -> Props:
        credential = self._client.set_password(
            wanted.registry, wanted.password or generate_password()
        )  # a registry that does not exist answers 404, and nothing changes
        endpoint = credential.endpoint or self._client.get_registry(wanted.registry).endpoint
        return credential_props(wanted, endpoint, credential)

    def create(self, inputs: Props, op: Operation) -> tuple[str, Props]:
        wanted = PasswordInputs.from_props(inputs)
        return wanted.registry, self._rotate(wanted)

    def preview_update(
        self, id: str, old_state: Props, old_inputs: Props, news: Props, op: Operation
    ) -> Props:
        return {**old_state, **news, **dict.fromkeys(ROTATED, UNKNOWN)}

    def read(self, id: str, state: Props, inputs: Props, op: Operation) -> ReadResult | None:
        info = self._client.find_registry(id)
        if info is None:
            return None
        known = PasswordInputs(
            registry=info.name,
            keepers=dict(inputs.get("keepers", state.get("keepers")) or {}),
            password=inputs.get("password"),
        )
        fresh: Props = {**known.to_props(), "username": info.username, "endpoint": info.endpoint}
        if "rotatedAt" in state:
            fresh["rotatedAt"] = state["rotatedAt"]
        password = state.get("password")
        if isinstance(password, str) and self._client.verify_password(id, password):
            fresh["password"] = password
            fresh["dockerConfigJson"] = docker_config_json(info.endpoint, info.username, password)
        return ReadResult(id=info.name, state=fresh, inputs=known.to_props())

    def update(
        self, id: str, old_state: Props, old_inputs: Props, news: Props, op: Operation
    ) -> Props:
        return self._rotate(PasswordInputs.from_props({**news, "registry": id}))

    def delete(self, id: str, state: Props, op: Operation) -> None:
        """Forget the resource; the registry keeps its current password (documented)."""
