"""Creating a registry so that a lost answer never leaves an orphan behind.

A create whose answer is lost (timeout, dropped connection, a gateway's 5xx, a frozen or
restarting service) may or may not have happened. The provider generated the registry's
password before sending the request, so it asks the service: a registry of that name whose
password is the one this operation sent was created by this operation (nobody else knows that
password); a registry of that name with another password belongs to someone else and is never
adopted; no registry means the create did not happen and is sent again.

When the service stays silent past the deadline, the outcome stays unknown: the caller records
the resource as created-but-unconfirmed (a partial failure), and the next `pulumi up`, `refresh`
or `destroy` finishes the job with the same password (`confirm`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .api import ApiError, OutcomeUnknown, RegistryInfo, Unreachable

if TYPE_CHECKING:
    from .client import CloudRayaClient
from .framework import Operation, ResourceError

# How long a create keeps finding out what happened when the resource sets no customTimeouts.
DEFAULT_TIMEOUT_S = 300.0
PAUSE_S = (1.0, 2.0, 4.0, 8.0)
sleep = time.sleep  # replaced by unit tests


class Unconfirmed(Exception):
    """The create may have happened; the service did not say before the deadline."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Found:
    """What the service says about a name: no registry, ours, or someone else's."""

    info: RegistryInfo | None
    ours: bool


def confirm(client: CloudRayaClient, name: str, password: str) -> Found:
    """Whether registry `name` exists and is the one created with `password`."""
    info = client.find_registry(name)
    if info is None:
        return Found(None, False)
    return Found(info, client.verify_password(name, password))


def taken_message(name: str, endpoint: str) -> str:
    return (
        f"a registry named {name} already exists on {endpoint} and was not created by this "
        "stack; nothing was changed. Registry names are unique across the service: choose "
        "another name, or adopt the existing registry with "
        f"`pulumi import cloudraya:index:Registry <resource name> {name}`"
    )


def create(
    client: CloudRayaClient,
    name: str,
    storage_gb: int,
    password: str,
    op: Operation,
    *,
    sent: bool = False,
) -> RegistryInfo:
    """Create the registry, finding out what happened whenever an answer is lost.

    `sent` says that an earlier attempt (an earlier `pulumi up`) may already have reached the
    service. Raises `Unconfirmed` when the service stays silent until the deadline, and
    `ResourceError` when the name belongs to a registry this operation did not create.
    """
    deadline = time.monotonic() + op.seconds_left(DEFAULT_TIMEOUT_S)
    pauses = iter(PAUSE_S)
    reason = "an earlier attempt may have created it"
    post = not sent  # a resumed create asks first: the earlier request may have landed
    while True:
        if post:
            try:
                return client.create_registry(name, storage_gb=storage_gb, password=password)
            except OutcomeUnknown as lost:
                sent, reason = True, lost.reason
                op.info(f"creating registry {name}: {reason}; asking the service what happened")
            except ApiError as refused:
                if refused.code != "ALREADY_EXISTS":
                    raise
                if not sent:  # nothing of ours was out there: the name is someone else's
                    raise ResourceError(taken_message(name, client.endpoint)) from None
        found = _ask(client, name, password, deadline)
        if found.info is not None:
            if not found.ours:
                raise ResourceError(taken_message(name, client.endpoint))
            op.info(f"registry {name} was created by this operation; continuing")
            return found.info
        if time.monotonic() >= deadline:
            raise Unconfirmed(
                f"registry {name} does not exist yet, but a create request of this operation "
                f"may still be on its way ({reason}); the next `pulumi up`, `pulumi refresh` or "
                "`pulumi destroy` finds out and finishes the job"
            )
        sleep(next(pauses, PAUSE_S[-1]))
        post = True


def _ask(client: CloudRayaClient, name: str, password: str, deadline: float) -> Found:
    """`confirm`, asked again while the service is silent, until the deadline."""
    pauses = iter(PAUSE_S)
    while True:
        try:
            return confirm(client, name, password)
        except Unreachable as silent:
            if time.monotonic() >= deadline:
                raise Unconfirmed(
                    f"registry {name} may have been created, but {client.endpoint} did not "
                    f"answer in time ({silent.reason}); the next `pulumi up`, `pulumi refresh` "
                    "or `pulumi destroy` finds out and finishes the job"
                ) from None
            sleep(next(pauses, PAUSE_S[-1]))
