"""The example programs (Python and YAML) against a real service with the real Pulumi CLI.

Every test starts its own service on a free loopback port and its own file backend.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.support.images import push_layout, random_image_layout, skopeo
from tests.support.pulumi import PulumiWorkspace

from .helpers import (
    ENVIRONMENTS,
    EXAMPLES,
    diagnostics,
    password_works,
    podman_login,
    provider_env,
    registry,
)

CHANGES = re.compile(
    r"\b\d+ (to create|created|to update|updated|to replace|replaced|to delete|deleted)\b"
)


@pytest.fixture
def service(request: pytest.FixtureRequest):
    """A fresh embedded service; a test that also takes ``deployment`` runs on both
    deployments (embedded, and replicas on PostgreSQL and S3 behind a load balancer)."""
    if "deployment" in request.fixturenames:
        return request.getfixturevalue("deployment")
    return request.getfixturevalue("service_factory")()


@pytest.fixture(params=["yaml", "python"])
def language(request: pytest.FixtureRequest) -> str:
    return request.param


# What the provider does on drift, resize, rename or destroy does not depend on the program's
# language: those scenarios run on the YAML program only (the cheapest to start). Both programs
# run where the SDK takes part: every environment created and unchanged on a second up, secrets
# in the exported state, a reset password coming back as a secret output, bad configuration.
YAML_ONLY = pytest.mark.parametrize("language", ["yaml"])


@pytest.fixture
def environment(pulumi, service, language, tmp_path):
    """`environment(stack)`: the example program with that stack selected, wired to `service`."""

    def make(stack: str = "dev", env: dict[str, str] | None = None) -> PulumiWorkspace:
        source = tmp_path / f"{language}-{stack}"
        if not source.exists():
            shutil.copytree(EXAMPLES[language], source)
        return pulumi(source, stack=stack, env={**provider_env(service), **(env or {})})

    return make


def set_config(ws: PulumiWorkspace, key: str, value: str) -> None:
    # Not PulumiWorkspace.config_set: it passes `--color`/`--stack` after `--`, as values.
    ws.run("config", "set", "--plaintext", key, value)


def assert_no_changes(ws: PulumiWorkspace) -> None:
    result = ws.preview("--expect-no-changes")
    assert not CHANGES.search(result.stdout), result.stdout


@pytest.mark.parametrize(
    ("language", "deployment"),
    [("yaml", "embedded"), ("yaml", "replicas"), ("python", "embedded")],
    indirect=["deployment"],
)  # the replicas change nothing for the SDK: Python runs on the embedded service only
def test_up_creates_every_environment_and_a_second_up_changes_nothing(
    environment, service, deployment
):
    for stack, expected in ENVIRONMENTS.items():
        ws = environment(stack)
        ws.up()
        name = f"{stack}-registry"
        found = registry(service, name)
        assert found is not None, name
        assert found["storage"]["total_gb"] == expected["storage"]
        assert found["settings"] == {
            "tag_immutability": expected["immutable"],
            "scan_on_push": True,
            "tag_immutability_exclusions": [],
        }
        outputs = ws.outputs(show_secrets=True)
        assert outputs["endpoint"] == f"{service.host}/{name}"
        assert outputs["username"] == name
        assert password_works(service, name, outputs["password"])
        assert outputs["image"] == f"{service.host}/{name}/my-app:v1.0.0"
        assert len(outputs["pushCommands"]) == 4

        again = ws.up()
        assert not CHANGES.search(again.stdout), again.stdout
        assert_no_changes(ws)


def test_secrets_are_ciphertext_in_the_exported_state(environment):
    ws = environment("dev")
    ws.up()
    password = ws.outputs(show_secrets=True)["password"]
    exported = json.dumps(ws.export())
    assert password not in exported
    assert "ciphertext" in exported
    assert ws.outputs()["password"] == "[secret]"


@YAML_ONLY
def test_growing_storage_updates_in_place(environment, service):
    ws = environment("dev")
    ws.up()
    created_at = registry(service, "dev-registry")["created_at"]
    set_config(ws, "storageGb", "30")

    preview = ws.preview()
    assert "storageGb" in preview.stdout
    assert "replace" not in preview.stdout
    ws.up()

    found = registry(service, "dev-registry")
    assert found["storage"]["total_gb"] == 30
    assert found["created_at"] == created_at
    assert_no_changes(ws)


@YAML_ONLY
def test_shrinking_storage_fails_at_preview_and_changes_nothing(environment, service):
    ws = environment("staging")
    ws.up()
    set_config(ws, "storageGb", "10")

    preview = ws.preview(check=False)
    assert preview.returncode != 0
    output = preview.stdout + preview.stderr
    assert "staging-registry has 20 GB" in output
    assert "can only grow" in output

    up = ws.up(check=False)
    assert up.returncode != 0
    assert registry(service, "staging-registry")["storage"]["total_gb"] == 20


@YAML_ONLY
def test_renaming_replaces_the_registry(environment, service):
    ws = environment("dev")
    ws.up()
    set_config(ws, "registryName", "dev-registry-2")

    preview = ws.preview()
    assert "replace" in preview.stdout
    ws.up()

    assert registry(service, "dev-registry") is None
    renamed = registry(service, "dev-registry-2")
    assert renamed is not None
    assert renamed["settings"]["scan_on_push"] is True
    outputs = ws.outputs(show_secrets=True)
    assert outputs["endpoint"] == f"{service.host}/dev-registry-2"
    assert password_works(service, "dev-registry-2", outputs["password"])
    assert_no_changes(ws)


def refresh_preview_fails(ws: PulumiWorkspace) -> str:
    result = ws.preview("--refresh", "--expect-no-changes", check=False)
    assert result.returncode != 0, result.stdout
    return result.stdout + result.stderr


@YAML_ONLY
def test_storage_resized_elsewhere_is_detected_and_converges(environment, service):
    ws = environment("dev")
    ws.up()
    with service.api() as api:
        api.put("/registries/dev-registry/storage", json={"storage_gb": 40}).raise_for_status()

    assert "storageGb" in refresh_preview_fails(ws)

    # Storage cannot shrink back, so the program adopts the new size before refreshing.
    set_config(ws, "storageGb", "40")
    ws.refresh()
    ws.up()
    assert_no_changes(ws)
    assert registry(service, "dev-registry")["storage"]["total_gb"] == 40


@YAML_ONLY
def test_settings_toggled_elsewhere_are_detected_and_restored(environment, service):
    ws = environment("prod")
    ws.up()
    with service.api() as api:
        api.patch(
            "/registries/prod-registry/settings", json={"tag_immutability": False}
        ).raise_for_status()

    assert "tagImmutability" in refresh_preview_fails(ws)

    ws.refresh()
    ws.up()
    assert registry(service, "prod-registry")["settings"]["tag_immutability"] is True
    assert_no_changes(ws)


def test_password_reset_elsewhere_is_detected_and_rotated_again(environment, service):
    ws = environment("dev")
    ws.up()
    old = ws.outputs(show_secrets=True)["password"]
    with service.api() as api:
        reset = api.post("/registries/dev-registry/password", json={})
        reset.raise_for_status()
    assert not password_works(service, "dev-registry", old)

    assert "password" in refresh_preview_fails(ws)

    ws.refresh()
    ws.up()
    new = ws.outputs(show_secrets=True)["password"]
    assert new not in (old, reset.json()["password"])
    assert password_works(service, "dev-registry", new)
    assert_no_changes(ws)


@YAML_ONLY
def test_registry_deleted_elsewhere_is_detected_and_recreated(environment, service):
    ws = environment("dev")
    ws.up()
    with service.api() as api:
        api.delete(
            "/registries/dev-registry", params={"confirm": "dev-registry"}
        ).raise_for_status()

    output = refresh_preview_fails(ws)
    assert "create" in output

    ws.refresh()
    ws.up()
    recreated = registry(service, "dev-registry")
    assert recreated is not None
    assert recreated["settings"]["scan_on_push"] is True
    assert password_works(service, "dev-registry", ws.outputs(show_secrets=True)["password"])
    assert_no_changes(ws)


@YAML_ONLY
def test_rotating_keepers_changes_the_credential(environment, service, tmp_path: Path):
    ws = environment("dev")
    ws.up()
    old = ws.outputs(show_secrets=True)
    set_config(ws, "passwordRotation", "2026-02")
    preview = ws.preview()
    assert "keepers" in preview.stdout
    ws.up()
    new = ws.outputs(show_secrets=True)
    assert new["password"] != old["password"]

    assert podman_login(service, "dev-registry", old["password"], tmp_path / "old.json") != 0
    assert podman_login(service, "dev-registry", new["password"], tmp_path / "new.json") == 0

    authfile = tmp_path / "dockerconfig.json"
    authfile.write_text(new["dockerConfigJson"])
    image = f"{service.host}/dev-registry/my-app:v1"
    push_layout(random_image_layout(tmp_path / "layout", "v1"), "v1", image, authfile=authfile)
    inspected = skopeo(
        "inspect", "--tls-verify=false", "--authfile", str(authfile), f"docker://{image}"
    )
    assert inspected.returncode == 0, inspected.stderr

    stale = tmp_path / "stale.json"
    stale.write_text(old["dockerConfigJson"])
    refused = skopeo("inspect", "--tls-verify=false", "--authfile", str(stale), f"docker://{image}")
    assert refused.returncode != 0


@YAML_ONLY
def test_destroy_keeps_a_registry_with_images_unless_force_destroy(environment, service, tmp_path):
    ws = environment("dev")
    ws.up()
    authfile = tmp_path / "auth.json"
    authfile.write_text(ws.outputs(show_secrets=True)["dockerConfigJson"])
    image = f"{service.host}/dev-registry/my-app:v1"
    push_layout(random_image_layout(tmp_path / "layout", "v1"), "v1", image, authfile=authfile)
    # Images use storage, but pushing them is not drift of anything the program declares.
    ws.preview("--refresh", "--expect-no-changes")

    destroy = ws.destroy(check=False)
    assert destroy.returncode != 0
    output = destroy.stdout + destroy.stderr
    assert "still holds 1 repository (my-app)" in output
    assert "forceDestroy" in output
    assert registry(service, "dev-registry")["repository_count"] == 1
    assert (
        skopeo(
            "inspect", "--tls-verify=false", "--authfile", str(authfile), f"docker://{image}"
        ).returncode
        == 0
    )

    set_config(ws, "forceDestroy", "true")
    ws.up()
    ws.destroy()
    assert registry(service, "dev-registry") is None
    with service.api() as api:
        assert api.get("/registries").json()["registries"] == []


def test_missing_token_is_one_clear_error(pulumi, service, language, tmp_path):
    source = tmp_path / "program"
    shutil.copytree(EXAMPLES[language], source)
    ws = pulumi(source, stack="dev", env={"CLOUDRAYA_ENDPOINT": service.url})
    ws.env.pop("CLOUDRAYA_API_TOKEN", None)

    result = ws.preview(check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    lines = diagnostics(output, "cloudraya:apiToken")
    assert len(lines) == 1, output
    assert "CLOUDRAYA_API_TOKEN" in lines[0]
    assert service.token not in output
    assert "Traceback" not in output


def test_wrong_endpoint_is_one_clear_error(pulumi, service, language, tmp_path):
    from tests.support.ports import free_port

    source = tmp_path / "program"
    shutil.copytree(EXAMPLES[language], source)
    endpoint = f"http://127.0.0.1:{free_port()}"
    ws = pulumi(
        source, stack="dev",
        env={"CLOUDRAYA_ENDPOINT": endpoint, "CLOUDRAYA_API_TOKEN": service.token},
    )  # fmt: skip

    result = ws.preview(check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    lines = diagnostics(output, f"cannot reach the CloudRaya service at {endpoint}")
    assert len(lines) == 1, output
    assert "cloudraya:endpoint" in lines[0]
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("storageGb", "15", "storageGb 15 is not allowed"),
        ("registryName", "Dev_Registry", '"Dev_Registry" is not a valid registry name'),
    ],
)
def test_invalid_input_is_one_clear_error(environment, service, key, value, message):
    ws = environment("dev")
    set_config(ws, key, value)

    result = ws.preview(check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    lines = diagnostics(output, message)
    assert len(lines) == 1, output
    assert "Traceback" not in output
    with service.api() as api:
        assert api.get("/registries").json()["registries"] == []
