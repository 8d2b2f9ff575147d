"""Bounds every scan obeys, so hostile images cost bounded memory and time.

Each limit can be changed through an environment variable of the service process (read once
at start, see ``ServiceConfig.environ``); the defaults fit real images (a full distribution
layer is a few hundred MB unpacked).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from cloudraya_registry.config import ConfigError

MiB = 1024 * 1024
GiB = 1024 * MiB


class ScanFailed(Exception):
    """The image cannot be scanned; the message is the user-facing reason."""


class ScanCancelled(Exception):
    """The service is stopping; the scan goes back to the queue."""


class ScanUnsupported(Exception):
    """The artifact is not something the scanner understands (e.g. a Helm chart)."""


def env_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return value


@dataclass(frozen=True)
class ScanLimits:
    # unpacked bytes of one layer
    max_layer_bytes: int = 8 * GiB
    # unpacked/packed ratio above which a layer counts as a decompression bomb ...
    max_ratio: int = 250
    # ... once it has unpacked more than this many bytes (small layers may compress well)
    ratio_floor_bytes: int = 64 * MiB
    max_entries_per_layer: int = 1_000_000
    # one file the analyzers read into memory (dpkg status, package.json, METADATA, ...)
    max_file_bytes: int = 64 * MiB
    # all such files of an image together
    max_collected_bytes: int = 512 * MiB
    # executables searched for Go build information
    max_binary_bytes: int = 512 * MiB
    max_symlink_hops: int = 40
    max_path_length: int = 4096
    max_seconds: int = 900

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ScanLimits:
        d = cls()
        setting = functools.partial(env_int, environ)
        return cls(
            max_layer_bytes=setting("CLOUDRAYA_SCAN_MAX_LAYER_BYTES", d.max_layer_bytes),
            max_ratio=setting("CLOUDRAYA_SCAN_MAX_RATIO", d.max_ratio),
            ratio_floor_bytes=setting("CLOUDRAYA_SCAN_RATIO_FLOOR_BYTES", d.ratio_floor_bytes),
            max_entries_per_layer=setting("CLOUDRAYA_SCAN_MAX_ENTRIES", d.max_entries_per_layer),
            max_file_bytes=setting("CLOUDRAYA_SCAN_MAX_FILE_BYTES", d.max_file_bytes),
            max_collected_bytes=setting(
                "CLOUDRAYA_SCAN_MAX_COLLECTED_BYTES", d.max_collected_bytes
            ),
            max_binary_bytes=setting("CLOUDRAYA_SCAN_MAX_BINARY_BYTES", d.max_binary_bytes),
            max_symlink_hops=d.max_symlink_hops,
            max_path_length=d.max_path_length,
            max_seconds=setting("CLOUDRAYA_SCAN_MAX_SECONDS", d.max_seconds),
        )


@dataclass
class Deadline:
    """Wall-clock budget of one scan, checked while streaming."""

    seconds: int
    cancel: threading.Event | None = None
    started: float = field(default_factory=time.monotonic)

    def check(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise ScanCancelled("the service is stopping")
        if time.monotonic() - self.started > self.seconds:
            raise ScanFailed(f"scan took longer than the limit of {self.seconds} s")
