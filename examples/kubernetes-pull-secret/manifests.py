"""The Kubernetes objects that let pods pull from a CloudRaya registry.

Plain dictionaries (the manifests as they are rendered), so they can be checked without a
cluster or the Kubernetes provider.
"""

from __future__ import annotations

import base64
from typing import Any

DOCKER_CONFIG_JSON = "kubernetes.io/dockerconfigjson"


def pull_secret(name: str, namespace: str, docker_config_json: str) -> dict[str, Any]:
    """A `kubernetes.io/dockerconfigjson` Secret holding the registry credential."""
    encoded = base64.b64encode(docker_config_json.encode()).decode("ascii")
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": DOCKER_CONFIG_JSON,
        "data": {".dockerconfigjson": encoded},
    }


def service_account(name: str, namespace: str, secret_name: str) -> dict[str, Any]:
    """A ServiceAccount whose pods use the Secret to pull images."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": name, "namespace": namespace},
        "imagePullSecrets": [{"name": secret_name}],
    }
