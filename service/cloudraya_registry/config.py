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
from urllib.parse import urlsplit

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

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


OPTIONS = (
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
        "password verifications (argon2, 19 MiB each) running at once in each worker process "
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
# Options of ``serve`` alone: its processes, how it listens and names registry endpoints.
SERVE_OPTIONS = (
    Option(
        "--workers",
        "CLOUDRAYA_WORKERS",
        None,
        "worker processes serving requests on the one port (default: the number of CPUs the "
        "service may use); each has its own threads, caches and database connections",
    ),
    Option(
        "--tls-cert",
        "CLOUDRAYA_TLS_CERT",
        None,
        "PEM certificate (chain) to serve HTTPS with; needs --tls-key. Plain HTTP on the port is "
        "refused with a message naming the https:// address",
        "FILE",
    ),
    Option(
        "--tls-key",
        "CLOUDRAYA_TLS_KEY",
        None,
        "PEM private key (unencrypted) of --tls-cert",
        "FILE",
    ),
    Option(
        "--endpoint-style",
        "CLOUDRAYA_ENDPOINT_STYLE",
        "path",
        "registry endpoints: `path` (<public host>/<registry>, one host for all) or `host` (each "
        "registry its own host, <registry>.<registry domain>, repositories without the prefix)",
        "STYLE",
    ),
    Option(
        "--registry-domain",
        "CLOUDRAYA_REGISTRY_DOMAIN",
        None,
        "with --endpoint-style host: the domain under which each registry has its host "
        "(default: the host of --public-url); its DNS needs a wildcard record",
        "DOMAIN",
    ),
)
ENDPOINT_STYLES = ("path", "host")
_BY_DEST = {option.dest: option for option in (*OPTIONS, *SERVE_OPTIONS)}


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
    tls_cert: Path | None = None  # both or neither: HTTPS
    tls_key: Path | None = None
    endpoint_style: str = "path"  # ENDPOINT_STYLES
    registry_domain: str = ""  # host style: registry `dev` is dev.<registry_domain>
    # Environment only:
    bootstrap_token: str | None = None  # CLOUDRAYA_BOOTSTRAP_TOKEN
    gc_grace_seconds: float | None = None  # CLOUDRAYA_GC_GRACE_SECONDS (both grace periods)
    # CLOUDRAYA_STORAGE_UNIT_BYTES shrinks the "GB" of quotas so tests can fill a registry
    storage_unit_bytes: int = BYTES_PER_GB
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    def capacity_bytes(self, storage_gb: int) -> int:
        return storage_gb * self.storage_unit_bytes

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None


def _add(parser: argparse.ArgumentParser, options: tuple[Option, ...]) -> None:
    for option in options:
        extra = {"action": "append"} if option.flag == "--trusted-proxy" else {}
        default = f" (default {option.default})" if option.default else ""
        parser.add_argument(
            option.flag,
            default=None,
            metavar=option.metavar,
            help=f"{option.help}{default}; env {option.env}",
            **extra,
        )


def add_options(parser: argparse.ArgumentParser) -> None:
    """The tunables of a running service (``serve``; ``gc`` shares the upload expiry)."""
    _add(parser, OPTIONS)


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    """How ``serve`` listens (TLS) and names registry endpoints."""
    _add(parser, SERVE_OPTIONS)


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

    proxies = raw("trusted_proxy")
    if isinstance(proxies, str):
        proxies = proxies.split(",")
    tls_cert, tls_key = _tls_files(raw("tls_cert"), raw("tls_key"))
    workers = _workers(raw("workers"), tls=tls_cert is not None)
    if public_url is None and hasattr(args, "host"):
        public_url = f"{'https' if tls_cert else 'http'}://{args.host}:{args.port}"
    config = ServiceConfig(
        data_dir=Path(args.data_dir),
        database_url=getattr(args, "database_url", None),
        storage_url=getattr(args, "storage_url", None),
        public_url=(public_url or "http://127.0.0.1:5000").rstrip("/"),
        workers=workers,
        tls_cert=tls_cert,
        tls_key=tls_key,
        endpoint_style=_choice("endpoint_style", raw("endpoint_style"), ENDPOINT_STYLES),
        registry_domain=_domain(raw("registry_domain"), public_url),
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
    _check_host_style(config)
    return config


def _workers(given: str | None, *, tls: bool) -> int:
    """Worker processes; with native TLS one (its connection handler lives in the process that
    built it, so it cannot be handed to spawned workers): several processes with HTTPS means
    TLS at a proxy in front, or several replicas."""
    if not tls:
        return _positive("workers", given or default_workers())
    workers = _positive("workers", given or "1")
    if workers > 1:
        raise ConfigError(
            f"--workers {workers} with --tls-cert: native TLS is served by one process; run "
            "--workers 1 (the default with TLS), or terminate TLS at a proxy in front of "
            "several workers or replicas"
        )
    return workers


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


def _choice(dest: str, value: object, choices: tuple[str, ...]) -> str:
    text = str(value).strip().lower()
    if text not in choices:
        raise ConfigError(f"{_name(dest)} must be one of {', '.join(choices)}, got {value!r}")
    return text


_DOMAIN = re.compile(
    r"^(?=.{1,200}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$"
)


def _is_dns_name(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return bool(_DOMAIN.match(text))
    return False


def _domain(value: object, public_url: str | None) -> str:
    """The registry domain: as given, else the public URL's host name (not an IP address)."""
    given = str(value).strip().lower().rstrip(".") if value else ""
    domain = given or (urlsplit(public_url or "").hostname or "")
    if given and not _is_dns_name(given):
        raise ConfigError(
            f"{_name('registry_domain')} must be a DNS name such as registry.example.com, "
            f"got {value!r}"
        )
    return domain


def _check_host_style(config: ServiceConfig) -> None:
    if config.endpoint_style == "host" and not _is_dns_name(config.registry_domain):
        raise ConfigError(
            f"{_name('endpoint_style')} host gives each registry a host under a DNS name, but "
            f"the public URL's host {config.registry_domain!r} is none: set "
            f"{_name('registry_domain')}, e.g. registry.example.com (registry `dev` is then "
            "dev.registry.example.com)"
        )


def _tls_files(cert: object, key: object) -> tuple[Path | None, Path | None]:
    if bool(cert) != bool(key):
        given, missing = ("tls_cert", "tls_key") if cert else ("tls_key", "tls_cert")
        raise ConfigError(f"{_name(given)} needs {_name(missing)} too: HTTPS takes both files")
    if not cert:
        return None, None
    from cloudraya_registry.tls import server_context

    cert_path, key_path = Path(str(cert)), Path(str(key))
    server_context(cert_path, key_path)  # refuse unusable files at start, before anything else
    return cert_path, key_path


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
