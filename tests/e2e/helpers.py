"""Shared pieces of the end-to-end tests: example programs and service checks."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.support.paths import REPO_ROOT, require_tool
from tests.support.service import RegistryService

EXAMPLES = {
    "yaml": REPO_ROOT / "examples" / "environments-yaml",
    "python": REPO_ROOT / "examples" / "environments-python",
}
PROGRAMS = Path(__file__).parent / "programs"
ENVIRONMENTS = {
    "dev": {"storage": 10, "immutable": False},
    "staging": {"storage": 20, "immutable": True},
    "prod": {"storage": 50, "immutable": True},
}


def provider_env(service: RegistryService) -> dict[str, str]:
    return {"CLOUDRAYA_ENDPOINT": service.url, "CLOUDRAYA_API_TOKEN": service.token}


def registry(service: RegistryService, name: str) -> dict[str, Any] | None:
    with service.api() as api:
        response = api.get(f"/registries/{name}")
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response.json()


def password_works(service: RegistryService, name: str, password: str) -> bool:
    """Whether the data plane accepts the credential (HTTP Basic on /v2/)."""
    response = httpx.get(f"{service.url}/v2/", auth=(name, password), timeout=30)
    return response.status_code == 200


def podman_login(service: RegistryService, name: str, password: str, authfile: Path) -> int:
    podman = require_tool("podman")
    result = subprocess.run(
        [podman, "login", "--tls-verify=false", "--authfile", str(authfile),
         "--username", name, "--password-stdin", service.host],
        input=password, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    return result.returncode


def diagnostics(output: str, needle: str) -> list[str]:
    """Lines of the Diagnostics section of Pulumi's output that carry `needle`.

    Pulumi shows an error once while it happens and once in the final summary; the summary is
    what a user reads, so "one clear error line" is counted there.
    """
    _, _, summary = output.partition("Diagnostics:")
    return [line.strip() for line in summary.splitlines() if needle in line]
