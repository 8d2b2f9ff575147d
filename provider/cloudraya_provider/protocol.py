"""Pulumi's provider protocol stubs, loaded without importing the whole Pulumi SDK.

The generated modules live in `pulumi.runtime.proto`, but importing them through that name
first runs `pulumi/__init__.py`, which loads the entire program SDK (automation API, runtime,
telemetry): about half a second on every plugin start, and the engine starts the plugin
several times per command. The stub modules only import each other relatively, so they are
loaded here as a private package over the same directory.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

_PACKAGE = f"{__package__}._pulumi_proto"


def _register_package() -> None:
    if _PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec("pulumi")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the pulumi package is not installed")
    directory = Path(next(iter(spec.submodule_search_locations))) / "runtime" / "proto"
    package = types.ModuleType(_PACKAGE, "Pulumi protocol stubs (see cloudraya_provider.protocol)")
    package.__path__ = [str(directory)]
    package.__package__ = _PACKAGE
    sys.modules[_PACKAGE] = package


_register_package()

from ._pulumi_proto import (  # noqa: E402
    engine_pb2,
    engine_pb2_grpc,
    plugin_pb2,
    provider_pb2,
    provider_pb2_grpc,
)

__all__ = ["engine_pb2", "engine_pb2_grpc", "plugin_pb2", "provider_pb2", "provider_pb2_grpc"]
