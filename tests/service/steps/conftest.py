"""Fixtures for testing the data plane's policy steps one at a time, without HTTP.

A :class:`ServiceState` over a copy of the migrated template database, with a registry, a
repository and (when asked) a tagged manifest written through the domain layer.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cloudraya_registry.bootstrap import build_state
from cloudraya_registry.config import ServiceConfig
from cloudraya_registry.domain import artifacts, content, registries
from cloudraya_registry.domain.actors import Actor
from cloudraya_registry.domain.api_tokens import ensure_project
from cloudraya_registry.domain.changes import no_checks
from cloudraya_registry.domain.manifest_format import parse_manifest
from cloudraya_registry.domain.media_types import OCI_IMAGE_CONFIG, OCI_LAYER, OCI_MANIFEST
from cloudraya_registry.state import ServiceState

from tests.support.inprocess import migrated_sqlite_template

UNIT = 1000  # bytes per "GB": a 10 GB registry holds 10 kB here
REPOSITORY = "app"


@dataclass
class World:
    state: ServiceState
    actor: Actor
    registry_name: str = "step-registry"

    @property
    def registry(self) -> registries.RegistryInfo:
        with self.state.db.read() as session:
            info = registries.load_info(session, self.registry_name)
        assert info is not None
        return info

    def repository_id(self, session, repository: str = REPOSITORY) -> int:
        from cloudraya_registry.domain import repositories

        return repositories.load(session, self.registry.id, self.registry_name, repository).id

    def set_immutability(self, on: bool) -> None:
        registries.update_settings(self.state, self.actor, self.registry_name, tag_immutability=on)

    def open_upload(self, received: bytes = b"", repository: str = REPOSITORY) -> str:
        """An unfinished upload session holding ``received`` (recorded as a PATCH does)."""
        upload_id = content.open_upload(self.state, self.registry, repository, no_checks)
        writer = self.state.blob_store.open_upload(upload_id)
        writer.write(received)
        writer.close()
        content.record_offset(self.state, upload_id, len(received))
        return upload_id

    def add_blob(self, data: bytes, repository: str = REPOSITORY) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        upload_id = content.open_upload(self.state, self.registry, repository, no_checks)
        writer = self.state.blob_store.open_upload(upload_id)
        writer.write(data)
        writer.close()
        content.commit_upload(
            self.state,
            self.registry,
            repository,
            upload_id,
            digest,
            len(data),
            has_session=True,
            check=no_checks,
        )
        return digest

    def push_image(self, tag: str | None, layer: bytes = b"layer", repository: str = REPOSITORY):
        config = json.dumps({"os": "linux", "layer": layer.hex()}).encode()
        config_digest, layer_digest = (
            self.add_blob(config, repository),
            self.add_blob(layer, repository),
        )
        body = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {
                    "mediaType": OCI_IMAGE_CONFIG,
                    "digest": config_digest,
                    "size": len(config),
                },
                "layers": [{"mediaType": OCI_LAYER, "digest": layer_digest, "size": len(layer)}],
            }
        ).encode()
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        incoming = artifacts.IncomingManifest(
            digest, body, parse_manifest(body, OCI_MANIFEST), [tag] if tag else []
        )
        stored = artifacts.store(self.state, self.registry, repository, incoming, no_checks)
        return stored, digest, layer_digest


@pytest.fixture
def world(tmp_path: Path, database_templates: Path) -> Iterator[World]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copyfile(migrated_sqlite_template(database_templates), data_dir / "registry.db")
    config = ServiceConfig(data_dir=data_dir, storage_unit_bytes=UNIT, max_open_uploads=3)
    state = build_state(config, bootstrap=False)
    with state.db.write() as session:
        project_id = ensure_project(session, "steps").id
    actor = Actor(project_id, "step-tests", "127.0.0.1")
    registries.create(state, actor, "step-registry", None, 10)
    try:
        yield World(state, actor)
    finally:
        state.db.dispose()
