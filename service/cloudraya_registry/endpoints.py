"""Where each registry is reached: its endpoint, and which registry a request's host names.

Two styles (``--endpoint-style``):

- ``path`` (default): one host for every registry; registry ``dev`` is ``<public host>/dev``
  and its repositories are ``dev/<path>``.
- ``host``: each registry has a host of its own, ``dev.<registry domain>[:port]`` (the port and
  scheme of the public URL), and its repositories are ``<path>`` with no prefix. Clients that
  key logins by host (docker, crane, regctl, oras) then hold one login per registry. Requests
  to any other host (the public URL's among them) keep the path style.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from cloudraya_registry.config import ServiceConfig
from cloudraya_registry.domain.names import is_registry_name


def public_host(config: ServiceConfig) -> str:
    """Host[:port] of the public URL."""
    return config.public_url.split("://", 1)[-1].rstrip("/")


def _port_suffix(config: ServiceConfig) -> str:
    port = urlsplit(config.public_url).port
    return f":{port}" if port else ""


def registry_host(config: ServiceConfig, registry: str) -> str:
    """The host[:port] clients log in to for ``registry``."""
    if config.endpoint_style == "host":
        return f"{registry}.{config.registry_domain}{_port_suffix(config)}"
    return public_host(config)


def endpoint_of(config: ServiceConfig, registry: str) -> str:
    """The prefix of every image reference in ``registry``, e.g. ``dev.example.com``."""
    if config.endpoint_style == "host":
        return registry_host(config, registry)
    return f"{public_host(config)}/{registry}"


def registry_url(config: ServiceConfig, registry: str) -> str:
    """Scheme and host of ``registry``'s endpoint (its token realm lives there)."""
    scheme = urlsplit(config.public_url).scheme or "http"
    return f"{scheme}://{registry_host(config, registry)}"


def registry_of_host(config: ServiceConfig, host_header: str | None) -> str | None:
    """The registry a request's ``Host`` names in host style; None for any other host."""
    if config.endpoint_style != "host" or not host_header:
        return None
    host = host_header.strip().lower()
    if host.startswith("["):
        return None  # an IPv6 literal names no registry
    host = host.rsplit(":", 1)[0].rstrip(".")
    label, dot, rest = host.partition(".")
    if not dot or rest != config.registry_domain or not is_registry_name(label):
        return None
    return label
