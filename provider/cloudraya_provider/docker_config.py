"""The `.dockerconfigjson` document for a registry credential."""

from __future__ import annotations

import base64
import json


def registry_host(endpoint: str) -> str:
    """The host[:port] part of an endpoint such as `127.0.0.1:5000/dev-registry`.

    Docker, Podman/skopeo auth files and the kubelet all match credentials by registry host,
    so the host (not the full endpoint with its path) is the key that works everywhere.
    """
    return endpoint.split("://", 1)[-1].split("/", 1)[0]


def docker_config_json(endpoint: str, username: str, password: str) -> str:
    """JSON for a `kubernetes.io/dockerconfigjson` Secret or an `--authfile`."""
    auth = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    document = {
        "auths": {
            registry_host(endpoint): {"username": username, "password": password, "auth": auth}
        }
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"))
