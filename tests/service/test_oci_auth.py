"""Data-plane access: a registry's credentials work in that registry only, Basic or bearer."""

from __future__ import annotations

import time

import httpx
import jwt

from tests.service.oci_helpers import (
    PASSWORD,
    OciClient,
    make_image,
    oci_error_codes,
    oci_error_message,
    registry_with_client,
)
from tests.support.service import RegistryService


def _token(service: RegistryService, user: str, password: str, *scopes: str) -> httpx.Response:
    return httpx.get(
        f"{service.url}/auth/token",
        params=[("service", service.host), *[("scope", s) for s in scopes]],
        auth=(user, password),
        timeout=30,
    )


def test_credentials_of_one_registry_get_nothing_in_another(service: RegistryService) -> None:
    alpha = registry_with_client(service, "alpha-registry")
    beta = registry_with_client(service, "beta-registry")
    image = make_image(1000)
    assert beta.push_image("beta-registry/app", image, "v1").status_code == 201
    assert alpha.push_image("alpha-registry/app", make_image(10), "v1").status_code == 201

    target = "beta-registry/app"
    attempts = {
        "manifest GET": alpha.http.get(f"/v2/{target}/manifests/v1"),
        "manifest HEAD": alpha.http.head(f"/v2/{target}/manifests/v1"),
        "manifest PUT": alpha.put_manifest(target, "v2", image.manifest),
        "manifest DELETE": alpha.http.delete(f"/v2/{target}/manifests/{image.digest}"),
        "blob GET": alpha.get_blob(target, image.digest),
        "blob DELETE": alpha.http.delete(f"/v2/{target}/blobs/{image.digest}"),
        "upload POST": alpha.start_upload(target),
        "tags list": alpha.http.get(f"/v2/{target}/tags/list"),
        "referrers": alpha.http.get(f"/v2/{target}/referrers/{image.digest}"),
    }
    for what, response in attempts.items():
        assert response.status_code in (401, 403), (what, response.status_code, response.text)
        if what != "manifest HEAD":
            assert oci_error_codes(response)[0] in ("UNAUTHORIZED", "DENIED"), what
    assert "beta-registry" in oci_error_message(attempts["manifest GET"])

    # Mounting a blob from the other registry never links it: a normal upload session starts.
    mount = alpha.http.post(
        "/v2/alpha-registry/app/blobs/uploads/",
        params={"mount": image.digest, "from": target},
    )
    assert mount.status_code == 202
    assert alpha.get_blob("alpha-registry/app", image.digest).status_code == 404

    # Nothing changed in beta; the catalog of each registry shows only its own repositories.
    assert beta.get_manifest(target, "v1").content == image.manifest
    assert alpha.http.get("/v2/_catalog").json() == {"repositories": ["alpha-registry/app"]}
    assert beta.http.get("/v2/_catalog").json() == {"repositories": ["beta-registry/app"]}


def test_missing_or_wrong_credentials_get_a_bearer_challenge(service: RegistryService) -> None:
    service.create_registry("dev-registry", password=PASSWORD)
    anonymous = httpx.get(f"{service.url}/v2/dev-registry/app/tags/list", timeout=30)
    assert anonymous.status_code == 401
    assert oci_error_codes(anonymous) == ["UNAUTHORIZED"]
    challenge = anonymous.headers["WWW-Authenticate"]
    assert challenge.startswith(f'Bearer realm="{service.url}/auth/token"')
    assert f'service="{service.host}"' in challenge
    assert 'scope="repository:dev-registry/app:pull"' in challenge
    assert anonymous.headers["Docker-Distribution-API-Version"] == "registry/2.0"

    wrong = httpx.get(
        f"{service.url}/v2/dev-registry/app/tags/list",
        auth=("dev-registry", "Not-The-Password-9"),
        timeout=30,
    )
    assert wrong.status_code == 401
    assert oci_error_codes(wrong) == ["UNAUTHORIZED"]
    assert httpx.get(f"{service.url}/v2/", auth=("no-such-registry", PASSWORD)).status_code == 401


def test_token_flow_grants_only_the_registry_own_scopes(service: RegistryService) -> None:
    owner = registry_with_client(service, "dev-registry")
    registry_with_client(service, "other-registry").push_image(
        "other-registry/app", make_image(10), "v1"
    )
    image = make_image(2000)

    issued = _token(
        service,
        "dev-registry",
        PASSWORD,
        "repository:dev-registry/app:pull,push",
        "repository:other-registry/app:pull",
    )
    assert issued.status_code == 200
    token = issued.json()["token"]
    assert issued.json()["access_token"] == token
    assert issued.json()["expires_in"] > 0

    with OciClient(service, token=token) as client:
        bearer = client.http
        assert client.push_image("dev-registry/app", image, "v1").status_code == 201
        assert client.get_manifest("dev-registry/app", "v1").content == image.manifest
        # The other registry's scope was dropped from the token.
        foreign = bearer.get("/v2/other-registry/app/manifests/v1")
        assert foreign.status_code in (401, 403)
        # A repository the token was not issued for gets a challenge for the right scope.
        unscoped = bearer.get("/v2/dev-registry/elsewhere/tags/list")
        assert unscoped.status_code == 401
        assert (
            'scope="repository:dev-registry/elsewhere:pull"' in unscoped.headers["WWW-Authenticate"]
        )
    assert owner.get_manifest("dev-registry/app", "v1").status_code == 200

    assert _token(service, "dev-registry", "Wrong-Password-77").status_code == 401
    assert httpx.get(f"{service.url}/auth/token", timeout=30).status_code == 401


