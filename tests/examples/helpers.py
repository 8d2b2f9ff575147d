"""Shared pieces of the example tests."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.paths import REPO_ROOT
from tests.support.service import RegistryService

EXAMPLES = REPO_ROOT / "examples"


def provider_env(service: RegistryService) -> dict[str, str]:
    """How a user points the provider at a service: the two environment variables."""
    return {"CLOUDRAYA_ENDPOINT": service.url, "CLOUDRAYA_API_TOKEN": service.token}


def write_authfile(path: Path, docker_config_json: str) -> Path:
    """A `dockerConfigJson` output written as an --authfile for skopeo/podman."""
    path.write_text(docker_config_json)
    path.chmod(0o600)
    return path


def credential(docker_config_json: str) -> tuple[str, str]:
    """(username, password) of the single registry host in a `.dockerconfigjson` document."""
    (entry,) = json.loads(docker_config_json)["auths"].values()
    return entry["username"], entry["password"]
