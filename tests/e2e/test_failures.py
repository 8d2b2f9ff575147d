"""The provider under failure, with the real Pulumi CLI and engine against a real service.

One test per defect of issue 14: a service frozen during `pulumi up`, a secret rejected at
preview, a password reset elsewhere, a rename of a registry holding images, a provider pointed
at another service, storage resized elsewhere, limits and names checked at preview, and the
push-command function's outputs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.images import push_layout, random_image_layout
from tests.support.pulumi import PulumiWorkspace

from .helpers import EXAMPLES, PROGRAMS, password_works, provider_env, registry

# Longer than the provider's 30 s read timeout: the answers to the creates in flight are lost.
FREEZE_S = 35


def set_config(ws: PulumiWorkspace, key: str, value: str, secret: bool = False) -> None:
    ws.run("config", "set", "--secret" if secret else "--plaintext", key, value)


def names_on(service) -> list[str]:
    with service.api() as api:
        return sorted(r["name"] for r in api.get("/registries").json()["registries"])


def names_in_state(ws: PulumiWorkspace) -> list[str]:
    resources = ws.export()["deployment"]["resources"]
    return sorted(
        r["id"] for r in resources if r["type"] == "cloudraya:index:Registry" and r.get("id")
    )


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def test_a_frozen_service_during_up_leaves_no_orphans_and_a_rerun_converges(
    pulumi, process_service
):
    service = process_service  # a process, so that SIGSTOP freezes it
    ws = pulumi(PROGRAMS / "fleet-yaml", stack="dev", env=provider_env(service))
    up = subprocess.Popen(
        [ws.pulumi, "--color=never", "up", "--yes", "--non-interactive", "--skip-preview",
         "--stack", ws.stack],
        cwd=ws.program_dir, env=ws.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    seen: list[str] = []
    try:
        assert up.stdout is not None
        for line in up.stdout:  # the engine prints "creating" as it calls Create
            seen.append(line)
            if "cloudraya:index:Registry" in line and "creating" in line:
                service.freeze()  # a create takes tens of ms: its answer is still to come
                break
        time.sleep(FREEZE_S)
    finally:
        service.thaw()
    rest, _ = up.communicate(timeout=600)
    first = "".join(seen) + rest
    assert "no answer" in first, first  # the freeze did catch creates in flight

    ws.up()  # finishes what the first run could not confirm, if anything

    assert names_on(service) == names_in_state(ws) == [
        "fleet-1", "fleet-2", "fleet-3", "fleet-4", "fleet-5", "fleet-quick",
    ]  # fmt: skip
    assert registry(service, "fleet-1")["settings"]["tag_immutability"] is True
    assert registry(service, "fleet-5")["settings"]["scan_on_push"] is True
    ws.preview("--refresh", "--expect-no-changes")
    ws.destroy()
    assert names_on(service) == []


@pytest.mark.parametrize("case", ["password", "raw-password"])
def test_a_rejected_password_is_never_shown_only_the_rule(pulumi, service, case):
    ws = pulumi(PROGRAMS / "checks-python", stack="dev", env=provider_env(service))
    set_config(ws, "case", case)
    set_config(ws, "password", "hunter2hunter2", secret=True)

    text = ws.preview(check=False)
    as_json = ws.preview("--json", check=False)

    for result in (text, as_json):
        assert result.returncode != 0
        assert "hunter2hunter2" not in output_of(result)
        assert "12-128 printable characters" in output_of(result)
    assert "Traceback" not in output_of(text)
    assert names_on(service) == []


def test_a_password_reset_elsewhere_is_drift_and_never_kept_in_the_outputs(pulumi, service):
    ws = pulumi(PROGRAMS / "passwords-yaml", stack="dev", env=provider_env(service))
    set_config(ws, "password", "Explicit-Passw0rd-1", secret=True)
    ws.up()
    generated = ws.outputs(show_secrets=True)["generatedPassword"]
    with service.api() as api:
        for name in ("explicit-registry", "generated-registry"):
            api.post(f"/registries/{name}/password", json={}).raise_for_status()

    drift = ws.preview("--refresh", "--expect-no-changes", check=False)
    assert drift.returncode == 7, output_of(drift)
    assert "~password" in drift.stdout.replace(" ", "")
    assert "generated-registry" in drift.stdout and "no longer works" in drift.stdout

    ws.up("--refresh")
    outputs = ws.outputs(show_secrets=True)
    assert outputs["explicitPassword"] == "Explicit-Passw0rd-1"
    assert password_works(service, "explicit-registry", "Explicit-Passw0rd-1")
    assert outputs.get("generatedPassword") is None
    assert not password_works(service, "generated-registry", generated)
    ws.preview("--refresh", "--expect-no-changes")


def test_renaming_a_registry_that_holds_images_fails_at_preview_with_a_path_that_works(
    pulumi, service, tmp_path: Path
):
    source = tmp_path / "environments"
    shutil.copytree(EXAMPLES["yaml"], source)
    ws = pulumi(source, stack="dev", env=provider_env(service))
    ws.up()
    authfile = tmp_path / "auth.json"
    authfile.write_text(ws.outputs(show_secrets=True)["dockerConfigJson"])
    image = f"{service.host}/dev-registry/my-app:v1"
    push_layout(random_image_layout(tmp_path / "layout", "v1"), "v1", image, authfile=authfile)

    set_config(ws, "registryName", "dev-registry-2")
    for refused in (ws.preview(check=False), ws.up(check=False)):
        assert refused.returncode != 0
        assert "holds 1 repository (my-app)" in refused.stdout
        assert "forceDestroy: true and the name dev-registry" in refused.stdout
    assert names_on(service) == ["dev-registry"]

    # The path the message gives: allow the deletion under the old name, then rename.
    set_config(ws, "registryName", "dev-registry")
    set_config(ws, "forceDestroy", "true")
    ws.up()
    set_config(ws, "registryName", "dev-registry-2")
    ws.up()
    assert names_on(service) == names_in_state(ws) == ["dev-registry-2"]
    ws.preview("--expect-no-changes")


def test_pointing_the_provider_at_another_service_is_refused_at_preview(
    pulumi, service, service_factory
):
    ws = pulumi(EXAMPLES["yaml"], stack="dev", env=provider_env(service))
    ws.up()
    other = service_factory()
    theirs = other.create_registry("dev-registry", storage_gb=10)
    elsewhere = provider_env(other)

    for refused in (
        ws.run("preview", "--non-interactive", env=elsewhere, check=False),
        ws.run("up", "--yes", "--non-interactive", "--skip-preview", env=elsewhere, check=False),
    ):
        assert refused.returncode != 0
        assert f"cloudraya:endpoint changed from {service.url} to {other.url}" in refused.stdout
    untouched = registry(other, "dev-registry")
    assert untouched["settings"] == {
        "tag_immutability": False,
        "scan_on_push": False,
        "tag_immutability_exclusions": [],
    }
    assert untouched["storage"]["total_gb"] == 10
    assert password_works(other, "dev-registry", theirs["password"])
    ws.preview("--refresh", "--expect-no-changes")  # back on its own service, all is well


def test_storage_resized_elsewhere_is_a_diff_and_up_refuses_to_shrink_it(pulumi, service):
    ws = pulumi(EXAMPLES["yaml"], stack="dev", env=provider_env(service))
    ws.up()
    with service.api() as api:
        api.put("/registries/dev-registry/storage", json={"storage_gb": 40}).raise_for_status()

    text = ws.preview("--refresh", "--expect-no-changes", "--diff", check=False)
    assert text.returncode == 7, output_of(text)
    assert "storageGb" in text.stdout
    as_json = ws.preview("--refresh", "--json", check=False)
    steps = json.loads(as_json.stdout)["steps"]
    [update] = [step for step in steps if step["op"] == "update"]
    assert update["urn"].endswith("::registry")
    assert update["diffReasons"] == ["storageGb"]

    refused = ws.up("--refresh", check=False)
    assert refused.returncode != 0
    assert "dev-registry has 40 GB and storage can only grow" in refused.stdout
    assert registry(service, "dev-registry")["storage"]["total_gb"] == 40

    set_config(ws, "storageGb", "40")  # adopt the size, as the message says
    ws.up("--refresh")
    ws.preview("--refresh", "--expect-no-changes")


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("too-large", "storageGb 100010 is not allowed: use a multiple of 10 from 10 to 100000"),
        ("boolean-storage", "storageGb must be a whole number of GB (got true)"),
        ("taken", "taken-registry already exists"),
    ],
)
def test_limits_and_taken_names_fail_at_preview(pulumi, service, case, message):
    service.create_registry("taken-registry")
    ws = pulumi(PROGRAMS / "checks-python", stack="dev", env=provider_env(service))
    set_config(ws, "case", case)

    result = ws.preview(check=False)

    assert result.returncode != 0
    assert message in result.stdout
    assert "True" not in result.stdout and "<nil>" not in result.stdout
    assert names_on(service) == ["taken-registry"]


def test_unsetting_storage_and_swapping_names_fail_at_preview(pulumi, service):
    ws = pulumi(PROGRAMS / "swap-yaml", stack="dev", env=provider_env(service))
    ws.up()
    set_config(ws, "first", "swap-second")
    set_config(ws, "second", "swap-first")
    swapped = ws.preview(check=False)
    assert swapped.returncode != 0
    assert "swapping names" in swapped.stdout

    env = {**provider_env(service)}
    ws = pulumi(EXAMPLES["yaml"], stack="dev", env=env)
    set_config(ws, "storageGb", "20")
    ws.up()
    program = ws.program_dir / "Pulumi.yaml"
    program.write_text(program.read_text().replace("storageGb: ${storageGb}", "storageGb: null"))
    unset = ws.preview(check=False)
    assert unset.returncode != 0
    assert "storageGb is null (not set), which means the default 10 GB" in unset.stdout
    assert "storageGb 10 is not allowed" not in unset.stdout
    assert names_on(service) == ["dev-registry", "swap-first", "swap-second"]


def test_push_command_carries_the_notes_and_says_what_each_output_is(pulumi, service):
    ws = pulumi(PROGRAMS / "push-command-yaml", stack="dev", env=provider_env(service))
    ws.up()
    push = ws.outputs()["push"]
    image = f"{service.host}/push-registry/team/app:v2.1.0"
    assert push["image"] == image
    assert push["tag"] == "v2.1.0"
    assert push["tagCommand"] == f"docker tag team/app:v2.1.0 {image}"
    assert push["pushCommand"] == f"docker push {image}"
    assert push["loginCommand"] == f"docker login {service.host} -u push-registry"
    assert push["commands"][2] == push["tagCommand"]
    assert push["plainHttp"] is True
    assert any("plain HTTP" in note and "--tls-verify=false" in note for note in push["notes"])
