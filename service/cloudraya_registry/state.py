"""What every part of the running service shares: configuration, database, blob store, keys,
the bounded helpers of the login and pull paths, and the background work that lives as long
as the app (see :mod:`housekeeping`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cloudraya_registry import endpoints
from cloudraya_registry.config import ServiceConfig
from cloudraya_registry.db.session import Database
from cloudraya_registry.domain.audit import FailedLoginLog, FailedLoginRecorder
from cloudraya_registry.domain.pulls import PullCounts
from cloudraya_registry.metrics import ServiceMetrics
from cloudraya_registry.security.password_checks import PasswordChecks

if TYPE_CHECKING:
    from cloudraya_registry.housekeeping import Housekeeping
    from cloudraya_registry.scanning.worker import ScanPool
    from cloudraya_registry.storage import BlobStore


@dataclass
class ServiceState:
    config: ServiceConfig
    db: Database
    blob_store: BlobStore
    token_signing_key: bytes  # secret for data-plane bearer tokens; kept in the data dir
    # One of several worker processes of `serve --workers N` (see :mod:`workers`): the
    # supervisor did the once-per-start work.
    worker_process: bool = False
    password_checks: PasswordChecks = field(init=False, repr=False)
    pull_counts: PullCounts = field(default_factory=PullCounts, repr=False)
    failed_logins: FailedLoginRecorder = field(default_factory=FailedLoginLog, repr=False)
    metrics: ServiceMetrics = field(default_factory=ServiceMetrics, repr=False)
    # Started with the app (lifespan); absent in one-shot commands such as `gc`.
    scan_pool: ScanPool | None = field(default=None, repr=False)
    housekeeping: Housekeeping | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.password_checks = PasswordChecks(
            self.token_signing_key, self.config.password_workers, self.config.max_waiting_logins
        )

    @property
    def data_dir(self) -> Path:
        return self.config.data_dir

    @property
    def public_url(self) -> str:
        """e.g. ``http://127.0.0.1:5000``, no trailing slash."""
        return self.config.public_url

    @property
    def public_host(self) -> str:
        """Host[:port] of ``public_url``: the audience of data-plane tokens."""
        return endpoints.public_host(self.config)

    def endpoint_of(self, registry_name: str) -> str:
        """The prefix of the registry's image references (see :mod:`endpoints`)."""
        return endpoints.endpoint_of(self.config, registry_name)

    def collect_garbage_soon(self, reason: str) -> None:
        """Ask for a garbage collection shortly (bursts of deletes coalesce into one)."""
        if self.housekeeping is not None:
            self.housekeeping.collect_garbage_soon(reason)

    def flush_counters(self) -> None:
        """Write buffered pull statistics and failed-login counts now."""
        self.pull_counts.flush(self)
        self.failed_logins.flush(self)
