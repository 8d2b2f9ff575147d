"""The pinned CLI runs YAML and Python programs offline: up, no-change preview, destroy."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.support.pulumi import PulumiWorkspace

PROGRAMS = Path(__file__).parent / "programs"

Workspace = Callable[..., PulumiWorkspace]


def isolated(pulumi: Workspace, program: str, tmp_path: Path) -> PulumiWorkspace:
    """A workspace whose HOME is empty, so any use of ~/.pulumi would show."""
    return pulumi(PROGRAMS / program, env={"HOME": str(tmp_path / "home")})


def config_set(ws: PulumiWorkspace, key: str, value: str, secret: bool = False) -> None:
    """`pulumi config set` with the value before any flag (values here never start with '-')."""
    ws.run("config", "set", key, value, "--secret" if secret else "--plaintext")


def resources(ws: PulumiWorkspace) -> list[dict]:
    return ws.export()["deployment"].get("resources") or []


def assert_home_untouched(tmp_path: Path) -> None:
    assert not (tmp_path / "home" / ".pulumi").exists(), "the CLI wrote to ~/.pulumi"


def test_yaml_program_up_preview_destroy(pulumi: Workspace, tmp_path: Path) -> None:
    ws = isolated(pulumi, "yaml-outputs", tmp_path)
    config_set(ws, "greeting", "hi")

    ws.up()
    assert ws.outputs() == {
        "message": "hi, registries",
        "environments": ["dev", "staging", "prod"],
        "stack": "test",
    }

    preview = ws.preview("--expect-no-changes")
    assert "1 unchanged" in preview.stdout

    ws.destroy()
    assert resources(ws) == []
    assert_home_untouched(tmp_path)


def test_python_program_up_preview_destroy(pulumi: Workspace, tmp_path: Path) -> None:
    ws = isolated(pulumi, "python-component", tmp_path)
    config_set(ws, "environments", "dev,staging,prod")
    config_set(ws, "token", "smoke-token-value", secret=True)

    ws.up()
    outputs = ws.outputs()
    assert outputs["count"] == 3
    assert outputs["endpoints"] == {
        "dev": "127.0.0.1:5000/dev-registry",
        "staging": "127.0.0.1:5000/staging-registry",
        "prod": "127.0.0.1:5000/prod-registry",
    }
    assert outputs["token"] == "[secret]"
    assert ws.outputs(show_secrets=True)["token"] == "smoke-token-value"

    state = resources(ws)
    by_type: dict[str, list[str]] = {}
    for res in state:
        by_type.setdefault(res["type"], []).append(res["urn"].rsplit("::", 1)[-1])
    assert sorted(by_type["smoke:index:Environment"]) == ["dev", "prod", "staging"]
    assert by_type["smoke:index:Fleet"] == ["fleet"]
    assert "smoke-token-value" not in json.dumps(state), "a secret reached the state in plaintext"

    preview = ws.preview("--expect-no-changes")
    assert "5 unchanged" in preview.stdout

    ws.destroy()
    assert resources(ws) == []
    assert_home_untouched(tmp_path)


def test_python_program_error_fails_the_update_with_its_message(
    pulumi: Workspace, tmp_path: Path
) -> None:
    ws = isolated(pulumi, "python-component", tmp_path)
    (ws.program_dir / "__main__.py").write_text(
        'raise ValueError("environments must not be empty")\n'
    )

    result = ws.up(check=False)
    assert result.returncode != 0
    assert "ValueError: environments must not be empty" in result.stdout + result.stderr


def test_gen_sdk_python_through_the_python_host(pulumi: Workspace, tmp_path: Path) -> None:
    ws = isolated(pulumi, "python-component", tmp_path)
    schema = {
        "name": "smokepkg",
        "version": "1.2.3",
        "resources": {
            "smokepkg:index:Widget": {
                "properties": {"size": {"type": "integer"}},
                "inputProperties": {"size": {"type": "integer"}},
                "requiredInputs": ["size"],
            }
        },
    }
    (ws.program_dir / "schema.json").write_text(json.dumps(schema))

    ws.run("package", "gen-sdk", "schema.json", "--language", "python", "--out", "gen", stack=False)

    package = ws.program_dir / "gen" / "python" / "pulumi_smokepkg"
    assert "class Widget(pulumi.CustomResource)" in (package / "widget.py").read_text()
    plugin = json.loads((package / "pulumi-plugin.json").read_text())
    assert plugin["resource"] is True
    assert plugin["name"] == "smokepkg"
