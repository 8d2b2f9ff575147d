"""Where a Pulumi command's time went: provider gRPC calls (engine side) and service requests.

The engine logs every gRPC call to a plugin when PULUMI_DEBUG_GRPC names a file (end time and
duration per call); the service logs one JSON line per HTTP request (end time, duration). Both
files only grow, so a command's share is what was appended while it ran.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from bench.stats import busy_seconds, most_in_flight

PROVIDER_METHOD = "/pulumirpc.ResourceProvider/"
# Service routes that hash or verify a registry password (argon2id, the costly part).
HASHING_ROUTES = (
    "POST /api/v1/registries",
    "POST /api/v1/registries/{name}/password",
    "POST /api/v1/registries/{name}/password/verify",
)
_FRACTION = re.compile(r"\.(\d+)")


def _parse_time(text: str) -> float:
    """RFC 3339 with up to nanoseconds (Go) or milliseconds (the service) -> epoch seconds."""
    text = text.replace("Z", "+00:00")
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text, count=1)
    return dt.datetime.fromisoformat(text).timestamp()


@dataclass
class Window:
    grpc_offset: int
    service_offset: int


@dataclass
class Share:
    provider_calls: int
    provider_max_in_flight: int
    provider_busy_s: float
    provider_sum_s: float
    service_requests: int
    service_busy_s: float
    service_sum_s: float
    calls_by_method: dict[str, int]
    # route -> [requests, summed seconds, slowest seconds]
    requests_by_route: dict[str, list[float]]

    @property
    def hashing_requests(self) -> int:
        return sum(int(self.requests_by_route.get(r, [0])[0]) for r in HASHING_ROUTES)


def mark(grpc_log: Path, service_log: Path) -> Window:
    size = lambda p: p.stat().st_size if p.exists() else 0  # noqa: E731
    return Window(size(grpc_log), size(service_log))


def _new_lines(path: Path, offset: int) -> list[str]:
    if not path.exists():
        return []
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read().decode(errors="replace").splitlines()


def share_since(window: Window, grpc_log: Path, service_log: Path) -> Share:
    calls: list[tuple[float, float]] = []
    by_method: dict[str, int] = {}
    for line in _new_lines(grpc_log, window.grpc_offset):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        method = entry.get("method", "")
        if not method.startswith(PROVIDER_METHOD) or entry.get("progress") != "response_completed":
            continue
        end = _parse_time(entry["timestamp"])
        duration = entry.get("duration", 0) / 1e9
        calls.append((end - duration, end))
        name = method.removeprefix(PROVIDER_METHOD)
        by_method[name] = by_method.get(name, 0) + 1
    requests: list[tuple[float, float]] = []
    by_route: dict[str, list[float]] = {}
    for line in _new_lines(service_log, window.service_offset):
        if '"msg": "request"' not in line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        end = _parse_time(entry["time"])
        duration = float(entry.get("duration_ms", 0)) / 1000
        requests.append((end - duration, end))
        route = by_route.setdefault(f"{entry.get('method')} {entry.get('route')}", [0, 0.0, 0.0])
        route[0] += 1
        route[1] += duration
        route[2] = max(route[2], duration)
    return Share(
        provider_calls=len(calls),
        provider_max_in_flight=most_in_flight(calls),
        provider_busy_s=busy_seconds(calls),
        provider_sum_s=sum(e - s for s, e in calls),
        service_requests=len(requests),
        service_busy_s=busy_seconds(requests),
        service_sum_s=sum(e - s for s, e in requests),
        calls_by_method=by_method,
        requests_by_route={
            k: [v[0], round(v[1], 3), round(v[2], 3)]
            for k, v in sorted(by_route.items(), key=lambda item: -item[1][1])
        },
    )
