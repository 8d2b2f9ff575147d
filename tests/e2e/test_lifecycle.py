"""Lifecycle and access as code through the real Pulumi CLI: a retention policy whose preview
shows what it deletes, scoped credentials used by skopeo, podman and the CRI (crictl against
containerd, as a kubelet pulls), and revocation caught by a refresh."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.oci_helpers import OciClient, make_image, registry_with_client
from tests.support.containerd import Containerd
from tests.support.images import manifest_digest, push_layout, random_image_layout, skopeo
from tests.support.podman import Podman
from tests.support.service import ServiceClient

from .helpers import PROGRAMS, provider_env

REGISTRY = "life-registry"
RELEASES = ["v1.0.0", "v1.1.0", "v2.0.0"]
BUILDS = [f"build-{n}" for n in range(1, 10)]  # 12 tags with the releases


@pytest.fixture
def filled(service: ServiceClient) -> dict:
    client = registry_with_client(service, REGISTRY)
    images = {}
    for tag in [*RELEASES, *BUILDS]:
        images[tag] = make_image(200)
        assert client.push_image(f"{REGISTRY}/app", images[tag], tag).status_code == 201
    untagged = [make_image(100), make_image(100)]
    for image in untagged:
        assert client.push_image(f"{REGISTRY}/app", image).status_code == 201
    return {"client": client, "images": images, "untagged": untagged}


def test_retention_policy_through_pulumi_shows_the_count_at_preview_and_runs(
    pulumi, service: ServiceClient, filled: dict
) -> None:
    ws = pulumi(PROGRAMS / "lifecycle-yaml", env=provider_env(service))
    preview = ws.preview()
    assert "would delete 8 artifacts" in preview.stdout, preview.stdout
    assert "app:build-1" in preview.stdout
    ws.up()
    outputs = ws.outputs()
    assert outputs["wouldDelete"]["artifacts"] == 8
    assert sorted(outputs["wouldDelete"]["tags"]) == sorted(f"app:build-{n}" for n in range(1, 7))

    with service.api() as api:
        used_before = api.get(f"/registries/{REGISTRY}").json()["storage"]["used_bytes"]
        ran = api.post(f"/registries/{REGISTRY}/retention-policy/run").json()
        used_after = api.get(f"/registries/{REGISTRY}").json()["storage"]["used_bytes"]
    client: OciClient = filled["client"]
    deleted = {filled["images"][f"build-{n}"].digest for n in range(1, 7)}
    deleted |= {image.digest for image in filled["untagged"]}
    assert {d["digest"] for d in ran["deletions"]} == deleted
    tags = client.http.get(f"/v2/{REGISTRY}/app/tags/list").json()["tags"]
    assert sorted(tags) == sorted([*RELEASES, "build-7", "build-8", "build-9"])
    assert used_before - used_after == sum(
        image.total_size + len(image.manifest)
        for image in [*(filled["images"][f"build-{n}"] for n in range(1, 7)), *filled["untagged"]]
    )

    # Immutability with `latest` and `build-*` excluded: latest moves, v1.0.0 cannot.
    first, second = make_image(10), make_image(20)
    assert client.push_image(f"{REGISTRY}/app", first, "latest").status_code == 201
    assert client.push_image(f"{REGISTRY}/app", second, "latest").status_code == 201
    assert client.put_manifest(f"{REGISTRY}/app", "v1.0.0", second.manifest).status_code == 403

    # A stricter policy: the preview of the change says what it would delete now (latest is
    # the last push; the builds and the image latest moved away from go).
    ws.config_set("keepLast", "1")
    changed = ws.preview()
    assert "would delete 4 artifacts" in changed.stdout, changed.stdout
    assert "tags: app:build-7, app:build-8, app:build-9" in changed.stdout


@pytest.fixture
def containerd(service: ServiceClient) -> Iterator[Containerd]:
    daemon = Containerd()
    daemon.trust_plain_http(service.host)
    yield daemon.start()
    daemon.stop()


def _creds(docker_config: str, host: str) -> str:
    entry = json.loads(docker_config)["auths"][host]
    return base64.b64decode(entry["auth"]).decode()


def test_scoped_credentials_from_pulumi_work_with_skopeo_crictl_and_podman(
    pulumi, service: ServiceClient, containerd: Containerd, tmp_path: Path
) -> None:
    owner = registry_with_client(service, REGISTRY)
    assert owner.push_image(f"{REGISTRY}/app", make_image(10), "seed").status_code == 201
    image = f"{service.host}/{REGISTRY}/app:v1"
    layout = random_image_layout(tmp_path / "image", "v1")
    push_layout(layout, "v1", image, creds=(REGISTRY, "Data-Plane-Pass-1"))

    ws = pulumi(PROGRAMS / "lifecycle-yaml", env=provider_env(service))
    ws.up()
    outputs = ws.outputs(show_secrets=True)
    authfile = tmp_path / "puller.json"
    authfile.write_text(outputs["pullerDockerConfig"])
    puller = _creds(outputs["pullerDockerConfig"], service.host)
    assert puller.startswith(f"{REGISTRY}+cluster:")

    # skopeo pulls with the pull credential's docker config, and cannot push with it.
    pulled = skopeo(
        "copy", "--src-tls-verify=false", "--src-authfile", str(authfile),
        f"docker://{image}", f"oci:{tmp_path / 'pulled'}:v1",
    )  # fmt: skip
    assert pulled.returncode == 0, pulled.stderr
    pushed = skopeo(
        "copy", "--dest-tls-verify=false", "--dest-authfile", str(authfile),
        f"oci:{layout}:v1", f"docker://{service.host}/{REGISTRY}/app:v2",
    )  # fmt: skip
    assert pushed.returncode != 0
    assert "denied" in pushed.stderr.lower(), pushed.stderr
    deleted = skopeo(
        "delete", "--tls-verify=false", "--authfile", str(authfile), f"docker://{image}"
    )
    assert deleted.returncode != 0

    # The kubelet's pull path: the CRI image service pulls with the same credential.
    crictl = containerd.crictl("pull", "--creds", puller, image)
    assert crictl.returncode == 0, crictl.stderr + containerd.log()
    assert containerd.repo_digests(image) == [
        f"{service.host}/{REGISTRY}/app@{manifest_digest(layout)}"
    ]

    # The push credential pushes with podman, inside its repositories only.
    podman = Podman(tmp_path / "podman")
    try:
        (tmp_path / "ctx").mkdir()
        (tmp_path / "ctx" / "Containerfile").write_text("FROM scratch\nCOPY Containerfile /\n")
        podman.check("build", "-t", "local/app:v3", str(tmp_path / "ctx"))
        login = podman.run(
            "login", "--tls-verify=false", "-u", outputs["pusherUsername"],
            "-p", outputs["pusherPassword"], service.host,
        )  # fmt: skip
        assert login.returncode == 0, login.stderr
        podman.check(
            "push", "--tls-verify=false", "local/app:v3", f"{service.host}/{REGISTRY}/app:v3"
        )
        outside = podman.run(
            "push", "--tls-verify=false", "local/app:v3", f"{service.host}/{REGISTRY}/other:v3"
        )
        assert outside.returncode != 0
    finally:
        podman.close()

    # Revoked out of band: a refresh sees it, and the next `up --refresh` creates it again.
    with service.api() as api:
        assert api.delete(f"/registries/{REGISTRY}/credentials/cluster").status_code == 204
    refused = containerd.crictl("pull", "--creds", puller, image)
    assert refused.returncode != 0
    drift = ws.preview("--refresh", "--expect-no-changes", check=False)
    assert drift.returncode != 0
    assert "puller" in drift.stdout
    ws.up("--refresh")
    again = _creds(ws.outputs(show_secrets=True)["pullerDockerConfig"], service.host)
    assert again != puller
    assert containerd.crictl("pull", "--creds", again, image).returncode == 0
