"""Talking to a running service the way users do: skopeo pushes, the JSON API, the CLI."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.support.images import push_layout
from tests.support.paths import require_tool, search_path
from tests.support.service import RegistryService

SCAN_WAIT_S = 600.0
FINAL = {"done", "failed", "unsupported"}


def push(service: RegistryService, registry: dict, layout: Path, tag: str, repo: str) -> None:
    """``skopeo copy --all``: the image or index ``tag`` of a layout to ``<registry>/<repo>``."""
    push_layout(
        layout,
        tag,
        f"{service.host}/{registry['name']}/{repo}:{tag}",
        creds=(registry["username"], registry["password"]),
        all_images=True,
    )


def artifact_path(registry: dict, repo: str, reference: str) -> str:
    return f"/registries/{registry['name']}/repositories/{repo}/artifacts/{reference}"


def scan_status(service: RegistryService, registry: dict, repo: str, reference: str) -> dict:
    with service.api() as api:
        response = api.get(artifact_path(registry, repo, reference) + "/scan")
    assert response.status_code == 200, response.text
    return response.json()


def request_scan(service: RegistryService, registry: dict, repo: str, reference: str) -> dict:
    with service.api() as api:
        response = api.post(artifact_path(registry, repo, reference) + "/scan")
    assert response.status_code == 202, response.text
    return response.json()


def wait_for_scan(
    service: RegistryService, registry: dict, repo: str, reference: str
) -> dict[str, Any]:
    """Poll until the scan reaches a final status (done, failed, unsupported)."""
    deadline = time.monotonic() + SCAN_WAIT_S
    while True:
        report = scan_status(service, registry, repo, reference)
        if report["status"] in FINAL:
            return report
        assert time.monotonic() < deadline, f"scan still {report['status']} after {SCAN_WAIT_S}s"
        time.sleep(0.5)


def get(service: RegistryService, path: str, **params: Any) -> dict:
    with service.api() as api:
        response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def vulndb_cli(service: RegistryService, *args: str) -> subprocess.CompletedProcess[str]:
    """``cloudraya-registry vulndb ARGS`` against the service's data dir and database."""
    database = ["--database-url", service.database_url] if service.database_url else []
    return subprocess.run(
        [
            require_tool("cloudraya-registry"),
            "vulndb",
            *args,
            "--data-dir",
            str(service.data_dir),
            *database,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": search_path()},
    )


def vulndb_import(service: RegistryService, path: Path) -> subprocess.CompletedProcess[str]:
    return vulndb_cli(service, "import", str(path))


def write_osv(directory: Path, records: list[dict]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for record in records:
        (directory / f"{record['id']}.json").write_text(json.dumps(record))
    return directory


def advisory(advisory_id: str, ecosystem: str, name: str, **affected: Any) -> dict:
    """An OSV record; ``affected`` holds ``ranges``/``versions``; top-level extras via ``_top``."""
    top = affected.pop("_top", {})
    return {
        "schema_version": "1.6.0",
        "id": advisory_id,
        "modified": "2024-05-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": ecosystem, "name": name}, **affected}],
        **top,
    }


def ecosystem_range(*events: dict, kind: str = "ECOSYSTEM") -> list[dict]:
    return [{"type": kind, "events": list(events)}]
