"""Malformed requests get a clear 4xx in the error format; logs are structured and secret-free."""

from __future__ import annotations

import json

import httpx

from tests.support.service import RegistryService

SECRET_PASSWORD = "Never-Logged-Pass-9"


def test_invalid_json_body_is_a_400_saying_so(control_service: RegistryService) -> None:
    with control_service.api() as api:
        response = api.post(
            "/registries", content=b'{"name": ', headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_ARGUMENT"
    assert response.json()["error"]["message"].startswith("request body is not valid JSON")


def test_body_that_is_not_an_object_is_refused(control_service: RegistryService) -> None:
    with control_service.api() as api:
        array = api.post("/registries", json=["dev-registry"])
        text = api.post("/registries", content=b"name=dev", headers={"Content-Type": "text/plain"})
    for response in (array, text):
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "INVALID_ARGUMENT"
        assert "Traceback" not in response.text


def test_unknown_path_and_wrong_method_use_the_error_format(
    control_service: RegistryService,
) -> None:
    with control_service.api() as api:
        unknown = api.get("/no-such-thing")
        method = api.put("/registries")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "NOT_FOUND"
    assert method.status_code == 405
    assert method.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert set(method.headers["allow"].split(", ")) >= {"GET", "POST"}


def test_health_and_request_id(control_service: RegistryService) -> None:
    response = httpx.get(f"{control_service.url}/healthz")
    assert response.json() == {"status": "ok"}
    assert len(response.headers["x-request-id"]) >= 8
    echoed = httpx.get(
        f"{control_service.url}/healthz", headers={"X-Request-Id": "client-chosen-id-1"}
    )
    assert echoed.headers["x-request-id"] == "client-chosen-id-1"


def test_logs_are_json_lines_with_request_fields_and_no_secrets(
    control_service: RegistryService,
) -> None:
    control_service.create_registry("dev-registry", password=SECRET_PASSWORD)
    with control_service.api() as api:
        reset = api.post("/registries/dev-registry/password").json()["password"]
        tagged = api.get("/registries/dev-registry", headers={"X-Request-Id": "trace-me-12345"})
    httpx.get(f"{control_service.url}/v2/", auth=("dev-registry", reset))
    httpx.get(f"{control_service.url}/v2/", auth=("dev-registry", SECRET_PASSWORD))
    control_service.stop()

    log = control_service.log_text()
    for secret in (SECRET_PASSWORD, reset, control_service.token):
        assert secret not in log
    assert "Authorization" not in log and "authorization" not in log

    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    requests = [r for r in records if r.get("msg") == "request"]
    traced = [r for r in requests if r.get("request_id") == "trace-me-12345"]
    assert tagged.status_code == 200
    assert len(traced) == 1
    entry = traced[0]
    assert entry["method"] == "GET"
    assert entry["route"] == "/api/v1/registries/{name}"
    assert entry["status"] == 200
    assert entry["bytes_out"] == len(tagged.content)
    assert isinstance(entry["duration_ms"], float | int)
    data_plane = [r for r in requests if str(r.get("route", "")).startswith("/v2")]
    assert {r["status"] for r in data_plane} >= {200, 401}
