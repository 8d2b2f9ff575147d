"""examples/environments-typescript deployed for real: the Pulumi CLI runs the compiled program
through this project's Node.js language host (.tools/bin/pulumi-language-nodejs) against a
service started for the test.

The program's dependencies are the SDK's tarball from dist/ installed with npm into a fresh
node_modules (`make dist-consumers`; the SDK is not published, see the example's README), and
the program is compiled with the pinned `tsc` first: Pulumi.yaml says `typescript: false`,
package.json's `main` is bin/index.js.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.e2e.helpers import password_works, registry
from tests.support.paths import require_tool
from tests.support.pulumi import PulumiWorkspace

from .helpers import EXAMPLES, provider_env
from .test_environments_typescript import TSC, install_sdk

EXAMPLE = EXAMPLES / "environments-typescript"
NAME = "dev-registry"


def build(program: Path) -> None:
    """`npm install` (the packed SDK) + `npm run build` (the pinned tsc)."""
    install_sdk(program)
    result = subprocess.run(
        [require_tool("node"), str(TSC), "-p", "tsconfig.json"],
        cwd=program, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def dev_stack(pulumi, service) -> PulumiWorkspace:
    require_tool("pulumi-language-nodejs")
    ws = pulumi(EXAMPLE, stack="dev", env=provider_env(service))
    build(ws.program_dir)
    return ws


def test_up_preview_and_destroy_the_dev_stack(pulumi, service):
    ws = dev_stack(pulumi, service)

    up = ws.up()
    assert "4 created" in up.stdout, up.stdout

    found = registry(service, NAME)
    assert found is not None, f"pulumi up did not create {NAME}"
    assert found["storage"]["total_gb"] == 10
    assert found["settings"] == {
        "tag_immutability": False,
        "scan_on_push": True,
        "tag_immutability_exclusions": [],
    }

    outputs = ws.outputs(show_secrets=True)
    assert outputs["registryName"] == NAME
    assert outputs["endpoint"] == f"{service.host}/{NAME}"
    assert outputs["username"] == NAME
    assert outputs["tagImmutability"] is False
    assert outputs["image"] == f"{service.host}/{NAME}/my-app:v1.0.0"
    assert outputs["pushCommands"][-1] == f"docker push {service.host}/{NAME}/my-app:v1.0.0"
    assert password_works(service, NAME, outputs["password"])
    assert NAME in outputs["dockerConfigJson"]

    # Secrets stay secret in the stack's outputs unless asked for.
    plain = ws.outputs()
    assert plain["password"] == "[secret]"

    ws.preview("--expect-no-changes")

    destroy = ws.destroy()
    assert "4 deleted" in destroy.stdout, destroy.stdout
    assert registry(service, NAME) is None


def test_a_program_error_fails_up_with_its_message_and_creates_nothing(pulumi, service):
    """The runner reports the program's error itself and exits 32; the host turns that into a
    bail, so the user reads the program's message, not a host error about an exit code."""
    ws = dev_stack(pulumi, service)
    compiled = ws.program_dir / "bin" / "index.js"
    message = "the registry plan for dev is not approved"
    fail = f'throw new (require("@pulumi/pulumi").RunError)({message!r});\n'
    compiled.write_text(fail + compiled.read_text())

    up = ws.up(check=False)
    assert up.returncode != 0
    output = up.stdout + up.stderr
    assert f"error: {message}" in output
    assert "exited with non-zero exit code" not in output
    with service.api() as api:
        assert api.get("/registries").json() == {"registries": []}
