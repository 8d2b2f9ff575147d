"""The push command helper: commands that work as printed, with docker or podman."""

from __future__ import annotations

import pytest

from tests.support.service import RegistryService


def test_push_command_names_the_host_for_login_and_the_endpoint_for_the_image(
    control_service: RegistryService,
) -> None:
    control_service.create_registry("dev-registry")
    with control_service.api() as api:
        response = api.get(
            "/registries/dev-registry/push-command",
            params={"repository": "team/my-app", "tag": "v1.2.3"},
        )
    assert response.status_code == 200
    body = response.json()
    host = control_service.host
    image = f"{host}/dev-registry/team/my-app:v1.2.3"
    assert body["registry"] == "dev-registry"
    assert body["repository"] == "team/my-app"
    assert body["image"] == image
    assert body["login"] == f"docker login {host} -u dev-registry"
    assert body["build"] == "docker build -t team/my-app:v1.2.3 ."
    assert body["tag"] == f"docker tag team/my-app:v1.2.3 {image}"
    assert body["push"] == f"docker push {image}"
    assert body["commands"] == [body["login"], body["build"], body["tag"], body["push"]]
    assert body["plain_http"] is True


def test_push_command_defaults_to_an_example_repository(control_service: RegistryService) -> None:
    control_service.create_registry("dev-registry")
    with control_service.api() as api:
        body = api.get("/registries/dev-registry/push-command").json()
    assert body["image"] == f"{control_service.host}/dev-registry/my-app:v1.0.0"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"repository": "My-App"}, "repository"),
        ({"repository": "app/"}, "repository"),
        ({"tag": "-bad"}, "tag"),
        ({"tag": "a" * 129}, "tag"),
        ({"tag": "v1;rm -rf /"}, "tag"),
    ],
)
def test_invalid_repository_or_tag_is_refused(
    control_service: RegistryService, params: dict, field: str
) -> None:
    control_service.create_registry("dev-registry")
    with control_service.api() as api:
        response = api.get("/registries/dev-registry/push-command", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(f"{field}: must be")
