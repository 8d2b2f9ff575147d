"""An in-memory stand-in for the control-plane API, served through `httpx.MockTransport`.

It implements just the contract the provider uses, so unit tests exercise the real client and
resource code without a network. The Pulumi engine is never faked: see tests/e2e for that.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from cloudraya_provider.client import CloudRayaClient

TOKEN = "test-token-123"
HOST = "127.0.0.1:5999"


@dataclass
class FakeRegistry:
    name: str
    password: str
    storage_gb: int = 10
    tag_immutability: bool = False
    scan_on_push: bool = False
    repositories: list[str] = field(default_factory=list)
    password_updated_at: str = "2026-01-01T00:00:00Z"
    created_at: str = "2026-01-01T00:00:00Z"

    def body(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "endpoint": f"{HOST}/{self.name}",
            "username": self.name,
            "storage": {"used_bytes": 1000 * len(self.repositories), "total_gb": self.storage_gb},
            "settings": {
                "tag_immutability": self.tag_immutability,
                "scan_on_push": self.scan_on_push,
            },
            "repository_count": len(self.repositories),
            "password_updated_at": self.password_updated_at,
            "created_at": self.created_at,
            "updated_at": "2026-01-01T00:00:00Z",
        }


def _error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}})


class FakeService:
    def __init__(self) -> None:
        self.registries: dict[str, FakeRegistry] = {}
        self.requests: list[httpx.Request] = []
        self.fail_next: list[tuple[str, str, httpx.Response | Exception]] = []
        self.lose_next: list[tuple[str, str]] = []
        self._rotations = 0
        self._creations = 0

    def client(self, token: str = TOKEN, **kwargs: Any) -> CloudRayaClient:
        kwargs.setdefault("sleep", lambda seconds: None)
        return CloudRayaClient(
            f"http://{HOST}", token, transport=httpx.MockTransport(self.handle), **kwargs
        )

    def fail(self, method: str, path_regex: str, outcome: httpx.Response | Exception) -> None:
        """Make the next matching request fail with `outcome`."""
        self.fail_next.append((method, path_regex, outcome))

    def lose_answer(self, method: str, path_regex: str) -> None:
        """Carry out the next matching request, then lose its answer (a read timeout)."""
        self.lose_next.append((method, path_regex))

    def calls(self, method: str | None = None) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests if method in (None, r.method)]

    def handle(self, request: httpx.Request) -> httpx.Response:
        response = self._handle(request)
        for index, (method, pattern) in enumerate(self.lose_next):
            if request.method == method and re.fullmatch(pattern, request.url.path):
                del self.lose_next[index]
                raise httpx.ReadTimeout("timed out", request=request)
        return response

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for index, (method, pattern, outcome) in enumerate(self.fail_next):
            if request.method == method and re.fullmatch(pattern, request.url.path):
                del self.fail_next[index]
                if isinstance(outcome, Exception):
                    raise outcome
                return outcome
        if request.url.path == "/healthz":
            return httpx.Response(200, json={"status": "ok"})
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return _error(401, "UNAUTHORIZED", "missing or invalid API token")
        body = json.loads(request.content) if request.content else {}
        path = request.url.path.removeprefix("/api/v1")
        if path == "/registries" and request.method == "GET":
            return httpx.Response(
                200, json={"registries": [r.body() for r in self.registries.values()]}
            )
        if path == "/registries" and request.method == "POST":
            return self._create(body)
        match = re.fullmatch(r"/registries/([^/]+)(/.*)?", path)
        if not match:
            return _error(404, "NOT_FOUND", "no such route")
        name, rest = match.group(1), match.group(2) or ""
        registry = self.registries.get(name)
        if registry is None:
            return _error(404, "NOT_FOUND", f"registry {name} not found")
        return self._registry_call(request.method, registry, rest, body, request)

    def _create(self, body: dict[str, Any]) -> httpx.Response:
        name = body["name"]
        if name in self.registries:
            return _error(409, "ALREADY_EXISTS", f"registry {name} already exists")
        self._creations += 1
        registry = FakeRegistry(
            name=name,
            password=body.get("password") or f"Generated-{name}-1",
            storage_gb=body.get("storage_gb", 10),
            created_at=f"2026-01-01T00:00:{self._creations:02d}.123456Z",
        )
        self.registries[name] = registry
        return httpx.Response(201, json={**registry.body(), "password": registry.password})

    def _registry_call(
        self, method: str, reg: FakeRegistry, rest: str, body: dict[str, Any], request
    ) -> httpx.Response:
        if rest == "" and method == "GET":
            return httpx.Response(200, json=reg.body())
        if rest == "" and method == "DELETE":
            if request.url.params.get("confirm") != reg.name:
                return _error(400, "FAILED_PRECONDITION", "confirm must be the registry name")
            del self.registries[reg.name]
            return httpx.Response(204)
        if rest == "/storage" and method == "PUT":
            wanted = body["storage_gb"]
            if wanted < reg.storage_gb or wanted % 10:
                return _error(
                    409,
                    "FAILED_PRECONDITION",
                    f"storage can only grow in steps of 10 GB: {reg.name} has "
                    f"{reg.storage_gb} GB; requested {wanted} GB",
                )
            reg.storage_gb = wanted
            return httpx.Response(200, json=reg.body())
        if rest == "/settings":
            if method == "PATCH":
                reg.tag_immutability = body.get("tag_immutability", reg.tag_immutability)
                reg.scan_on_push = body.get("scan_on_push", reg.scan_on_push)
            return httpx.Response(200, json=reg.body()["settings"])
        if rest == "/password" and method == "POST":
            self._rotations += 1
            reg.password = body.get("password") or f"Generated-{reg.name}-{self._rotations + 1}"
            reg.password_updated_at = f"2026-01-01T00:00:{self._rotations:02d}Z"
            return httpx.Response(
                200,
                json={
                    "username": reg.name,
                    "endpoint": f"{HOST}/{reg.name}",
                    "password": reg.password,
                    "password_updated_at": reg.password_updated_at,
                },
            )
        if rest == "/password/verify" and method == "POST":
            return httpx.Response(200, json={"valid": body.get("password") == reg.password})
        if rest == "/repositories" and method == "GET":
            return httpx.Response(
                200,
                json={"repositories": [{"name": r, "artifact_count": 1} for r in reg.repositories]},
            )
        if rest == "/push-command" and method == "GET":
            repo = request.url.params["repository"]
            tag = request.url.params.get("tag", "latest")
            image = f"{HOST}/{reg.name}/{repo}:{tag}"
            commands = [
                f"docker login {HOST} -u {reg.name}",
                f"docker build -t {repo}:{tag} .",
                f"docker tag {repo}:{tag} {image}",
                f"docker push {image}",
            ]
            return httpx.Response(
                200,
                json={
                    "registry": reg.name,
                    "repository": repo,
                    "image": image,
                    "login": commands[0],
                    "build": commands[1],
                    "tag": commands[2],
                    "push": commands[3],
                    "commands": commands,
                    "plain_http": True,
                    "notes": [f"{HOST} is served over plain HTTP: ..."],
                },
            )
        return _error(404, "NOT_FOUND", "no such route")
