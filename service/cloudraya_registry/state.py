"""What every part of the running service shares: configuration, database, blob store, keys."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudraya_registry.db.session import Database


@dataclass
class ServiceState:
    data_dir: Path
    public_url: str  # e.g. "http://127.0.0.1:5000", no trailing slash
    db: Database
    blob_store: Any  # cloudraya_registry.storage.BlobStore (the data-plane helper defines it)
    token_signing_key: bytes  # secret for data-plane bearer tokens; kept in the data dir

    @property
    def public_host(self) -> str:
        """Host[:port] of ``public_url``: the prefix of every docker reference."""
        return self.public_url.split("://", 1)[-1].rstrip("/")

    def endpoint_of(self, registry_name: str) -> str:
        return f"{self.public_host}/{registry_name}"
