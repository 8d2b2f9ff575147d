"""The plugin process: started as the engine starts it, it prints its port and serves gRPC,
as many calls at once as the engine sends, and speaks to the engine on its address."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
import pytest
from cloudraya_provider import __version__
from cloudraya_provider.engine_log import EngineLog
from cloudraya_provider.main import engine_address
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2, provider_pb2_grpc

from tests.support.paths import require_tool

# More calls at once than the engine's default parallelism on this machine (4 per CPU) and
# than the fixed pool of 8 threads the plugin had.
CONCURRENT_CALLS = 24


def test_engine_address_is_the_last_positional_argument():
    assert engine_address(["--logtostderr", "-v=9", "127.0.0.1:4000"]) == "127.0.0.1:4000"
    assert engine_address(["--tracing", "file:/tmp/t", "127.0.0.1:4000"]) == "127.0.0.1:4000"
    assert engine_address([]) is None


@contextmanager
def plugin(engine: str = "127.0.0.1:1") -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    process = subprocess.Popen(
        [require_tool("pulumi-resource-cloudraya"), "--logtostderr", "-v=3", engine],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(process.stdout.readline().strip())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield provider_pb2_grpc.ResourceProviderStub(channel)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert process.stderr.read() == ""


def test_plugin_prints_its_port_and_answers_plugin_info():
    with plugin() as stub:
        info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=30)
    assert info.version == __version__


class _Gathering:
    """A stand-in service whose registry reads all wait until CONCURRENT_CALLS are waiting."""

    def __init__(self) -> None:
        self.barrier = threading.Barrier(CONCURRENT_CALLS, timeout=60)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        gathering = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.startswith("/api/v1/registries/"):
                    gathering.barrier.wait()  # BrokenBarrierError if they never all arrive
                    name = self.path.rsplit("/", 1)[-1]
                    body = {
                        "name": name,
                        "endpoint": f"127.0.0.1:1/{name}",
                        "username": name,
                        "storage": {"used_bytes": 0, "total_gb": 10},
                        "settings": {"tag_immutability": False, "scan_on_push": False},
                        "repository_count": 0,
                        "created_at": "2026-01-01T00:00:00Z",
                    }
                else:
                    body = {"status": "ok", "registries": []}
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def test_plugin_serves_more_calls_at_once_than_the_engine_default():
    gathering = _Gathering()
    server = ThreadingHTTPServer(("127.0.0.1", 0), gathering.handler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    args = struct_pb2.Struct()
    args.update({"endpoint": f"http://127.0.0.1:{server.server_port}", "apiToken": "t"})
    try:
        with plugin() as stub:
            stub.Configure(provider_pb2.ConfigureRequest(args=args), timeout=60)

            def get(index: int):
                request = struct_pb2.Struct()
                request.update({"name": f"registry-{index:03d}"})
                return stub.Invoke(
                    provider_pb2.InvokeRequest(tok="cloudraya:index:getRegistry", args=request),
                    timeout=120,
                )

            with futures.ThreadPoolExecutor(CONCURRENT_CALLS) as pool:
                answers = list(pool.map(get, range(CONCURRENT_CALLS)))
    finally:
        server.shutdown()
    names = sorted(getattr(answer, "return")["name"] for answer in answers)
    assert names == [f"registry-{index:03d}" for index in range(CONCURRENT_CALLS)]
    assert not gathering.barrier.broken


class _Engine(engine_pb2_grpc.EngineServicer):
    def __init__(self) -> None:
        self.logged: list[engine_pb2.LogRequest] = []

    def Log(self, request, context):
        self.logged.append(request)
        return empty_pb2.Empty()


@pytest.fixture
def engine() -> Iterator[tuple[_Engine, str]]:
    servicer = _Engine()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    engine_pb2_grpc.add_EngineServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield servicer, f"127.0.0.1:{port}"
    server.stop(None)


def test_warnings_reach_the_engine_on_the_resource(engine):
    servicer, address = engine
    EngineLog(address).say("urn:pulumi:dev::p::cloudraya:index:Registry::r", "warning", "look")
    [logged] = servicer.logged
    assert logged.severity == engine_pb2.WARNING
    assert logged.urn.endswith("::r")
    assert logged.message == "look"


def test_a_message_without_an_engine_is_dropped_quietly():
    EngineLog(None).say("urn", "info", "nobody listens")
    EngineLog("127.0.0.1:1").say("urn", "info", "nobody listens")
