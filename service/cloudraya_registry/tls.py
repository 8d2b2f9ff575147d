"""Serving HTTPS natively (``--tls-cert`` / ``--tls-key``), and a clear answer to plain HTTP.

A client that speaks plain HTTP to a TLS port normally gets a failed handshake or a reset
connection and no idea why. Here each connection's first byte decides: a TLS handshake
record (0x16) continues as HTTPS through asyncio's own TLS layer into uvicorn's HTTP protocol;
anything else is answered ``400`` in plain text naming the ``https://`` address to use, as
nginx does, and closed.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from asyncio import sslproto
from pathlib import Path
from typing import Any

from cloudraya_registry.config import ConfigError

TLS_HANDSHAKE_RECORD = 0x16
FIRST_BYTE_TIMEOUT_SECONDS = 30.0
_HOST_HEADER = re.compile(rb"^host:[ \t]*([A-Za-z0-9.\-:\[\]]{1,255})[ \t]*\r?$", re.I | re.M)


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A server context with the certificate chain and its key; ConfigError says what is wrong
    (never the key's contents)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    for flag, path in (("--tls-cert", cert), ("--tls-key", key)):
        if not path.is_file():
            raise ConfigError(f"{flag} {path}: no such file (a PEM file is expected)")
    try:
        context.load_cert_chain(cert, key)
    except PermissionError as error:
        raise ConfigError(
            f"TLS files cannot be read: {error.filename}: permission denied"
        ) from None
    except ssl.SSLError as error:
        raise ConfigError(
            f"--tls-cert {cert} and --tls-key {key} are not a PEM certificate (chain) and its "
            f"unencrypted private key ({error.reason or 'unreadable'})"
        ) from None
    return context


def plain_http_refusal(request_head: bytes) -> bytes:
    """The whole HTTP response to a plain-HTTP request on the HTTPS port."""
    match = _HOST_HEADER.search(request_head)
    where = f"https://{match.group(1).decode()}/" if match else "https://"
    body = (
        f"This port speaks HTTPS only; the request was sent as plain HTTP. Use {where} "
        "(for podman/skopeo: trust the service's CA, e.g. with --cert-dir).\n"
    ).encode()
    head = (
        "HTTP/1.1 400 Bad Request\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    return head + body


def https_only(http_protocol: type[asyncio.Protocol], context: ssl.SSLContext) -> type:
    """A uvicorn ``http`` protocol class: TLS connections reach ``http_protocol``, plain HTTP
    gets :func:`plain_http_refusal`."""

    class HttpsOnly(asyncio.Protocol):
        def __init__(self, **kwargs: Any) -> None:
            self._kwargs = kwargs
            self._loop = kwargs.get("_loop") or asyncio.get_running_loop()
            self._transport: asyncio.Transport | None = None
            self._idle: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            self._transport = transport
            self._idle = self._loop.call_later(FIRST_BYTE_TIMEOUT_SECONDS, transport.close)

        def data_received(self, data: bytes) -> None:
            assert self._transport is not None
            if self._idle is not None:
                self._idle.cancel()
                self._idle = None
            if data[:1] == bytes([TLS_HANDSHAKE_RECORD]):
                self._continue_as_tls(data)
            else:
                self._transport.write(plain_http_refusal(data))
                self._transport.close()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._idle is not None:
                self._idle.cancel()

        def _continue_as_tls(self, hello: bytes) -> None:
            assert self._transport is not None
            app = http_protocol(**self._kwargs)
            tls = sslproto.SSLProtocol(self._loop, app, context, None, server_side=True)
            self._transport.set_protocol(tls)
            tls.connection_made(self._transport)
            pending = memoryview(hello)
            while pending:  # hand over the bytes already read (the start of the ClientHello)
                buffer = tls.get_buffer(len(pending))
                count = min(len(buffer), len(pending))
                buffer[:count] = pending[:count]
                tls.buffer_updated(count)
                pending = pending[count:]

    return HttpsOnly
