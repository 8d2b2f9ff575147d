"""A create whose answer is lost never leaves an orphan and never adopts someone else's registry.

The fake service carries out a request and then loses its answer (a read timeout), or fails
before carrying it out, or stays silent; the provider must find out what happened by asking.
"""

from __future__ import annotations

import time

import httpx
import pytest
from cloudraya_provider import registry_create
from cloudraya_provider.framework import CheckContext, Operation, PartialFailure, ResourceError
from cloudraya_provider.registry import Registry

from .fakes import FakeService

CTX = CheckContext(resource_name="dev")
CREATE = r"/api/v1/registries"


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(registry_create, "sleep", lambda seconds: None)


def create(fake: FakeService, op: Operation | None = None) -> tuple[str, dict]:
    return Registry(fake.client()).create(INPUTS, op or Operation())


INPUTS = Registry(FakeService().client()).check(CTX, {}, {"name": "dev-registry"}).inputs


def test_a_create_whose_answer_is_lost_is_recognised_by_its_password():
    fake = FakeService()
    fake.lose_answer("POST", CREATE)
    said: list[str] = []

    id, state = create(fake, Operation(say=lambda severity, text: said.append(text)))

    assert id == "dev-registry"
    assert fake.calls("POST").count("POST /api/v1/registries") == 1
    assert state["password"] == fake.registries["dev-registry"].password
    assert state["createdAt"] == fake.registries["dev-registry"].created_at
    assert any("created by this operation" in text for text in said)


def test_a_create_that_never_reached_the_service_is_sent_again():
    fake = FakeService()
    fake.fail("POST", CREATE, httpx.ReadTimeout("timed out"))

    _, state = create(fake)

    assert fake.calls("POST").count("POST /api/v1/registries") == 2
    assert list(fake.registries) == ["dev-registry"]
    assert state["password"] == fake.registries["dev-registry"].password


def test_a_lost_create_that_lands_after_a_retry_is_still_recognised():
    fake = FakeService()
    # The first request is lost in flight; the retry then meets it: 409, then verification.
    fake.fail("POST", CREATE, httpx.ReadTimeout("timed out"))
    fake.fail("GET", r"/api/v1/registries/dev-registry", httpx.Response(404, json={}))
    fake.lose_answer("POST", CREATE)

    _, state = create(fake)

    assert state["password"] == fake.registries["dev-registry"].password


def test_a_lost_create_never_adopts_a_registry_someone_else_created():
    fake = FakeService()
    fake.client().create_registry("dev-registry", storage_gb=10, password="Someone-Else-1")
    fake.fail("POST", CREATE, httpx.ReadTimeout("timed out"))

    with pytest.raises(ResourceError) as refused:
        create(fake)

    assert "already exists" in str(refused.value) and "not created by this stack" in str(
        refused.value
    )
    assert fake.registries["dev-registry"].password == "Someone-Else-1"


def test_a_taken_name_is_refused_without_retrying():
    fake = FakeService()
    fake.client().create_registry("dev-registry", storage_gb=10, password="Someone-Else-1")
    registry = Registry(fake.client())
    with pytest.raises(ResourceError):
        registry.create({"name": "dev-registry", "storageGb": 10}, Operation())
    assert not [r for r in fake.requests if r.url.path.endswith("/verify")]


def silent(fake: FakeService) -> None:
    """The service stops answering for good (every request times out)."""
    for _ in range(50):
        fake.fail("GET", r"/api/v1/registries/dev-registry", httpx.ReadTimeout("timed out"))


def test_a_service_silent_past_the_deadline_leaves_an_unconfirmed_resource():
    fake = FakeService()
    fake.lose_answer("POST", CREATE)
    silent(fake)

    with pytest.raises(PartialFailure) as unconfirmed:
        create(fake, Operation(deadline=time.monotonic()))

    failure = unconfirmed.value
    assert failure.id == "dev-registry"
    assert "createdAt" not in failure.state
    assert failure.state["password"] == fake.registries["dev-registry"].password
    assert "the next `pulumi up`" in failure.reason


def unconfirmed_state(fake: FakeService) -> tuple[Registry, dict, dict]:
    fake.lose_answer("POST", CREATE)
    silent(fake)
    registry = Registry(fake.client())
    with pytest.raises(PartialFailure) as unconfirmed:
        registry.create(INPUTS, Operation(deadline=time.monotonic()))
    fake.fail_next.clear()  # the service answers again
    return registry, unconfirmed.value.state, INPUTS


def test_the_next_update_confirms_a_create_that_happened():
    fake = FakeService()
    registry, state, inputs = unconfirmed_state(fake)

    confirmed = registry.update("dev-registry", state, inputs, inputs, Operation())

    assert confirmed["createdAt"] == fake.registries["dev-registry"].created_at
    assert confirmed["password"] == state["password"]
    assert fake.calls("POST").count("POST /api/v1/registries") == 1


def test_the_next_update_creates_a_registry_whose_create_never_happened():
    fake = FakeService()
    registry, state, inputs = unconfirmed_state(fake)
    del fake.registries["dev-registry"]  # the lost request never arrived after all

    created = registry.update("dev-registry", state, inputs, inputs, Operation())

    assert fake.registries["dev-registry"].password == state["password"] == created["password"]


def test_refresh_and_destroy_of_an_unconfirmed_create_touch_only_what_it_made():
    fake = FakeService()
    registry, state, inputs = unconfirmed_state(fake)

    assert registry.read("dev-registry", state, inputs, Operation()).state["createdAt"]

    fake.registries["dev-registry"].password = "Someone-Else-1"  # not the password we sent
    assert registry.read("dev-registry", state, inputs, Operation()) is None
    with pytest.raises(ResourceError):
        registry.update("dev-registry", state, inputs, inputs, Operation())
    registry.delete("dev-registry", {**state, "forceDestroy": True}, Operation())
    assert "dev-registry" in fake.registries

    fake.registries["dev-registry"].password = state["password"]
    registry.delete("dev-registry", state, Operation())
    assert "dev-registry" not in fake.registries
