"""examples/kubernetes-pull-secret: the part provable without the Kubernetes provider plugin.

`verify/` declares the registry and credential half of the example; its `dockerConfigJson`
output goes through the example's own `manifests.pull_secret` (the Secret it renders), is read
back out of the Secret's base64 data and used as skopeo's --authfile to pull an image pushed
in the test.
"""

from __future__ import annotations

import base64
import importlib.util
import json
from pathlib import Path
from types import ModuleType

from tests.support.images import manifest_digest, push_layout, random_image_layout, skopeo

from .helpers import EXAMPLES, provider_env, write_authfile

EXAMPLE = EXAMPLES / "kubernetes-pull-secret"


def load_manifests() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pull_secret_manifests", EXAMPLE / "manifests.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def secret_authfile(secret: dict, path: Path) -> Path:
    """What the kubelet does with the Secret: decode `.dockerconfigjson` and use it."""
    return write_authfile(path, base64.b64decode(secret["data"][".dockerconfigjson"]).decode())


def test_secret_rendered_from_the_output_pulls_the_image(pulumi, service, tmp_path):
    ws = pulumi(EXAMPLE / "verify", stack="verify", env=provider_env(service))
    ws.up()
    outputs = ws.outputs(show_secrets=True)
    endpoint, document = outputs["endpoint"], outputs["dockerConfigJson"]
    assert endpoint == f"{service.host}/apps-registry"

    manifests = load_manifests()
    secret = manifests.pull_secret("cloudraya-pull", "apps", document)
    account = manifests.service_account("app", "apps", "cloudraya-pull")

    # The Secret's shape, as Kubernetes requires for image pull secrets.
    assert secret["apiVersion"] == "v1" and secret["kind"] == "Secret"
    assert secret["type"] == "kubernetes.io/dockerconfigjson"
    assert secret["metadata"] == {"name": "cloudraya-pull", "namespace": "apps"}
    assert set(secret["data"]) == {".dockerconfigjson"}
    config = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"], validate=True))
    assert list(config["auths"]) == [service.host]  # keyed by registry host, not endpoint path
    entry = config["auths"][service.host]
    assert entry["username"] == "apps-registry"
    assert base64.b64decode(entry["auth"]).decode() == f"apps-registry:{entry['password']}"
    assert account["kind"] == "ServiceAccount"
    assert account["metadata"] == {"name": "app", "namespace": "apps"}
    assert account["imagePullSecrets"] == [{"name": secret["metadata"]["name"]}]

    # The credential in the Secret really pulls: push an image, pull it back with it.
    authfile = secret_authfile(secret, tmp_path / "secret-auth.json")
    layout = random_image_layout(tmp_path / "image", "v1")
    push_layout(layout, "v1", f"{endpoint}/web:v1", authfile=authfile)
    pulled = skopeo(
        "copy", "--src-tls-verify=false", "--src-authfile", str(authfile),
        f"docker://{endpoint}/web:v1", f"oci:{tmp_path / 'pulled'}:v1",
    )  # fmt: skip
    assert pulled.returncode == 0, pulled.stderr
    assert manifest_digest(tmp_path / "pulled") == manifest_digest(layout)

    # A Secret with another password does not.
    wrong = json.loads(json.dumps(config))
    wrong["auths"][service.host]["password"] = "Wrong-password-123"
    wrong["auths"][service.host]["auth"] = base64.b64encode(
        b"apps-registry:Wrong-password-123"
    ).decode()
    bad_secret = manifests.pull_secret("bad", "apps", json.dumps(wrong))
    refused = skopeo(
        "inspect", "--tls-verify=false",
        "--authfile", str(secret_authfile(bad_secret, tmp_path / "bad-auth.json")),
        f"docker://{endpoint}/web:v1",
    )  # fmt: skip
    assert refused.returncode != 0

    ws.destroy()
    with service.api() as api:
        assert api.get("/registries/apps-registry").status_code == 404


def test_the_kubernetes_program_renders_the_same_manifests():
    """__main__.py builds its objects with manifests.py and renders through a YAML provider."""
    source = (EXAMPLE / "__main__.py").read_text()
    assert "from manifests import pull_secret, service_account" in source
    assert "render_yaml_to_directory" in source
    assert "k8s.yaml.v2.ConfigGroup" in source
    verify = (EXAMPLE / "verify" / "Pulumi.yaml").read_text()
    assert "cloudraya:RegistryPassword" in verify
