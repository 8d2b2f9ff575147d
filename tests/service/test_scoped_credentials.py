"""Scoped credentials on the data plane: pull-only, push with repository globs, expiry and
revocation (including bearer tokens issued before it)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from cloudraya_registry.db.models import RegistryCredential
from sqlalchemy import update

from tests.service.oci_helpers import OciClient, make_image, oci_error_codes, registry_with_client
from tests.support.inprocess import InProcessService

REGISTRY = "team-registry"


def _credential(service: InProcessService, name: str, **body) -> dict:
    with service.api() as api:
        response = api.post(f"/registries/{REGISTRY}/credentials", json={"name": name, **body})
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()


def _token(service: InProcessService, credential: dict, scope: str) -> str:
    response = httpx.get(
        f"{service.url}/auth/token",
        params={"scope": scope, "service": "registry"},
        auth=(credential["username"], credential["password"]),
    )
    assert response.status_code == 200, response.text
    return response.json()["token"]


@pytest.fixture
def owner(service: InProcessService) -> OciClient:
    client = registry_with_client(service, REGISTRY)
    assert client.push_image(f"{REGISTRY}/app", make_image(100), "v1").status_code == 201
    return client


def test_pull_credential_pulls_but_cannot_push_or_delete(
    service: InProcessService, owner: OciClient
) -> None:
    credential = _credential(service, "puller", access="pull")
    assert credential["username"] == f"{REGISTRY}+puller"
    reader = OciClient(service, credential["username"], credential["password"])
    assert reader.get_manifest(f"{REGISTRY}/app", "v1").status_code == 200

    pushed = reader.push_blob(f"{REGISTRY}/app", b"layer")
    assert pushed.status_code == 403
    assert oci_error_codes(pushed) == ["DENIED"]
    assert "pull access only" in pushed.text
    deleted = reader.http.delete(f"/v2/{REGISTRY}/app/manifests/v1")
    assert deleted.status_code == 403
    assert "only the registry's own password may delete" in deleted.text

    # A token asked for push carries pull only; using it to push is refused the same way.
    token = _token(service, credential, f"repository:{REGISTRY}/app:pull,push")
    with OciClient(service, token=token) as bearer:
        assert bearer.get_manifest(f"{REGISTRY}/app", "v1").status_code == 200
        refused = bearer.http.post(f"/v2/{REGISTRY}/app/blobs/uploads/")
        assert refused.status_code == 403
        assert oci_error_codes(refused) == ["DENIED"]


def test_push_credential_acts_only_in_its_repositories_and_is_audited(
    service: InProcessService, owner: OciClient
) -> None:
    credential = _credential(service, "ci", access="push", repositories=["team/*"])
    writer = OciClient(service, credential["username"], credential["password"])
    assert writer.push_image(f"{REGISTRY}/team/api", make_image(50), "v2").status_code == 201
    outside = writer.get_manifest(f"{REGISTRY}/app", "v1")
    assert outside.status_code == 403
    assert "team/*" in outside.text
    with service.api() as api:
        events = api.get(f"/registries/{REGISTRY}/audit").json()["events"]
        listed = api.get(f"/registries/{REGISTRY}/credentials").json()["credentials"]
    pushes = [e for e in events if e["action"] == "artifact.push"]
    assert [e["actor"] for e in pushes] == [f"{REGISTRY}+ci"]
    assert [c["name"] for c in listed] == ["ci"]
    assert "password" not in listed[0]


def test_revocation_stops_passwords_and_tokens_already_issued(
    service: InProcessService, owner: OciClient
) -> None:
    credential = _credential(service, "deploy", access="pull")
    token = _token(service, credential, f"repository:{REGISTRY}/app:pull")
    with OciClient(service, token=token) as bearer:
        assert bearer.get_manifest(f"{REGISTRY}/app", "v1").status_code == 200
        with service.api() as api:
            assert api.delete(f"/registries/{REGISTRY}/credentials/deploy").status_code == 204
            assert api.get(f"/registries/{REGISTRY}/credentials/deploy").status_code == 404
        revoked = bearer.get_manifest(f"{REGISTRY}/app", "v1")
    assert revoked.status_code == 401
    assert "revoked" in revoked.text
    reader = OciClient(service, credential["username"], credential["password"])
    assert reader.get_manifest(f"{REGISTRY}/app", "v1").status_code == 401


def test_expired_credential_and_its_tokens_are_refused(
    service: InProcessService, owner: OciClient
) -> None:
    credential = _credential(service, "temp", access="pull", expires_at="2099-01-01T00:00:00Z")
    token = _token(service, credential, f"repository:{REGISTRY}/app:pull")
    assert service.state is not None
    with service.state.db.write() as session:
        session.execute(
            update(RegistryCredential)
            .where(RegistryCredential.name == "temp")
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    reader = OciClient(service, credential["username"], credential["password"])
    refused = reader.get_manifest(f"{REGISTRY}/app", "v1")
    assert refused.status_code == 401
    assert "expired" in refused.text
    with OciClient(service, token=token) as bearer:
        assert bearer.get_manifest(f"{REGISTRY}/app", "v1").status_code == 401


def test_rotation_replaces_the_password(service: InProcessService, owner: OciClient) -> None:
    credential = _credential(service, "bot", access="pull")
    with service.api() as api:
        rotated = api.post(f"/registries/{REGISTRY}/credentials/bot/rotate").json()
    old = OciClient(service, credential["username"], credential["password"])
    new = OciClient(service, rotated["username"], rotated["password"])
    assert old.get_manifest(f"{REGISTRY}/app", "v1").status_code == 401
    assert new.get_manifest(f"{REGISTRY}/app", "v1").status_code == 200


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"name": "Bad_Name", "access": "pull"}, "not a credential name"),
        ({"name": "x", "access": "delete"}, "pull"),
        ({"name": "x", "access": "pull", "repositories": ["App"]}, "not a repository pattern"),
        ({"name": "x", "access": "pull", "expires_at": "2001-01-01T00:00:00Z"}, "in the past"),
        ({"name": "x", "access": "pull", "expires_at": "2030-01-01T00:00:00"}, "time zone"),
        ({"name": "x", "access": "pull", "expires_at": "9999-12-31T23:59:59-14:00"}, "range"),
    ],
)
def test_bad_credential_requests_say_what_is_allowed(
    service: InProcessService, body: dict, words: str
) -> None:
    service.create_registry(REGISTRY, password="Data-Plane-Pass-1")
    with service.api() as api:
        response = api.post(f"/registries/{REGISTRY}/credentials", json=body)
    assert response.status_code == 400, response.text
    assert words in response.text


def test_a_second_credential_of_the_same_name_conflicts(service: InProcessService) -> None:
    service.create_registry(REGISTRY, password="Data-Plane-Pass-1")
    _credential(service, "ci", access="pull")
    with service.api() as api:
        again = api.post(
            f"/registries/{REGISTRY}/credentials", json={"name": "ci", "access": "push"}
        )
    assert again.status_code == 409
