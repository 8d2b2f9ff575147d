"""The service's settings, read once at start from the command line and the environment.

Each tunable is a command-line option with an environment-variable equivalent (the option
wins). One function turns parsed arguments plus an environment into a :class:`ServiceConfig`,
so the ``serve`` command and the test harness configure a service the same way; nothing reads
``os.environ`` later. An invalid value stops the service at start with a message naming it.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

BYTES_PER_GB = 1024**3
MIN_BOOTSTRAP_TOKEN_LENGTH = 32


class ConfigError(ValueError):
    """A setting has a value the service cannot run with; the message names it."""


@dataclass(frozen=True)
class Option:
    """One tunable: its flag, environment variable, default and what it means (for --help)."""

    flag: str
    env: str
    default: str | None
    help: str
    metavar: str = "N"
    serve_only: bool = False  # a setting of the serving process (not of `gc`)

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


OPTIONS = (
    Option(
        "--workers",
        "CLOUDRAYA_WORKERS",
        None,
        "worker processes serving requests on the one port (default: the number of CPUs the "
        "service may use); each has its own threads, caches and database connections",
        serve_only=True,
    ),
    Option(
        "--trusted-proxy",
        "CLOUDRAYA_TRUSTED_PROXIES",
        None,
        "CIDR of a reverse proxy whose X-Forwarded-For/-Proto headers are believed (repeat the "
        "option, or comma-separate in the variable); default: none, the peer address is the "
        "client",
        "CIDR",
    ),
    Option(
        "--upload-expiry",
        "CLOUDRAYA_UPLOAD_EXPIRY",
        "24h",
        "an upload session untouched this long is expired and its data collected (e.g. 24h, "
        "90m, 3600)",
        "DURATION",
    ),
    Option(
        "--max-open-uploads",
        "CLOUDRAYA_MAX_OPEN_UPLOADS",
        "64",
        "unfinished upload sessions a registry may hold at once",
    ),
    Option(
        "--password-workers",
        "CLOUDRAYA_PASSWORD_WORKERS",
        None,
        "password verifications (argon2, 64 MiB each) running at once in each worker process "
        "(default: half the CPUs shared among the workers, at least 1)",
    ),
    Option(
        "--max-waiting-logins",
        "CLOUDRAYA_MAX_WAITING_LOGINS",
        "32",
        "password verifications allowed to wait for a worker; more are answered 429",
    ),
    Option(
        "--failed-logins-per-source",
        "CLOUDRAYA_FAILED_LOGINS_PER_SOURCE",
        "30",
        "failed logins one client address may make per minute, whatever the username",
    ),
    Option(
        "--failed-logins-per-registry",
        "CLOUDRAYA_FAILED_LOGINS_PER_REGISTRY",
        "100",
        "failed logins per minute against one registry from all addresses together",
    ),
    Option(
        "--io-threads",
        "CLOUDRAYA_IO_THREADS",
        "32",
        "threads for blocking storage and database work (mostly waiting on PostgreSQL or S3, "
        "not the CPU, so more than the cores)",
    ),
)
_BY_DEST = {option.dest: option for option in OPTIONS}


@dataclass(frozen=True)
class ServiceConfig:
    data_dir: Path
    database_url: str | None = None
    storage_url: str | None = None  # --storage-url; None: file:// the data directory
    public_url: str = "http://127.0.0.1:5000"
    workers: int = 1
    trusted_proxies: tuple[str, ...] = ()
    upload_expiry_seconds: float = 24 * 3600.0
    max_open_uploads: int = 64
    password_workers: int = 1
    max_waiting_logins: int = 32
    failed_logins_per_source: int = 30
    failed_logins_per_registry: int = 100
    io_threads: int = 32
    # Environment only:
    bootstrap_token: str | None = None  # CLOUDRAYA_BOOTSTRAP_TOKEN
    gc_grace_seconds: float | None = None  # CLOUDRAYA_GC_GRACE_SECONDS (both grace periods)
    # CLOUDRAYA_STORAGE_UNIT_BYTES shrinks the "GB" of quotas so tests can fill a registry
    storage_unit_bytes: int = BYTES_PER_GB
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    def capacity_bytes(self, storage_gb: int) -> int:
        return storage_gb * self.storage_unit_bytes


def add_options(parser: argparse.ArgumentParser, *, serving: bool = True) -> None:
    """The tunables of a running service (``serve``; ``gc`` shares the upload expiry)."""
    for option in OPTIONS:
        if option.serve_only and not serving:
            continue
        extra = {"action": "append"} if option.flag == "--trusted-proxy" else {}
        default = f" (default {option.default})" if option.default else ""
        parser.add_argument(
            option.flag,
            default=None,
            metavar=option.metavar,
            help=f"{option.help}{default}; env {option.env}",
            **extra,
        )


def from_args(
    args: argparse.Namespace, environ: Mapping[str, str], public_url: str | None = None
) -> ServiceConfig:
    """A checked configuration; raises :class:`ConfigError` naming the option at fault."""

    def raw(dest: str) -> str | list[str] | None:
        given = getattr(args, dest, None)
        if given is not None:
            return given
        option = _BY_DEST[dest]
        return environ.get(option.env) or option.default

    workers = _positive("workers", raw("workers") or default_workers())
    proxies = raw("trusted_proxy")
    if isinstance(proxies, str):
        proxies = proxies.split(",")
    return ServiceConfig(
        data_dir=Path(args.data_dir),
        database_url=getattr(args, "database_url", None),
        storage_url=getattr(args, "storage_url", None),
        public_url=(public_url or "http://127.0.0.1:5000").rstrip("/"),
        workers=workers,
        trusted_proxies=tuple(_cidr(p) for p in (proxies or []) if p.strip()),
        upload_expiry_seconds=_duration("upload_expiry", raw("upload_expiry")),
        max_open_uploads=_positive("max_open_uploads", raw("max_open_uploads")),
        password_workers=_positive(
            "password_workers", raw("password_workers") or default_password_workers(workers)
        ),
        max_waiting_logins=_positive("max_waiting_logins", raw("max_waiting_logins")),
        failed_logins_per_source=_positive(
            "failed_logins_per_source", raw("failed_logins_per_source")
        ),
        failed_logins_per_registry=_positive(
            "failed_logins_per_registry", raw("failed_logins_per_registry")
        ),
        io_threads=_positive("io_threads", raw("io_threads")),
        bootstrap_token=_bootstrap_token(environ.get("CLOUDRAYA_BOOTSTRAP_TOKEN")),
        gc_grace_seconds=_optional_seconds(
            "CLOUDRAYA_GC_GRACE_SECONDS", environ.get("CLOUDRAYA_GC_GRACE_SECONDS")
        ),
        storage_unit_bytes=_storage_unit(environ.get("CLOUDRAYA_STORAGE_UNIT_BYTES")),
        environ=dict(environ),
    )


def default_workers() -> int:
    """The CPUs this process may run on (its affinity, e.g. a container's cpuset)."""
    return max(1, len(os.sched_getaffinity(0)))


def default_password_workers(workers: int = 1) -> int:
    """Half the CPUs over all worker processes: verifications never take every core from the
    requests around them."""
    return max(1, (os.cpu_count() or 2) // 2 // workers)


def _name(dest: str) -> str:
    option = _BY_DEST[dest]
    return f"{option.flag} ({option.env})"


def _positive(dest: str, value: object) -> int:
    text = str(value).strip()
    if not text.isdigit() or len(text) > 9 or int(text) < 1:
        raise ConfigError(f"{_name(dest)} must be a whole number of at least 1, got {value!r}")
    return int(text)


_DURATION = re.compile(r"^(\d{1,9})([smhd]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float | None:
    """Seconds of ``90``, ``90s``, ``30m``, ``24h`` or ``7d``; None when not a duration."""
    match = _DURATION.match(text.strip().lower())
    if match is None or int(match.group(1)) == 0:
        return None
    return float(int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def _duration(dest: str, value: object) -> float:
    seconds = parse_duration(str(value))
    if seconds is None:
        raise ConfigError(
            f"{_name(dest)} must be a duration such as 24h, 90m, 7d or a number of seconds, "
            f"got {value!r}"
        )
    return seconds


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise ConfigError(
            f"{_name('trusted_proxy')} must be an address or CIDR such as 10.0.0.0/8, got {value!r}"
        ) from None


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


def _bootstrap_token(value: str | None) -> str | None:
    token = (value or "").strip()
    if not token:
        return None
    if len(token) < MIN_BOOTSTRAP_TOKEN_LENGTH:
        raise ConfigError(
            f"CLOUDRAYA_BOOTSTRAP_TOKEN has {len(token)} characters; an API token must have at "
            f"least {MIN_BOOTSTRAP_TOKEN_LENGTH} (use a random value, e.g. from "
            "`openssl rand -hex 24`)"
        )
    return token
