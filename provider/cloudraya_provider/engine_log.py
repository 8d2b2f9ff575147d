"""Messages to the user through the engine: warnings and notes shown on a resource.

The engine passes its address when it starts the plugin; `Log` calls on that address appear in
`pulumi preview`/`up` output under the resource's URN (and in `--json` diagnostics). Without an
engine (unit tests, `pulumi package get-schema`) messages go nowhere.
"""

from __future__ import annotations

import contextlib
import threading

import grpc

from .framework import Severity
from .protocol import engine_pb2, engine_pb2_grpc

SEVERITIES = {"info": engine_pb2.INFO, "warning": engine_pb2.WARNING}
TIMEOUT_S = 10.0


class EngineLog:
    def __init__(self, address: str | None) -> None:
        self._address = address
        self._stub: engine_pb2_grpc.EngineStub | None = None
        self._lock = threading.Lock()

    def _engine(self) -> engine_pb2_grpc.EngineStub | None:
        with self._lock:
            if self._stub is None and self._address:
                channel = grpc.insecure_channel(self._address)
                self._stub = engine_pb2_grpc.EngineStub(channel)
            return self._stub

    def say(self, urn: str, severity: Severity, message: str) -> None:
        engine = self._engine()
        if engine is None:
            return
        # A message that cannot be shown must not fail the operation.
        with contextlib.suppress(grpc.RpcError):
            engine.Log(
                engine_pb2.LogRequest(severity=SEVERITIES[severity], message=message, urn=urn),
                timeout=TIMEOUT_S,
            )
