"""The provider's resources and functions, wired to one API client."""

from __future__ import annotations

from collections.abc import Callable

from .client import CloudRayaClient
from .framework import Resource
from .functions import functions
from .registry import Registry
from .registry_password import RegistryPassword
from .registry_settings import RegistrySettings


def catalog(client: CloudRayaClient) -> tuple[dict[str, Resource], dict[str, Callable]]:
    resources: list[Resource] = [
        Registry(client),
        RegistrySettings(client),
        RegistryPassword(client),
    ]
    return {r.token: r for r in resources}, functions(client)
