from __future__ import annotations

import socket


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def resolves(name: str) -> bool:
    """Whether ``name`` resolves here (``*.localhost`` needs libnss-myhostname, `make deps`)."""
    try:
        return bool(socket.getaddrinfo(name, None))
    except socket.gaierror:
        return False
