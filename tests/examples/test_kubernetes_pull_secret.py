"""examples/kubernetes-pull-secret with the real Kubernetes provider, as a cluster would use it.

`pulumi up` runs the example's Python program: the CloudRaya registry and password, and the
Kubernetes provider (built by `make tools`) in `renderYamlToDirectory` mode writing the pull
Secret and the ServiceAccount as YAML. The rendered Secret then goes down the kubelet's pull
path: its `.dockerconfigjson` is decoded, the entry for the image's registry host is looked up
and its credential handed to containerd's CRI image service (crictl), which pulls an image
pushed in the test.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.support.containerd import Containerd
from tests.support.images import manifest_digest, push_layout, random_image_layout
from tests.support.paths import require_tool
from tests.support.service import RegistryService

from .helpers import EXAMPLES, provider_env

EXAMPLE = EXAMPLES / "kubernetes-pull-secret"
NAMESPACE = "apps"


@pytest.fixture
def containerd(service: RegistryService) -> Iterator[Containerd]:
    daemon = Containerd()
    daemon.trust_plain_http(service.host)
    yield daemon.start()
    daemon.stop()


def rendered_objects(directory: Path) -> dict[str, dict]:
    """The rendered manifests by kind (one of each here)."""
    objects = [
        doc
        for path in sorted(directory.rglob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]
    kinds = [doc["kind"] for doc in objects]
    assert sorted(kinds) == ["Secret", "ServiceAccount"], kinds
    return {doc["kind"]: doc for doc in objects}


def kubelet_credential(secret: dict, image: str) -> str:
    """What the kubelet hands the CRI for `image`: the auths entry of the image's host."""
    config = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"], validate=True))
    entry = config["auths"][image.split("/", 1)[0]]
    username, password = base64.b64decode(entry["auth"]).decode().split(":", 1)
    assert (username, password) == (entry["username"], entry["password"])
    return f"{username}:{password}"


def test_rendered_pull_secret_pulls_through_the_cri(pulumi, service, containerd, tmp_path):
    require_tool("pulumi-resource-kubernetes")
    ws = pulumi(EXAMPLE, stack="dev", env=provider_env(service))
    ws.config_set("namespace", NAMESPACE)
    ws.config_set("forceDestroy", "true")
    up = ws.up()
    assert "created" in up.stdout, up.stdout
    outputs = ws.outputs()
    endpoint = outputs["endpoint"]
    assert endpoint == f"{service.host}/apps-registry"

    objects = rendered_objects(ws.program_dir / "rendered")
    secret, account = objects["Secret"], objects["ServiceAccount"]
    assert secret["type"] == "kubernetes.io/dockerconfigjson"
    assert secret["metadata"]["name"] == outputs["secretName"] == "cloudraya-pull"
    assert secret["metadata"]["namespace"] == NAMESPACE
    assert account["metadata"] == {"name": "app", "namespace": NAMESPACE}
    assert account["imagePullSecrets"] == [{"name": "cloudraya-pull"}]

    # Push an image with the Secret's credential, then pull it as a kubelet would.
    image = f"{endpoint}/web:v1"
    credential = kubelet_credential(secret, image)
    layout = random_image_layout(tmp_path / "image", "v1")
    push_layout(layout, "v1", image, creds=tuple(credential.split(":", 1)))
    pulled = containerd.crictl("pull", "--creds", credential, image)
    assert pulled.returncode == 0, pulled.stderr + containerd.log()
    assert containerd.repo_digests(image) == [f"{endpoint}/web@{manifest_digest(layout)}"]

    # The same Secret with another password is refused at the registry.
    username = credential.split(":", 1)[0]
    refused = containerd.crictl("pull", "--creds", f"{username}:Wrong-password-123", image)
    assert refused.returncode != 0
    assert "401 Unauthorized" in refused.stderr

    ws.destroy()
    with service.api() as api:
        assert api.get("/registries/apps-registry").status_code == 404
