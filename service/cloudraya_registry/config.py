"""The service's settings, read once at start from the command line and the environment.

One function turns parsed arguments plus an environment into a :class:`ServiceConfig`, so the
``serve`` command and the test harness configure a service the same way; nothing reads
``os.environ`` later. An invalid value stops the service at start with a message naming it.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

BYTES_PER_GB = 1024**3


class ConfigError(ValueError):
    """A setting has a value the service cannot run with; the message names it."""


@dataclass(frozen=True)
class ServiceConfig:
    data_dir: Path
    database_url: str | None = None
    storage_url: str | None = None  # --storage-url; None: file:// the data directory
    public_url: str = "http://127.0.0.1:5000"
    bootstrap_token: str | None = None  # CLOUDRAYA_BOOTSTRAP_TOKEN
    gc_grace_seconds: float | None = None  # CLOUDRAYA_GC_GRACE_SECONDS (both grace periods)
    # CLOUDRAYA_STORAGE_UNIT_BYTES shrinks the "GB" of quotas so tests can fill a registry
    storage_unit_bytes: int = BYTES_PER_GB
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    def capacity_bytes(self, storage_gb: int) -> int:
        return storage_gb * self.storage_unit_bytes


def from_args(
    args: argparse.Namespace, environ: Mapping[str, str], public_url: str | None = None
) -> ServiceConfig:
    """A checked configuration; raises :class:`ConfigError` naming the setting at fault."""
    return ServiceConfig(
        data_dir=Path(args.data_dir),
        database_url=getattr(args, "database_url", None),
        storage_url=getattr(args, "storage_url", None),
        public_url=(public_url or "http://127.0.0.1:5000").rstrip("/"),
        bootstrap_token=(environ.get("CLOUDRAYA_BOOTSTRAP_TOKEN") or "").strip() or None,
        gc_grace_seconds=_optional_seconds(
            "CLOUDRAYA_GC_GRACE_SECONDS", environ.get("CLOUDRAYA_GC_GRACE_SECONDS")
        ),
        storage_unit_bytes=_storage_unit(environ.get("CLOUDRAYA_STORAGE_UNIT_BYTES")),
        environ=dict(environ),
    )


def _optional_seconds(name: str, value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {value!r}") from None
    return max(seconds, 0.0)


def _storage_unit(value: str | None) -> int:
    if not value:
        return BYTES_PER_GB
    if not value.isdigit() or len(value) > 15 or int(value) < 1:
        raise ConfigError(f"CLOUDRAYA_STORAGE_UNIT_BYTES must be a positive integer, got {value!r}")
    return int(value)
