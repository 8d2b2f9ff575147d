"""Faults and contention: pulls never wait for another tenant's writes, pull statistics
survive a SIGTERM, and a full disk refuses writes with 507 while pulls and logins go on.

Regressions of issue 11: every manifest GET opened a write transaction (one tenant's push
stalled everyone's pulls), and on a full disk everything, pulls and failed logins included,
was a generic 500.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
from cloudraya_registry.db.models import Manifest
from sqlalchemy import select

from tests.service.oci_helpers import (
    PASSWORD,
    OciClient,
    make_image,
    oci_error_codes,
    oci_error_message,
    registry_with_client,
    sha256,
)
from tests.support.inprocess import InProcessService
from tests.support.service import RegistryService

REPO = "dev-registry/app"


def _pull_count(service, tag: str = "v1") -> int:
    with service.api() as api:
        artifacts = api.get("/registries/dev-registry/repositories/app/artifacts").json()
    return next(a["pull_count"] for a in artifacts["artifacts"] if tag in a["tags"])


def test_pulls_do_not_wait_for_a_write_transaction(control_service: InProcessService) -> None:
    service = control_service
    client = registry_with_client(service, "dev-registry")
    image = make_image(1000)
    assert client.push_image(REPO, image, "v1").status_code == 201
    assert client.get_manifest(REPO, "v1").status_code == 200  # warms the login cache
    holding, release = threading.Event(), threading.Event()

    def long_write() -> None:
        # Another tenant's long transaction that has locked this manifest's row.
        with service.state.db.write() as session:
            session.execute(
                select(Manifest.id).where(Manifest.digest == image.digest).with_for_update()
            )
            holding.set()
            release.wait(30)

    writer = threading.Thread(target=long_write)
    writer.start()
    try:
        assert holding.wait(10)
        with OciClient(service, "dev-registry") as puller:
            puller.http.timeout = httpx.Timeout(5.0)
            for _ in range(3):
                pulled = puller.get_manifest(REPO, "v1")
                assert pulled.status_code == 200
                assert pulled.content == image.manifest
    finally:
        release.set()
        writer.join()
    assert _pull_count(service) == 4


def test_pull_statistics_survive_a_sigterm(process_service: RegistryService) -> None:
    client = registry_with_client(process_service, "dev-registry")
    assert client.push_image(REPO, make_image(100), "v1").status_code == 201
    for _ in range(25):
        assert client.get_manifest(REPO, "v1").status_code == 200
    assert process_service.stop() == 0  # SIGTERM right after the pulls: the tally is written
    process_service.start()
    assert _pull_count(process_service) == 25


@contextlib.contextmanager
def small_disk(path: Path, size_mib: int) -> Iterator[Path]:
    """A real filesystem of ``size_mib`` (tmpfs) at ``path``: the tests run as root."""
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mib}m,mode=0700", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    assert mounted.returncode == 0, (
        f"cannot mount a small disk (tests run as root): {mounted.stderr}"
    )
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb") as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 65536)
            handle.flush()
    return filler


def test_a_full_disk_refuses_writes_with_507_and_keeps_pulls_and_logins(
    service_factory, tmp_path: Path
) -> None:
    # The data dir is the small disk itself (the service log stays outside it).
    with small_disk(tmp_path / "data", 24) as disk:
        service = service_factory(data_dir=disk)
        client = registry_with_client(service, "dev-registry")
        image = make_image(4000, 2000)
        assert client.push_image(REPO, image, "v1").status_code == 201
        filler = _fill(disk)

        for attempt in (
            lambda: client.push_blob(REPO, os.urandom(300_000)),
            lambda: client.put_manifest(REPO, "v2", make_image(10).manifest),
        ):
            refused = attempt()
            assert refused.status_code == 507, refused.text
            assert oci_error_codes(refused) == ["UNKNOWN"]
            assert "storage is full" in oci_error_message(refused)
        with service.api() as api:
            created = api.post("/registries", json={"name": "new-registry"})
        assert created.status_code == 507
        assert created.json()["error"]["code"] == "RESOURCE_EXHAUSTED"

        # Pulls and logins still work; a failed login is still a 401, not a 500.
        with OciClient(service, "dev-registry") as fresh:
            assert fresh.get_manifest(REPO, "v1").content == image.manifest
            for blob in (image.config, *image.layers):
                assert fresh.get_blob(REPO, sha256(blob)).content == blob
        token = httpx.get(f"{service.url}/auth/token", auth=("dev-registry", PASSWORD), timeout=60)
        assert token.status_code == 200
        wrong = httpx.get(
            f"{service.url}/v2/", auth=("dev-registry", "Wrong-Pass-word-1"), timeout=60
        )
        assert wrong.status_code == 401
        assert '"status": 500' not in service.log_text()

        filler.unlink()
        assert client.push_blob(REPO, os.urandom(300_000)).status_code == 201
        service.stop()
