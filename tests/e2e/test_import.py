"""`pulumi import` of each resource type yields state whose next preview shows no changes."""

from __future__ import annotations

import pytest

from .helpers import PROGRAMS, password_works, provider_env, registry

IMPORTS = [
    ("cloudraya:index:Registry", "legacy", "legacy-registry"),
    ("cloudraya:index:RegistrySettings", "legacy-settings", "legacy-registry"),
    ("cloudraya:index:RegistryPassword", "legacy-password", "legacy-registry"),
]


@pytest.mark.parametrize("language", ["yaml", "python"])
def test_imported_resources_show_no_changes(pulumi, service, language):
    created = service.create_registry("legacy-registry", storage_gb=20)
    with service.api() as api:
        api.patch(
            "/registries/legacy-registry/settings",
            json={"tag_immutability": True, "scan_on_push": True},
        ).raise_for_status()
    ws = pulumi(PROGRAMS / f"import-{language}", stack="import", env=provider_env(service))

    for type_token, name, resource_id in IMPORTS:
        ws.import_(type_token, name, resource_id)

    state = ws.export()["deployment"]["resources"]
    assert {r["type"] for r in state} >= {token for token, _, _ in IMPORTS}
    result = ws.preview("--expect-no-changes")
    assert "4 unchanged" in result.stdout  # the stack and the three, result.stdout
    ws.up()

    # Importing never rotates: the password the registry was created with still works.
    assert password_works(service, "legacy-registry", created["password"])
    assert registry(service, "legacy-registry")["storage"]["total_gb"] == 20
