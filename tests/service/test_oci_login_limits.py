"""Logins cannot be abused to stall the service or flood the audit log.

Regressions of issue 11: a flood of made-up usernames from one address was never throttled
(one argon2 verification each, on the pool that serves blobs); a cold cache under concurrent
pulls ran one verification per request; every failed login wrote an audit row, also when one
registry's credentials were used on another; and X-Forwarded-For from any loopback client set
the address throttles and the audit log see.
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.service.oci_helpers import (
    PASSWORD,
    client_from,
    oci_error_codes,
    oci_error_message,
    registry_with_client,
)
from tests.support.inprocess import InProcessService

FLOODER = "127.0.0.3"
SOMEONE_ELSE = "127.0.0.2"


def _failures(service: InProcessService, registry: str) -> list[dict]:
    service.state.flush_counters()
    with service.api() as api:
        events = api.get(f"/registries/{registry}/audit").json()["events"]
    return [e for e in events if e["action"] == "credential.failure"]


def test_a_flood_of_made_up_usernames_is_throttled_per_address(
    service_factory,
) -> None:
    service = service_factory(extra_args=["--failed-logins-per-source", "5"])
    service.create_registry("dev-registry", password=PASSWORD)
    with client_from(FLOODER, base_url=service.url) as flooder:
        statuses = [
            flooder.get("/v2/", auth=(f"nobody-{i}", "Any-Password-1")).status_code
            for i in range(8)
        ]
        # Even the right password waits while the address is throttled.
        throttled = flooder.get("/v2/", auth=("dev-registry", PASSWORD))
    assert statuses == [401] * 5 + [429] * 3
    assert throttled.status_code == 429
    assert oci_error_codes(throttled) == ["TOOMANYREQUESTS"]
    assert int(throttled.headers["Retry-After"]) > 0
    assert FLOODER in oci_error_message(throttled)
    # Made-up names cost no password verification, and throttled logins nothing at all.
    assert service.state.password_checks.verifications == 0
    with client_from(SOMEONE_ELSE, base_url=service.url) as other:
        assert other.get("/v2/", auth=("dev-registry", PASSWORD)).status_code == 200


def test_too_many_logins_at_once_are_refused_instead_of_queued(service_factory) -> None:
    service = service_factory(extra_args=["--password-workers", "1", "--max-waiting-logins", "1"])
    service.create_registry("dev-registry", password=PASSWORD)

    def login(i: int) -> int:
        password = f"Wrong-Password-{i:04d}"  # all different: nothing is shared or cached
        return httpx.get(
            f"{service.url}/v2/", auth=("dev-registry", password), timeout=60
        ).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(login, range(16)))
    assert set(statuses) <= {401, 429}
    assert statuses.count(429) >= 8  # at most two checks (one running, one waiting) at a time
    assert service.state.password_checks.verifications < 16


def test_a_cold_cache_under_concurrent_pulls_verifies_the_password_once(service) -> None:
    client = registry_with_client(service, "dev-registry")
    service.state.password_checks._verified.clear()  # as after a restart
    before = service.state.password_checks.verifications

    def pull(_: int) -> int:
        return httpx.get(
            f"{service.url}/v2/", auth=("dev-registry", PASSWORD), timeout=60
        ).status_code

    with ThreadPoolExecutor(32) as pool:
        assert set(pool.map(pull, range(32))) == {200}
    assert service.state.password_checks.verifications - before == 1
    client.close()


def test_failed_logins_are_counted_per_address_not_recorded_one_row_each(service) -> None:
    service.create_registry("dev-registry", password=PASSWORD)
    with client_from(FLOODER, base_url=service.url) as flooder:
        for i in range(12):
            flooder.get("/v2/", auth=("dev-registry", f"Guess-{i:03d}-Password"))
    with client_from(SOMEONE_ELSE, base_url=service.url) as other:
        other.get("/v2/", auth=("dev-registry", "One-More-Guess-1"))
    failures = _failures(service, "dev-registry")
    by_source = {e["source_ip"]: e for e in failures}
    assert len(failures) == 2, failures
    # 10 failures, then the (address, name) throttle refused two without a verification
    assert by_source[FLOODER]["count"] == 10
    assert by_source[SOMEONE_ELSE]["count"] == 1
    assert all(e["outcome"] == "failure" for e in failures)


def test_one_registry_credentials_cannot_fill_another_registry_audit_log(service) -> None:
    alpha = registry_with_client(service, "alpha-registry")
    service.create_registry("beta-registry", password=PASSWORD)
    for _ in range(30):
        assert alpha.http.get("/v2/beta-registry/app/tags/list").status_code == 403
    failures = _failures(service, "beta-registry")
    assert len(failures) == 1
    assert failures[0]["count"] == 30
    assert failures[0]["actor"] == "alpha-registry"


def test_forwarded_addresses_count_only_from_a_trusted_proxy(service_factory) -> None:
    forged = "203.0.113.7"
    plain = service_factory()
    proxied = service_factory(extra_args=["--trusted-proxy", "127.0.0.1/32"])
    for service in (plain, proxied):
        service.create_registry("dev-registry", password=PASSWORD)
        httpx.get(
            f"{service.url}/v2/",
            auth=("dev-registry", f"Wrong-{secrets.token_hex(4)}-Pass"),
            headers={"X-Forwarded-For": forged},
            timeout=60,
        )
    assert [e["source_ip"] for e in _failures(plain, "dev-registry")] == ["127.0.0.1"]
    assert [e["source_ip"] for e in _failures(proxied, "dev-registry")] == [forged]
