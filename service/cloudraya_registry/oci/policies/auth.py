"""Authorisation steps: each route names the action its caller needs.

A registry's credentials (HTTP Basic, or a bearer token issued for them) grant pull, push and
delete on ``<registry>/...`` and the registry's catalog; a scoped credential grants what its
scope says, and anything beyond it is ``403 DENIED`` with the reason. Failed credentials are
throttled and audited in the registry they were aimed at (see :class:`~cloudraya_registry.oci.auth.
Authenticator`); credentials of one registry used on another are audited there too.
"""

from __future__ import annotations

import base64

from cloudraya_registry.executors import in_thread
from cloudraya_registry.oci.auth import Caller, FailedCredential, presented_credentials
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
    if ctx.host_registry is not None and ctx.caller.registry.name != ctx.host_registry:
        raise OciError(
            "DENIED",
            f"credentials of registry {ctx.caller.registry.name!r} do not list the catalog of "
            f"{ctx.host_registry!r}: log in to each registry's host with its own credentials",
        )


async def any_credential(ctx: Context) -> None:
    """The base endpoint: any valid credential (clients probe it to log in)."""
    ctx.caller = await _authorise(ctx, None, "pull", scope=None)


async def _authorise(
    ctx: Context, repo: RepositoryName | None, action: str, *, scope: str | None = None
) -> Caller:
    if repo is not None:
        scope = f"repository:{repo.sent}:{_SCOPE_ACTIONS[action]}"  # as the client names it
    auth = ctx.services.auth
    request = ctx.request
    host = ctx.host_registry
    source_ip = request.client.host if request.client else None
    authorization = request.headers.get("authorization")
    target = repo.full if repo else request.url.path
    try:
        caller = await auth.identify(presented_credentials(authorization), source_ip)
    except FailedCredential as failure:
        username = basic_username(authorization)
        await auth.refused(failure, username=username, target=target, source_ip=source_ip)
        raise OciError(
            "UNAUTHORIZED",
            f"authentication failed: {failure.reason}; log in with the registry's name as "
            "username and its password",
            headers=auth.challenge(
                scope, "invalid_token" if failure.method == "bearer" else None, registry=host
            ),
        ) from None
    if caller is None:
        raise OciError(
            "UNAUTHORIZED",
            "authentication required: log in with the registry's name as username and its password",
            headers=auth.challenge(scope, registry=host),
        )
    if repo is None and scope is None:
        return caller  # the base endpoint: any valid credential
    if caller.may(repo.full if repo else None, action):
        return caller
    if repo is None or repo.registry == caller.registry.name:
        refusal = caller.scope_refusal(repo.full if repo else None, action)
        if refusal is not None:
            raise OciError("DENIED", refusal, detail={"name": repo.full if repo else None})
    if repo is not None and repo.registry != caller.registry.name:
        await _record_foreign_use(ctx, caller, repo, target, source_ip)
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
        headers=auth.challenge(scope, "insufficient_scope", registry=host),
    )


async def _record_foreign_use(
    ctx: Context, caller: Caller, repo: RepositoryName, target: str, source_ip: str | None
) -> None:
    """Audit, in the other registry, that another registry's credentials knocked on it."""
    auth = ctx.services.auth
    registry = await in_thread(auth.registry_named, repo.registry)
    if registry is None:
        return
    failure = FailedCredential(
        registry, caller.method, f"credentials of registry {caller.registry.name}"
    )
    await auth.refused(
        failure, username=caller.registry.name, target=target, source_ip=source_ip, guess=False
    )


def basic_username(authorization: str | None) -> str | None:
    """The username of Basic credentials (for throttling and the audit), or None."""
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0][:255] or None
