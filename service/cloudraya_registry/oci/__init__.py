"""The OCI Distribution API (``/v2/...``) and the Docker token endpoint (``/auth/token``).

One module per API area (``version``, ``catalog``, ``tags``, ``manifests``, ``uploads``,
``blobs``, ``referrers``, ``token``) speaks HTTP over the domain layer
(:mod:`cloudraya_registry.domain`). ``routes`` lists every route with its policy steps:
authorisation (``policies.auth``) before the handler, the domain's checks (quota, tag
immutability) inside the committing transaction, follow-ups (scan on push, pull statistics,
garbage collection) after success. ``router`` matches paths to routes and runs them.

Choices where the issue left room:

- A quota refusal is ``403`` with code ``DENIED`` (the spec's pairing); the message names the
  used and total bytes. It is checked from ``Content-Length`` before a body is read, while a
  body without a length streams, and again inside the committing transaction.
- Blob DELETE unlinks the blob from that repository only (allowed while a manifest still uses
  it, as in distribution); manifest DELETE drops the manifest, its tags and its own link, and
  the garbage collector later drops layer links no manifest of the repository uses any more.
- ``mount`` without ``from`` mounts automatically from any repository of the caller's registry;
  across registries a mount never happens and an ordinary upload session starts instead.
- Range requests accept one range (``bytes=a-b``, ``a-``, ``-n``); others get 416 with an OCI
  body. Upload and blob locations are relative URLs.
- Failed logins are throttled per address (any username), per address and username (10 a
  minute) and per registry: ``429 TOOMANYREQUESTS`` with ``Retry-After`` for the rest of the
  window (see :mod:`cloudraya_registry.security.login_throttle`).
- A full disk answers writes ``507`` with code ``UNKNOWN`` (the spec has no code for it) and a
  message saying nothing was stored; reads go on.
"""

from __future__ import annotations

import fastapi

from cloudraya_registry.state import ServiceState


def mount(app: fastapi.FastAPI, state: ServiceState) -> None:
    """Serve the data plane in ``app``: a middleware ahead of its routes, not in OpenAPI."""
    from cloudraya_registry.oci.router import DataPlane

    DataPlane(state).install(app)