def test_password_reset_kills_existing_bearer_tokens(service: RegistryService) -> None:
    service.create_registry("dev-registry", password=PASSWORD)
    token = _token(
        service, "dev-registry", PASSWORD, "repository:dev-registry/app:pull,push"
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    before = httpx.post(f"{service.url}/v2/dev-registry/app/blobs/uploads/", headers=headers)
    assert before.status_code == 202

    with service.api() as api:
        reset = api.post("/registries/dev-registry/password", json={"password": "New-Pass-word-2"})
    assert reset.status_code == 200

    after = httpx.get(f"{service.url}/v2/dev-registry/app/tags/list", headers=headers)
    assert after.status_code == 401
    assert oci_error_codes(after) == ["UNAUTHORIZED"]
    assert "password reset" in oci_error_message(after)
    # Basic auth with the old password is refused too; the new one works.
    assert httpx.get(f"{service.url}/v2/", auth=("dev-registry", PASSWORD)).status_code == 401
    assert (
        httpx.get(f"{service.url}/v2/", auth=("dev-registry", "New-Pass-word-2")).status_code == 200
    )


def test_a_token_accepted_before_is_refused_once_it_expires(service) -> None:
    """Tokens already checked are remembered for speed; expiry still counts on every request."""
    service.create_registry("dev-registry", password=PASSWORD)
    issued = _token(service, "dev-registry", PASSWORD, "repository:dev-registry/app:pull").json()
    claims = jwt.decode(issued["token"], options={"verify_signature": False})
    claims["exp"] = int(time.time()) + 2
    short_lived = jwt.encode(claims, service.state.token_signing_key, algorithm="HS256")
    headers = {"Authorization": f"Bearer {short_lived}"}
    assert httpx.get(f"{service.url}/v2/", headers=headers, timeout=30).status_code == 200
    time.sleep(max(claims["exp"] - time.time(), 0) + 0.2)
    expired = httpx.get(f"{service.url}/v2/", headers=headers, timeout=30)
    assert expired.status_code == 401
    assert "token expired" in oci_error_message(expired)
    tampered = short_lived[:-2] + ("AA" if not short_lived.endswith("AA") else "BB")
    refused = httpx.get(
        f"{service.url}/v2/", headers={"Authorization": f"Bearer {tampered}"}, timeout=30
    )
    assert refused.status_code == 401
    assert "token invalid" in oci_error_message(refused)


def test_failed_credential_uses_are_audited_without_the_secret(service: RegistryService) -> None:
    service.create_registry("dev-registry", password=PASSWORD)
    wrong_password = "Guessed-Password-42"
    response = httpx.get(
        f"{service.url}/v2/dev-registry/app/manifests/latest",
        auth=("dev-registry", wrong_password),
        timeout=30,
    )
    assert response.status_code == 401
    assert _token(service, "dev-registry", wrong_password).status_code == 401
    service.state.flush_counters()  # repeated failures are counted in batches

    with service.api() as api:
        audit = api.get("/registries/dev-registry/audit")
    assert audit.status_code == 200
    failures = [e for e in audit.json()["events"] if e["action"] == "credential.failure"]
    assert sum(e["count"] for e in failures) == 2, audit.json()
    assert all(e["outcome"] == "failure" for e in failures)
    assert all(e["source_ip"] == "127.0.0.1" for e in failures)
    assert wrong_password not in audit.text
    assert wrong_password not in service.log_text()


def test_repeated_wrong_passwords_are_throttled(service: RegistryService) -> None:
    service.create_registry("dev-registry", password=PASSWORD)
    statuses = [
        httpx.get(f"{service.url}/v2/", auth=("dev-registry", f"Guess-Number-{i:03d}")).status_code
        for i in range(12)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    # While throttled even the right password waits, so guessing cannot continue.
    throttled = httpx.get(f"{service.url}/v2/", auth=("dev-registry", PASSWORD))
    assert throttled.status_code == 429
    assert oci_error_codes(throttled) == ["TOOMANYREQUESTS"]
    assert int(throttled.headers["Retry-After"]) > 0
    assert "try again in" in oci_error_message(throttled)
    # Other registries' users are not affected.
    service.create_registry("other-registry", password=PASSWORD)
    assert httpx.get(f"{service.url}/v2/", auth=("other-registry", PASSWORD)).status_code == 200


def test_data_plane_is_not_in_the_openapi_document(service: RegistryService) -> None:
    with service.api() as api:
        document = api.get("/openapi.json").json()
    assert not [p for p in document["paths"] if p.startswith(("/v2", "/auth"))]


def test_a_token_dies_with_its_registry_even_if_the_name_comes_back(service_factory) -> None:
    """Regression: a token named the registry, not the instance; after a delete and a new
    registry of the same name (another project) it still pulled and pushed for 5 minutes."""
    from tests.service.test_control_projects import create_project_token

    service = service_factory()
    service.create_registry("dev-registry", password=PASSWORD)
    token = _token(
        service, "dev-registry", PASSWORD, "repository:dev-registry/app:pull,push,delete"
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(
        f"{service.url}/v2/dev-registry/app/tags/list", headers=headers
    ).status_code in (
        200,
        404,
    )
    with service.api() as api:
        assert api.delete("/registries/dev-registry?confirm=dev-registry").status_code == 204
    other_project = create_project_token(service, "team-b")
    with service.api(token=other_project) as api:
        created = api.post("/registries", json={"name": "dev-registry", "password": PASSWORD})
    assert created.status_code == 201

    for method, path in (
        ("GET", "/v2/dev-registry/app/tags/list"),
        ("POST", "/v2/dev-registry/app/blobs/uploads/"),
        ("GET", "/v2/_catalog"),
    ):
        response = httpx.request(method, f"{service.url}{path}", headers=headers)
        assert response.status_code == 401, (method, path, response.text)
        assert "no longer exists" in oci_error_message(response)
