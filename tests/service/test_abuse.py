"""A bounded abuse run against a real service process: a login flood, a noisy neighbour and
huge bodies at once must leave other clients served and the server's memory bounded.

Outcomes are asserted (status codes, bytes, memory growth); timings only as generous ratios
to the same client's idle figures. `make bench` and the issue-11 report hold the absolute
figures.
"""

from __future__ import annotations

import json
import secrets
import statistics
import threading
import time
from collections.abc import Callable

import httpx

from tests.service.oci_helpers import (
    OCI_CONFIG,
    OCI_LAYER,
    OCI_MANIFEST,
    PASSWORD,
    client_from,
    make_image,
    registry_with_client,
    sha256,
)
from tests.support.service import RegistryService

MIB = 1024 * 1024
FLOOD_FROM = "127.0.0.3"
FLOODERS = 8
TENANT_B_FROM = "127.0.0.2"


def _timed(call: Callable[[], httpx.Response]) -> tuple[float, int]:
    started = time.perf_counter()
    status = call().status_code
    return time.perf_counter() - started, status


def _largest_manifest(config: bytes, layer: bytes) -> bytes:
    """A legal manifest just under the 4 MiB limit: one layer listed ~27,000 times."""
    descriptor = {"mediaType": OCI_LAYER, "digest": sha256(layer), "size": len(layer)}
    one = len(json.dumps(descriptor)) + 2
    document = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": sha256(config), "size": len(config)},
        "layers": [descriptor] * ((4 * MIB - 1024) // one),
        "annotations": {"run": secrets.token_hex(8)},
    }
    body = json.dumps(document).encode()
    assert 3.5 * MIB < len(body) <= 4 * MIB
    return body


def test_flood_noisy_neighbour_and_huge_bodies_leave_others_served(
    process_service: RegistryService,
) -> None:
    service = process_service
    tenant_a = registry_with_client(service, "tenant-a")
    registry_with_client(service, "tenant-b").push_image("tenant-b/app", make_image(2048), "v1")
    config, layer = b'{"os": "linux"}', b"layer-bytes"
    for blob in (config, layer):
        assert tenant_a.push_blob("tenant-a/big", blob).status_code == 201

    tenant_b = client_from(TENANT_B_FROM, base_url=service.url, auth=("tenant-b", PASSWORD))
    pull = lambda: tenant_b.get("/v2/tenant-b/app/manifests/v1")  # noqa: E731
    assert pull().status_code == 200
    idle = [_timed(pull) for _ in range(40)]
    assert {status for _, status in idle} == {200}
    idle_p50 = statistics.median(t for t, _ in idle)
    rss_before = service.memory_bytes("VmRSS")

    stop = threading.Event()
    flood_statuses: list[int] = []
    noisy_statuses: list[int] = []
    big_statuses: list[int] = []

    def flood() -> None:
        with client_from(FLOOD_FROM, base_url=service.url) as client:
            while not stop.is_set():
                user = f"nobody-{secrets.token_hex(6)}"
                flood_statuses.append(client.get("/v2/", auth=(user, "Guess-Pass-1")).status_code)

    def noisy_neighbour() -> None:
        while not stop.is_set():
            body = _largest_manifest(config, layer)
            noisy_statuses.append(tenant_a.put_manifest("tenant-a/big", "latest", body).status_code)

    def huge_bodies() -> None:
        for path in ("/auth/token", "/api/v1/registries"):
            response = httpx.post(
                f"{service.url}{path}",
                content=b"x" * (200 * MIB),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                timeout=120,
            )
            big_statuses.append(response.status_code)

    workers = [threading.Thread(target=flood) for _ in range(FLOODERS)]
    workers += [threading.Thread(target=noisy_neighbour), threading.Thread(target=huge_bodies)]
    for worker in workers:
        worker.start()
    try:
        busy = []
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            busy.append(_timed(pull))
    finally:
        stop.set()
        for worker in workers:
            worker.join(120)

    # Tenant B was served throughout, within a generous factor of its idle latency.
    assert {status for _, status in busy} == {200}
    busy_p50 = statistics.median(t for t, _ in busy)
    assert busy_p50 < 25 * idle_p50 + 0.05, (busy_p50, idle_p50)
    # Every flood request was refused, and at most the per-address allowance of them (30 a
    # minute, plus the ones already in flight) cost a password verification.
    assert flood_statuses and set(flood_statuses) <= {401, 429}
    assert flood_statuses.count(401) <= 30 + FLOODERS
    # The largest legal manifest is accepted every time; huge bodies are refused unread.
    assert noisy_statuses and set(noisy_statuses) == {201}
    assert big_statuses == [413, 413]
    # Memory stays bounded: password checks (19 MiB each) and manifests in flight (in all the
    # worker processes together).
    grown = service.memory_bytes("VmHWM") - rss_before
    busy_p99 = statistics.quantiles([t for t, _ in busy], n=100)[98]
    print(
        f"figures: tenant B manifest GET p50 idle {idle_p50 * 1000:.1f} ms, during flood and "
        f"noisy neighbour {busy_p50 * 1000:.1f} ms (p99 {busy_p99 * 1000:.1f} ms, "
        f"{len(busy)} GETs); flood {len(flood_statuses)} logins, "
        f"{flood_statuses.count(401)} verified/401, {flood_statuses.count(429)} throttled/429; "
        f"{len(noisy_statuses)} largest manifests pushed; peak RSS growth {grown / MIB:.0f} MiB"
    )
    assert grown < 320 * MIB, f"server memory grew by {grown // MIB} MiB"
    tenant_b.close()
