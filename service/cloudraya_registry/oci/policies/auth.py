"""Authorisation steps: each route names the action its caller needs.

A registry's credentials (HTTP Basic, or a bearer token issued for them) grant pull, push and
delete on ``<registry>/...`` and the registry's catalog. Failed credentials are audited in the
registry they were aimed at (never with the secret) and repeated wrong passwords throttled.
"""

from __future__ import annotations

import base64

from cloudraya_registry.domain.registries import load_info
from cloudraya_registry.executors import in_thread
from cloudraya_registry.oci.auth import Caller, FailedCredential
from cloudraya_registry.oci.context import Context
from cloudraya_registry.oci.errors import OciError
from cloudraya_registry.oci.names import RepositoryName

_SCOPE_ACTIONS = {"pull": "pull", "push": "pull,push", "delete": "delete"}
CATALOG_SCOPE = "registry:catalog:*"


async def pull(ctx: Context) -> None:
    """Read a repository: manifests, blobs, tags, referrers."""
    ctx.caller = await _authorise(ctx, ctx.repo, "pull")


async def push(ctx: Context) -> None:
    """Write a repository: uploads and manifests."""
    ctx.caller = await _authorise(ctx, ctx.repo, "push")


async def delete(ctx: Context) -> None:
    """Delete manifests, tags and blob links of a repository."""
    ctx.caller = await _authorise(ctx, ctx.repo, "delete")


async def catalog(ctx: Context) -> None:
    """List the repositories of the caller's own registry."""
    ctx.caller = await _authorise(ctx, None, "pull", scope=CATALOG_SCOPE)


async def any_credential(ctx: Context) -> None:
    """The base endpoint: any valid credential (clients probe it to log in)."""
    ctx.caller = await _authorise(ctx, None, "pull", scope=None)


async def _authorise(
    ctx: Context,
    repo: RepositoryName | None,
    action: str,
    *,
    scope: str | None = None,
) -> Caller:
    if repo is not None:
        scope = f"repository:{repo.full}:{_SCOPE_ACTIONS[action]}"
    request = ctx.request
    source_ip = request.client.host if request.client else None
    target = repo.full if repo else request.url.path
    return await in_thread(
        _authorise_sync,
        ctx,
        request.headers.get("authorization"),
        repo,
        action,
        scope,
        target,
        source_ip,
    )


def _authorise_sync(
    ctx: Context,
    authorization: str | None,
    repo: RepositoryName | None,
    action: str,
    scope: str | None,
    target: str,
    source_ip: str | None,
) -> Caller:
    auth, throttle, state = ctx.services.auth, ctx.services.throttle, ctx.state
    failure: FailedCredential | None = None
    caller: Caller | None = None
    username = basic_username(authorization)
    recent_failures = throttle.check(source_ip, username)
    with state.db.read() as session:
        try:
            caller = auth.identify(session, authorization)
        except FailedCredential as error:
            failure = error
    if failure is not None:
        if failure.method == "basic":
            throttle.failed(source_ip, username)
        with state.db.write() as session:
            auth.record_failure(
                session, failure, username=username, target=target, source_ip=source_ip
            )
        raise OciError(
            "UNAUTHORIZED",
            f"authentication failed: {failure.reason}; log in with the registry's name as "
            "username and its password",
            headers=auth.challenge(scope, "invalid_token" if failure.method == "bearer" else None),
        )
    if caller is not None and caller.method == "basic":
        throttle.succeeded(source_ip, username, recent_failures)
    if caller is None:
        raise OciError(
            "UNAUTHORIZED",
            "authentication required: log in with the registry's name as username and its password",
            headers=auth.challenge(scope),
        )
    if repo is None and scope is None:
        return caller  # the base endpoint: any valid credential
    if caller.may(repo.full if repo else None, action):
        return caller
    if repo is not None and repo.registry != caller.registry.name:
        _record_foreign_use(ctx, caller, repo, target, source_ip)
        raise OciError(
            "DENIED",
            f"credentials of registry {caller.registry.name!r} grant access only to "
            f"repositories under {caller.registry.name}/; not to {repo.full}",
            detail={"name": repo.full},
        )
    raise OciError(
        "UNAUTHORIZED",
        f"the token does not grant {action} on {repo.full if repo else 'the catalog'}; "
        "request a token for this scope",
        headers=auth.challenge(scope, "insufficient_scope"),
    )


def _record_foreign_use(
    ctx: Context, caller: Caller, repo: RepositoryName, target: str, source_ip: str | None
) -> None:
    with ctx.state.db.write() as session:
        registry = load_info(session, repo.registry)
        if registry is None:
            return
        ctx.services.auth.record_failure(
            session,
            FailedCredential(
                registry, caller.method, f"credentials of registry {caller.registry.name}"
            ),
            username=caller.registry.name,
            target=target,
            source_ip=source_ip,
        )


def basic_username(authorization: str | None) -> str | None:
    """The username of Basic credentials (for throttling), or None."""
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0][:255] or None
