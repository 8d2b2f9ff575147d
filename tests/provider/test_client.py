"""The API client: retries, and error messages that say what failed without leaking secrets."""

from __future__ import annotations

import httpx
import pytest
from cloudraya_provider.client import ApiError, NotFound, OutcomeUnknown, Unreachable

from .fakes import TOKEN, FakeService


def test_idempotent_read_is_retried_after_a_server_error():
    fake = FakeService()
    fake.client().create_registry("dev-registry", storage_gb=10, password="Initial-Passw0rd-1")
    fake.fail("GET", "/api/v1/registries/dev-registry", httpx.Response(503))

    info = fake.client().get_registry("dev-registry")

    assert info.name == "dev-registry"
    assert fake.calls("GET").count("GET /api/v1/registries/dev-registry") == 2


def test_idempotent_call_is_retried_after_a_connection_error():
    fake = FakeService()
    fake.client().create_registry("dev-registry", storage_gb=10, password="Initial-Passw0rd-1")
    fake.fail("PUT", r".*/storage", httpx.ConnectError("refused"))

    assert fake.client().resize_storage("dev-registry", 20).storage_gb == 20


def test_create_is_not_repeated_by_the_client_after_a_server_error():
    fake = FakeService()
    fake.fail("POST", "/api/v1/registries", httpx.Response(503, json={}))

    with pytest.raises(OutcomeUnknown) as failure:
        fake.client().create_registry("dev-registry", storage_gb=10, password="Initial-Passw0rd-1")

    assert fake.calls("POST") == ["POST /api/v1/registries"]
    assert "503" in failure.value.reason


def test_error_names_registry_call_and_service_message_but_not_the_password():
    fake = FakeService()
    client = fake.client()
    client.create_registry("dev-registry", storage_gb=20, password="Secret-Passw0rd!")

    with pytest.raises(ApiError) as failure:
        client.resize_storage("dev-registry", 10)

    message = str(failure.value)
    assert 'registry "dev-registry"' in message
    assert "resize storage (PUT /api/v1/registries/dev-registry/storage)" in message
    assert "FAILED_PRECONDITION" in message
    assert "dev-registry has 20 GB; requested 10 GB" in message
    assert "Secret-Passw0rd!" not in message
    assert TOKEN not in message


def test_missing_registry_is_not_found():
    with pytest.raises(NotFound):
        FakeService().client().get_registry("nope-registry")
    assert FakeService().client().find_registry("nope-registry") is None


def test_wrong_token_error_points_at_the_config_key():
    fake = FakeService()
    client = fake.client()
    client._http.headers["Authorization"] = "Bearer wrong"

    with pytest.raises(ApiError) as failure:
        client.check_access()

    assert "401" in str(failure.value)
    assert "cloudraya:apiToken" in str(failure.value)
    assert "CLOUDRAYA_API_TOKEN" in str(failure.value)


def test_unreachable_service_is_reported_after_retries():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    from cloudraya_provider.client import CloudRayaClient

    waits: list[float] = []
    client = CloudRayaClient(
        "http://127.0.0.1:9", TOKEN, transport=httpx.MockTransport(refuse), sleep=waits.append
    )
    with pytest.raises(Unreachable) as failure:
        client.check_access()

    assert "cannot connect to http://127.0.0.1:9" in str(failure.value)
    assert waits == [0.5, 1.0, 2.0]
