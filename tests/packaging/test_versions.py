"""One version, pyproject.toml's, names every artifact and is what the plugin reports."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
import zipfile

from tests.support.dist import DIST_DIR, PLUGIN_TARBALL, SERVICE_WHEEL, VERSION, artifact
from tests.support.paths import REPO_ROOT

SDK = REPO_ROOT / "sdk"


def test_schema_and_generated_sdks_carry_the_project_version() -> None:
    schema = json.loads((REPO_ROOT / "schema.json").read_text())
    assert schema["version"] == VERSION, "bring schema.json to pyproject.toml's version"
    python = tomllib.loads((SDK / "python" / "pyproject.toml").read_text())["project"]
    assert python["version"] == VERSION
    assert json.loads((SDK / "nodejs" / "package.json").read_text())["version"] == VERSION
    go_plugin = json.loads((SDK / "go" / "cloudraya" / "pulumi-plugin.json").read_text())
    assert go_plugin["version"] == VERSION


def test_examples_pin_the_sdk_version_and_the_projects_pulumi() -> None:
    pulumi_pin = next(
        dep
        for dep in tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"][
            "dependencies"
        ]
        if dep.startswith("pulumi==")
    )
    for requirements in sorted((REPO_ROOT / "examples").glob("*/requirements.txt")):
        pins = [
            line for line in requirements.read_text().splitlines() if line.startswith("pulumi==")
        ]
        assert pins == [pulumi_pin], requirements
    package = json.loads((REPO_ROOT / "examples/environments-typescript/package.json").read_text())
    assert package["dependencies"]["@cloudraya/pulumi-cloudraya"] == VERSION


def test_dist_holds_only_artifacts_of_this_version() -> None:
    artifact(PLUGIN_TARBALL)
    stale = [
        path.name for path in DIST_DIR.iterdir()
        if not re.search(rf"[-_]v?{re.escape(VERSION)}([-.]|$)", path.name)
    ]  # fmt: skip
    assert stale == [], f"dist/ holds artifacts of another version: {stale}"


def test_bundled_plugin_reports_the_version_over_grpc(tmp_path) -> None:
    """GetPluginInfo, asked of the plugin unpacked from the tarball (the engine's question)."""
    subprocess.run(["tar", "-xzf", str(artifact(PLUGIN_TARBALL)), "-C", str(tmp_path)], check=True)
    import grpc
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import provider_pb2_grpc

    plugin = subprocess.Popen(
        [str(tmp_path / "pulumi-resource-cloudraya"), "127.0.0.1:1"],
        stdout=subprocess.PIPE, text=True, env={"PATH": "/nonexistent"},
    )  # fmt: skip
    try:
        assert plugin.stdout is not None
        port = int(plugin.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=60)
        assert info.version == VERSION
    finally:
        plugin.terminate()
        plugin.wait(timeout=30)


def test_service_wheel_declares_the_version_and_carries_its_run_time_files() -> None:
    with zipfile.ZipFile(artifact(SERVICE_WHEEL)) as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(f"cloudraya-{VERSION}.dist-info/METADATA").decode()
        entry_points = wheel.read(f"cloudraya-{VERSION}.dist-info/entry_points.txt").decode()
    assert f"\nVersion: {VERSION}\n" in metadata
    assert "cloudraya-registry = cloudraya_registry.cli:main" in entry_points
    assert "pulumi-resource-cloudraya = cloudraya_provider.main:main" in entry_points
    # Files the service and the provider read at run time, beside their modules.
    assert any(n.startswith("cloudraya_registry/db/migrations/versions/0001") for n in names)
