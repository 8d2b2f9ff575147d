"""The plugin process: started as the engine starts it, it prints its port and serves gRPC."""

from __future__ import annotations

import subprocess

import grpc
from cloudraya_provider import __version__
from cloudraya_provider.main import engine_address
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2_grpc

from tests.support.paths import require_tool


def test_engine_address_is_the_last_positional_argument():
    assert engine_address(["--logtostderr", "-v=9", "127.0.0.1:4000"]) == "127.0.0.1:4000"
    assert engine_address(["--tracing", "file:/tmp/t", "127.0.0.1:4000"]) == "127.0.0.1:4000"
    assert engine_address([]) is None


def test_plugin_prints_its_port_and_answers_plugin_info():
    process = subprocess.Popen(
        [require_tool("pulumi-resource-cloudraya"), "--logtostderr", "-v=3", "127.0.0.1:1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(process.stdout.readline().strip())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=30)
        assert info.version == __version__
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert process.stderr.read() == ""
