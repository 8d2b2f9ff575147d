"""Bodies where small ones are expected are capped before anything reads them.

Regressions of issue 11: a 200 MiB body was read whole before authentication on /auth/token
and /api/v1 (+400 MiB of server memory per request, never given back), and a dashboard form
over 1 MiB gave a 500.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.service.oci_helpers import oci_error_codes, oci_error_message
from tests.support.inprocess import InProcessService

MIB = 1024 * 1024
LIMIT_WORDS = "larger than 65536 bytes (64 KiB)"


class CountingBody:
    """A streamed body that notes how much of it the server made the client send."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        while self.sent < self.size:
            chunk = b"a=" + b"x" * (MIB - 2)
            self.sent += len(chunk)
            yield chunk


def _post(
    url: str, body: CountingBody, announce: bool, headers: dict[str, str] | None = None
) -> httpx.Response:
    headers = dict(headers or {})
    if announce:
        headers["Content-Length"] = str(body.size)
    try:
        return httpx.post(url, content=body, headers=headers, timeout=60)
    except httpx.HTTPError as error:  # the server may close before the client finished
        raise AssertionError(f"no answer: {error}") from error


@pytest.mark.parametrize("announce", [True, False], ids=["content-length", "chunked"])
def test_unauthenticated_huge_bodies_are_refused_early_with_the_limit(
    service: InProcessService, announce: bool
) -> None:
    for path in ("/auth/token", "/api/v1/registries", "/api/v1/registries/x/password/verify"):
        body = CountingBody(200 * MIB)
        response = _post(f"{service.url}{path}", body, announce)
        assert response.status_code == 413, (path, response.text)
        if path == "/auth/token":
            assert oci_error_codes(response) == ["SIZE_INVALID"]
            assert LIMIT_WORDS in oci_error_message(response)
        else:
            assert response.json()["error"]["code"] == "INVALID_ARGUMENT"
            assert LIMIT_WORDS in response.json()["error"]["message"]
        # Refused long before 200 MiB went over the wire (the client streams lazily).
        assert body.sent < 32 * MIB, (path, body.sent)


@pytest.mark.parametrize("announce", [True, False], ids=["content-length", "chunked"])
def test_a_huge_dashboard_form_gets_a_413_page_not_a_500(
    service: InProcessService, announce: bool
) -> None:
    body = CountingBody(2 * MIB)
    response = _post(
        f"{service.url}/ui/login",
        body,
        announce,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "64 KiB" in response.text
    assert response.headers["cache-control"] == "no-store"


def test_ordinary_bodies_still_work(service: InProcessService) -> None:
    created = service.create_registry("dev-registry")  # a JSON body well under the limit
    token = httpx.post(
        f"{service.url}/auth/token",
        data={
            "grant_type": "password",
            "username": "dev-registry",
            "password": created["password"],
            "scope": "repository:dev-registry/app:pull",
        },
        timeout=60,
    )
    assert token.status_code == 200, token.text
