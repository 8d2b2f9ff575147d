"""/healthz, /readyz and /metrics as an operator and a Prometheus scraper see them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.service.oci_helpers import PASSWORD, make_image, registry_with_client, sha256
from tests.support.inprocess import InProcessService
from tests.support.postgres import PostgresServer
from tests.support.service import RegistryService


def scrape(service) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``/metrics``, parsed by prometheus_client's own text parser."""
    response = httpx.get(f"{service.url}/metrics", timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_healthz_and_readyz_answer_when_database_and_storage_do(service: InProcessService):
    assert httpx.get(f"{service.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{service.url}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "storage": "ok"}}


def test_readyz_names_missing_blob_storage_and_recovers(service: InProcessService):
    blobs = service.data_dir / "blobs"
    moved = service.data_dir / "blobs-away"
    blobs.rename(moved)
    try:
        answer = httpx.get(f"{service.url}/readyz")
        assert answer.status_code == 503
        assert answer.json()["status"] == "unavailable"
        assert answer.json()["checks"]["database"] == "ok"
        assert answer.json()["checks"]["storage"].startswith("unreachable")
        assert httpx.get(f"{service.url}/healthz").status_code == 200  # alive, not ready
    finally:
        moved.rename(blobs)
    assert httpx.get(f"{service.url}/readyz").status_code == 200


def test_readyz_names_an_unreachable_database_without_its_url(
    service_factory: Callable[..., InProcessService], postgres_server: PostgresServer
):
    url = postgres_server.new_database()
    service = service_factory(database_url=url)
    name = url.rsplit("/", 1)[1]
    admin = f"postgresql://{postgres_server.user}@127.0.0.1:{postgres_server.port}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        try:
            answer = httpx.get(f"{service.url}/readyz", timeout=30)
            assert answer.status_code == 503, answer.text
            assert answer.json()["checks"]["storage"] == "ok"
            assert answer.json()["checks"]["database"].startswith("unreachable")
            assert name not in answer.text and str(postgres_server.port) not in answer.text
        finally:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    assert httpx.get(f"{service.url}/readyz", timeout=30).status_code == 200


def test_token_endpoint_is_counted_by_name_and_refuses_other_methods(
    service: InProcessService,
):
    """The data plane answers /auth/token ahead of the framework's routes: it still shows in
    the metrics under its own name, and a method it does not serve gets a 405 naming the
    ones it does."""
    service.create_registry("token-reg", password=PASSWORD)
    before = scrape(service)
    issued = httpx.get(f"{service.url}/auth/token", auth=("token-reg", PASSWORD), timeout=30)
    assert issued.status_code == 200 and issued.json()["token"]
    refused = httpx.put(f"{service.url}/auth/token", timeout=30)
    assert refused.status_code == 405
    assert refused.headers["Allow"] == "GET, POST"
    assert refused.json()["errors"][0]["code"] == "UNSUPPORTED"
    after = scrape(service)
    requests = "cloudraya_http_requests_total"
    for method, status in (("GET", "200"), ("PUT", "405")):
        labels = {"method": method, "route": "/auth/token", "status": status}
        assert value(after, requests, **labels) - value(before, requests, **labels) == 1


def test_metrics_count_requests_by_route_template_status_and_bytes(service: InProcessService):
    client = registry_with_client(service, "metrics-reg")
    image = make_image(3000, 5000)
    before = scrape(service)
    with client:
        assert client.push_image("metrics-reg/app", image, "v1").status_code == 201
        for _ in range(3):
            assert client.get_manifest("metrics-reg/app", "v1").status_code == 200
        assert client.get_manifest("metrics-reg/app", "nope").status_code == 404
        pulled = client.get_blob("metrics-reg/app", sha256(image.layers[0]))
        assert pulled.content == image.layers[0]
    after = scrape(service)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    manifest = "/v2/{name}/manifests/{reference}"
    requests = "cloudraya_http_requests_total"
    assert delta(requests, method="GET", route=manifest, status="200") == 3
    assert delta(requests, method="GET", route=manifest, status="404") == 1
    assert delta(requests, method="PUT", route=manifest, status="201") == 1
    assert delta(requests, method="POST", route="/v2/{name}/blobs/uploads/", status="201") == 3
    latency = "cloudraya_http_request_duration_seconds_count"
    assert delta(latency, method="GET", route=manifest) == 4
    assert (
        delta(
            "cloudraya_http_request_duration_seconds_bucket",
            method="GET",
            route=manifest,
            le="+Inf",
        )
        == 4
    )
    uploads = "/v2/{name}/blobs/uploads/"
    assert delta("cloudraya_http_request_bytes_total", method="POST", route=uploads) == (
        image.total_size
    )
    blob = "/v2/{name}/blobs/{digest}"
    assert delta("cloudraya_http_response_bytes_total", method="GET", route=blob) == len(
        image.layers[0]
    )
    # the control plane is counted by its route template, never by a registry's name
    assert delta(requests, method="GET", route="/metrics", status="200") == 1
    assert "metrics-reg" not in httpx.get(f"{service.url}/metrics").text


def test_metrics_count_login_failures_and_open_uploads(service: InProcessService):
    service.create_registry("metrics-login", password=PASSWORD)
    before = scrape(service)
    for _ in range(2):
        answer = httpx.get(f"{service.url}/v2/", auth=("metrics-login", "Wrong-Password-1"))
        assert answer.status_code == 401
    bad_token = httpx.get(f"{service.url}/v2/", headers={"Authorization": "Bearer not-a-token"})
    assert bad_token.status_code == 401
    with httpx.Client(base_url=service.url, auth=("metrics-login", PASSWORD)) as client:
        started = client.post("/v2/metrics-login/app/blobs/uploads/")
        assert started.status_code == 202
    after = scrape(service)
    failures = "cloudraya_login_failures_total"
    assert value(after, failures, method="basic") - value(before, failures, method="basic") == 2
    assert value(after, failures, method="bearer") - value(before, failures, method="bearer") == 1
    assert value(after, "cloudraya_upload_sessions_open") == 1
    assert value(after, "cloudraya_uploads_in_flight") == 0
    assert value(after, "cloudraya_scan_queue", status="queued") == 0


def test_metrics_show_an_upload_in_flight_while_its_body_streams(service: InProcessService):
    """A PATCH whose body is still arriving is one upload in flight; done, it is none."""
    with registry_with_client(service, "metrics-flight") as client:
        location = client.start_upload("metrics-flight/app").headers["location"]
        seen = threading.Event()

        def body():
            yield b"x" * 1024
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if value(scrape(service), "cloudraya_uploads_in_flight") == 1:
                    seen.set()
                    break
                time.sleep(0.05)
            yield b"y" * 1024

        answer = client.http.patch(
            location, content=body(), headers={"Content-Type": "application/octet-stream"}
        )
    assert answer.status_code == 202, answer.text
    assert seen.is_set(), "the streaming upload was never counted in flight"
    assert value(scrape(service), "cloudraya_uploads_in_flight") == 0


def test_metrics_count_garbage_collections_and_freed_bytes(
    service_factory: Callable[..., InProcessService],
):
    service = service_factory(env={"CLOUDRAYA_GC_GRACE_SECONDS": "0"})
    image = make_image(4096)
    with registry_with_client(service, "metrics-gc") as client:
        assert client.push_image("metrics-gc/app", image, "v1").status_code == 201
        deleted = client.http.delete(f"/v2/metrics-gc/app/manifests/{image.digest}")
        assert deleted.status_code == 202, deleted.text
    deadline = time.monotonic() + 60
    samples = scrape(service)
    while value(samples, "cloudraya_gc_runs_total", outcome="collected") < 1:
        assert time.monotonic() < deadline, "no garbage collection was counted"
        time.sleep(0.5)
        samples = scrape(service)
    assert value(samples, "cloudraya_gc_blobs_removed_total") >= 1
    assert value(samples, "cloudraya_gc_freed_bytes_total") >= len(image.layers[0])
    assert value(samples, "cloudraya_gc_last_run_timestamp_seconds") > time.time() - 120


def test_metrics_add_up_across_processes_in_multiprocess_mode(
    process_service_factory: Callable[..., RegistryService], tmp_path
):
    """With PROMETHEUS_MULTIPROC_DIR (several workers) the figures come from every process's
    files; a restart empties the directory, so nothing is counted twice."""
    directory = tmp_path / "prometheus"
    service = process_service_factory(env={"PROMETHEUS_MULTIPROC_DIR": str(directory)})
    for _ in range(3):
        assert httpx.get(f"{service.url}/api/v1/registries").status_code == 401
    samples = scrape(service)
    requests = "cloudraya_http_requests_total"
    labels = {"method": "GET", "route": "/api/v1/registries", "status": "401"}
    assert value(samples, requests, **labels) == 3
    assert list(directory.glob("*.db")), "no per-process files were written"
    service.restart()
    assert httpx.get(f"{service.url}/api/v1/registries").status_code == 401
    assert value(scrape(service), requests, **labels) == 1


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_operations_endpoints_are_in_the_openapi_document(service: InProcessService, path: str):
    document = httpx.get(f"{service.url}/api/v1/openapi.json").json()
    assert "get" in document["paths"][path]
