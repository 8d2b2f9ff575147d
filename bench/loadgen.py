"""A small asyncio HTTP/1.1 load generator for HEAD requests.

wrk 4.1 (Debian's) waits for a body after a HEAD response that announces a Content-Length, so
it cannot measure HEAD; this client sends the same request on keep-alive connections, reads
only the status line and headers, and records each request's latency.
"""

from __future__ import annotations

import asyncio
import base64
import time


def _request(method: str, host: str, path: str, auth: tuple[str, str], accept: str) -> bytes:
    basic = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    return (
        f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {basic}\r\n"
        f"Accept: {accept}\r\nUser-Agent: cloudraya-bench\r\n\r\n"
    ).encode()


async def _worker(
    host: str, port: int, request: bytes, read_body: bool, deadline: float, out: dict
) -> None:
    reader = writer = None
    while time.perf_counter() < deadline:
        if writer is None:
            reader, writer = await asyncio.open_connection(host, port)
        assert reader is not None
        started = time.perf_counter()
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
        except (ConnectionError, asyncio.IncompleteReadError):
            out["socket_errors"] += 1
            writer.close()
            writer = None
            continue
        lowered = head.lower()
        if read_body and b"content-length:" in lowered:
            length = int(lowered.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
            await reader.readexactly(length)
        out["latencies"].append(time.perf_counter() - started)
        out["last"] = time.perf_counter()
        if head[9:12] != b"200":
            out["status_errors"] += 1
        if b"connection: close" in lowered:
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def _run(
    url_host: str, path: str, method: str, auth: tuple[str, str], accept: str,
    concurrency: int, seconds: float,
) -> dict:  # fmt: skip
    host, port = url_host.rsplit(":", 1)
    request = _request(method, url_host, path, auth, accept)
    out: dict = {"latencies": [], "status_errors": 0, "socket_errors": 0, "last": 0.0}
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(
            _worker(host, int(port), request, method != "HEAD", deadline, out)
            for _ in range(concurrency)
        )
    )
    out["elapsed"] = max(out["last"], started + 1e-9) - started
    return out


def _percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def measure(
    host: str, path: str, method: str, auth: tuple[str, str], accept: str,
    concurrency: int, seconds: float,
) -> dict[str, float]:  # fmt: skip
    """The same summary as the wrk runs: requests, rps, errors, p50/p99 in microseconds."""
    out = asyncio.run(_run(host, path, method, auth, accept, concurrency, seconds))
    latencies = sorted(out["latencies"])
    return {
        "requests": len(latencies),
        "rps": len(latencies) / out["elapsed"],
        "status_errors": out["status_errors"],
        "socket_errors": out["socket_errors"],
        "p50_us": _percentile(latencies, 50) * 1e6,
        "p99_us": _percentile(latencies, 99) * 1e6,
    }
