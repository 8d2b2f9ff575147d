"""The provider's resources and functions: their declarations, and instances wired to a client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .framework import Resource
from .functions import GET_PUSH_COMMAND, GET_REGISTRY, GET_RETENTION_PREVIEW, Function, functions
from .registry import Registry
from .registry_credential import RegistryCredential
from .registry_password import RegistryPassword
from .registry_settings import RegistrySettings
from .retention_policy import RetentionPolicy
from .spec import FunctionSpec, Spec

if TYPE_CHECKING:
    from .client import CloudRayaClient

RESOURCE_TYPES: tuple[type[Resource], ...] = (
    Registry,
    RegistrySettings,
    RegistryPassword,
    RetentionPolicy,
    RegistryCredential,
)
RESOURCE_SPECS: tuple[Spec, ...] = tuple(kind.spec for kind in RESOURCE_TYPES)
FUNCTION_SPECS: tuple[FunctionSpec, ...] = (GET_REGISTRY, GET_PUSH_COMMAND, GET_RETENTION_PREVIEW)


def catalog(client: CloudRayaClient) -> tuple[dict[str, Resource], dict[str, Function]]:
    resources = [kind(client) for kind in RESOURCE_TYPES]
    return {r.token: r for r in resources}, functions(client)
