"""The authorisation steps alone: a request's credentials against the action a route needs."""

from __future__ import annotations

import asyncio
import base64

import pytest
from cloudraya_registry.db.locks import UploadLocks
from cloudraya_registry.db.models import AuditEvent
from cloudraya_registry.domain import registries
from cloudraya_registry.oci.auth import Authenticator, Login
from cloudraya_registry.oci.context import Context, DataPlaneServices, Route
from cloudraya_registry.oci.errors import OciError
from cloudraya_registry.oci.names import parse_repository_name
from cloudraya_registry.oci.policies import auth
from sqlalchemy import select
from starlette.requests import Request

from tests.service.steps.conftest import World

PASSWORD = "Step-Test-Pass-1"


async def _noop(_ctx: Context):
    raise AssertionError("handlers do not run in these tests")


def _context(world: World, repository: str | None, authorization: str | None) -> Context:
    headers = [(b"authorization", authorization.encode())] if authorization else []
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/v2/",
        "headers": headers,
        "client": ("127.0.0.9", 5555),
        "query_string": b"",
    }
    services = DataPlaneServices(Authenticator(world.state), UploadLocks(world.state.db))
    repo = parse_repository_name(repository) if repository else None
    return Context(world.state, services, Request(scope), Route(_noop), repo, {})


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def world_with_password(world: World) -> World:
    from cloudraya_registry.domain import credentials

    credentials.reset_password(world.state, world.actor, world.registry_name, PASSWORD)
    return world


def test_pull_admits_the_registry_own_credentials(world_with_password: World) -> None:
    ctx = _context(world_with_password, "step-registry/app", _basic("step-registry", PASSWORD))
    asyncio.run(auth.pull(ctx))
    assert ctx.caller is not None and ctx.caller.registry.name == "step-registry"


def test_missing_credentials_get_a_challenge_for_the_route_scope(world_with_password) -> None:
    ctx = _context(world_with_password, "step-registry/app", None)
    with pytest.raises(OciError) as refused:
        asyncio.run(auth.push(ctx))
    assert refused.value.status == 401
    challenge = refused.value.headers["WWW-Authenticate"]
    assert 'scope="repository:step-registry/app:pull,push"' in challenge


def test_another_registry_is_denied_and_audited_there(world_with_password: World) -> None:
    world = world_with_password
    registries.create(world.state, world.actor, "other-registry", None, 10)
    ctx = _context(world, "other-registry/app", _basic("step-registry", PASSWORD))
    with pytest.raises(OciError) as refused:
        asyncio.run(auth.delete(ctx))
    assert refused.value.code == "DENIED"
    with world.state.db.read() as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.registry_name == "other-registry")
        ).all()
    assert [(r.action, r.outcome, r.source_ip) for r in rows if r.outcome == "failure"] == [
        ("credential.failure", "failure", "127.0.0.9")
    ]


def test_a_token_for_pull_does_not_push(world_with_password: World) -> None:
    world = world_with_password
    registry = world.registry
    services = DataPlaneServices(Authenticator(world.state), UploadLocks(world.state.db))
    token, _ = services.auth.issue_token(Login(registry), ["repository:step-registry/app:pull"])
    pulling = _context(world, "step-registry/app", f"Bearer {token}")
    asyncio.run(auth.pull(pulling))
    pushing = _context(world, "step-registry/app", f"Bearer {token}")
    with pytest.raises(OciError) as refused:
        asyncio.run(auth.push(pushing))
    assert 'error="insufficient_scope"' in refused.value.headers["WWW-Authenticate"]


def test_the_catalog_and_base_endpoint_need_a_valid_credential(world_with_password) -> None:
    good = _basic("step-registry", PASSWORD)
    for step in (auth.catalog, auth.any_credential):
        ctx = _context(world_with_password, None, good)
        asyncio.run(step(ctx))
        assert ctx.caller is not None
        wrong = _context(world_with_password, None, _basic("step-registry", "Wrong-Pass-123"))
        with pytest.raises(OciError):
            asyncio.run(step(wrong))
