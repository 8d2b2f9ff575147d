"""Scanning through the running service: triggers, hostile images, API views and vulndb."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
from pathlib import Path

import httpx
import pytest
from cloudraya_registry.bootstrap import default_database_url
from cloudraya_registry.db.models import Manifest, ScanStatus
from cloudraya_registry.db.session import Database
from sqlalchemy import update

from tests.scanning.images import LAYER_TYPES, F, Link, OciLayout, layer, tar_bytes
from tests.scanning.registry import (
    advisory,
    artifact_path,
    ecosystem_range,
    get,
    push,
    request_scan,
    scan_status,
    vulndb_cli,
    vulndb_import,
    wait_for_scan,
    write_osv,
)
from tests.support.service import RegistryService, ServiceStartError

APK_DB = b"P:busybox\nV:1.36.1-r15\no:busybox\n\nP:libssl3\nV:3.1.4-r5\no:openssl\n"


def small_image(tmp_path: Path, name: str, version: str = "2.31.0") -> OciLayout:
    layout = OciLayout(tmp_path / f"oci-{name}-{version}")
    metadata = f"Metadata-Version: 2.1\nName: requests\nVersion: {version}\n".encode()
    layout.add_image([layer([F(f"app/requests-{version}.dist-info/METADATA", metadata)])], tag="v1")
    return layout


def set_scan_on_push(service: RegistryService, registry: dict, value: bool) -> None:
    with service.api() as api:
        response = api.patch(
            f"/registries/{registry['name']}/settings", json={"scan_on_push": value}
        )
    assert response.status_code == 200, response.text
    assert response.json()["scan_on_push"] is value


def test_scan_on_push_scans_without_being_asked(service: RegistryService, tmp_path: Path) -> None:
    registry = service.create_registry("push-scan")
    push(service, registry, small_image(tmp_path, "off", "2.30.0").root, "v1", "off")

    set_scan_on_push(service, registry, True)
    push(service, registry, small_image(tmp_path, "on", "2.31.0").root, "v1", "on")
    report = wait_for_scan(service, registry, "on", "v1")
    assert report["status"] == "done"
    assert report["package_count"] == 1
    assert report["notes"] == [
        "the advisory database is empty, so no vulnerabilities can be found; import one with "
        "`cloudraya-registry vulndb import` and scan again"
    ]

    # pushed while the setting was off: the worker ran meanwhile, yet never picked it up
    assert scan_status(service, registry, "off", "v1")["status"] == "not_scanned"
    packages = get(service, artifact_path(registry, "off", "v1") + "/packages")
    assert packages == {"digest": packages["digest"], "status": "not_scanned", "os": None,
                        "packages": []}  # fmt: skip
    request_scan(service, registry, "off", "v1")
    assert wait_for_scan(service, registry, "off", "v1")["status"] == "done"
    events = get(service, f"/registries/{registry['name']}/audit")["events"]
    scans = [e for e in events if e["action"] == "artifact.scan"]
    assert [(e["target"], e["outcome"]) for e in scans] == [
        (f"push-scan/off@{packages['digest']}", "success")
    ]
    packages = get(service, artifact_path(registry, "off", "v1") + "/packages")["packages"]
    assert [(p["ecosystem"], p["name"], p["version"]) for p in packages] == [
        ("PyPI", "requests", "2.30.0")
    ]

    # the artifact list of the control plane shows the same status and summary
    artifacts = get(service, f"/registries/{registry['name']}/repositories/on/artifacts")
    scan = artifacts["artifacts"][0]["scan"]
    assert scan["status"] == "done"
    assert scan["summary"]["packages"] == 1


def _raw_layer(
    name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"", link: str = ""
) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        info = tarfile.TarInfo(name)
        info.type, info.linkname = kind, link
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data) if data else None)
    return gzip.compress(buffer.getvalue())


def test_hostile_images_fail_with_a_reason_while_the_service_keeps_working(
    service_factory, tmp_path: Path
) -> None:
    # a lower limit for the files the analyzers read, so the "huge file" case stays small
    service = service_factory(env={"CLOUDRAYA_SCAN_MAX_FILE_BYTES": str(1024 * 1024)})
    registry = service.create_registry("hostile")
    set_scan_on_push(service, registry, True)
    bomb = gzip.compress(tar_bytes([F("zeros", b"\0" * (300 * 1024 * 1024))]), compresslevel=9)
    truncated = layer([F("var/lib/dpkg/status", os.urandom(300_000))])[0]
    cases = {
        "traversal": (_raw_layer("../../../etc/cron.d/evil", data=b"* * * * * root id"),
                      "points outside the image's root filesystem (path traversal)"),
        "symlink-loop": (layer([Link("etc/os-release", "loop"), Link("etc/loop", "os-release")])[0],
                         "symlink loop: resolving /etc/os-release"),
        "bomb": (bomb, "looks like a decompression bomb"),
        "huge-file": (layer([F("lib/apk/db/installed", b"P:x\nV:1\n\n" * 300_000)])[0],
                      "/lib/apk/db/installed is 2700000 bytes; package metadata files may be at "
                      "most 1048576 bytes"),
        "corrupt": (truncated[: len(truncated) // 2],
                    "is not a valid gzip-compressed tar archive"),
    }  # fmt: skip
    for repo, (blob, _reason) in cases.items():
        layout = OciLayout(tmp_path / f"oci-{repo}")
        layout.add_image([(blob, LAYER_TYPES["gzip"])], tag="v1")
        push(service, registry, layout.root, "v1", repo)

    # pushes and scans of good images go on while (and after) the hostile ones are scanned
    push(service, registry, small_image(tmp_path, "good").root, "v1", "good")
    for repo, (_blob, reason) in cases.items():
        report = wait_for_scan(service, registry, repo, "v1")
        assert report["status"] == "failed", (repo, report)
        assert reason in report["reason"], (repo, report["reason"])
        assert report["counts"] is None
    assert wait_for_scan(service, registry, "good", "v1")["status"] == "done"
    assert httpx.get(f"{service.url}/healthz").json() == {"status": "ok"}
    assert service.running


def test_language_and_alpine_findings_per_platform_of_an_index(
    backend_service: RegistryService, tmp_path: Path
) -> None:
    service = backend_service
    registry = service.create_registry("lang-reg")
    layout = OciLayout(tmp_path / "oci")
    base = layer(
        [
            F("etc/os-release", b"NAME=Alpine\nID=alpine\nVERSION_ID=3.19.1\n"),
            F("lib/apk/db/installed", APK_DB),
        ]
    )
    app = layer(
        [
            F("usr/lib/python3.11/site-packages/Django-4.2.0.dist-info/METADATA",
              b"Name: Django\nVersion: 4.2.0\n"),
            F("srv/node_modules/lodash/package.json", b'{"name": "lodash", "version": "4.17.20"}'),
        ],
        "zstd",
    )  # fmt: skip
    amd = layout.add_image([base, app], architecture="amd64")
    arm = layout.add_image([base], architecture="arm64")
    layout.add_index([(amd, "linux/amd64"), (arm, "linux/arm64")], tag="multi")
    app_digest = json.loads(layout.read_bytes(amd["digest"], 1 << 20))["layers"][1]["digest"]
    records = [
        advisory("ALPINE-TEST-SSL", "Alpine:v3.19", "openssl",
                 ranges=ecosystem_range({"introduced": "0"}, {"fixed": "3.1.4-r6"}),
                 _top={"aliases": ["CVE-2024-0727"],
                       "severity": [{"type": "CVSS_V3",
                                     "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}]}),
        advisory("ALPINE-TEST-BUSYBOX", "Alpine:v3.19", "busybox",
                 ranges=ecosystem_range({"introduced": "0"}, {"fixed": "1.36.1-r2"})),
        advisory("GHSA-TEST-DJANGO", "PyPI", "django",
                 ranges=ecosystem_range({"introduced": "4.0"}, {"fixed": "4.2.1"}),
                 _top={"aliases": ["CVE-2023-31047"],
                       "database_specific": {"severity": "CRITICAL"}}),
        advisory("GHSA-TEST-LODASH", "npm", "lodash",
                 ranges=ecosystem_range({"introduced": "0"}, {"fixed": "4.17.21"}, kind="SEMVER"),
                 _top={"database_specific": {"severity": "MODERATE"}}),
    ]  # fmt: skip
    imported = vulndb_import(service, write_osv(tmp_path / "osv", records))
    assert imported.returncode == 0, imported.stderr
    push(service, registry, layout.root, "multi", "app")

    request_scan(service, registry, "app", "multi")
    report = wait_for_scan(service, registry, "app", "multi")
    assert report["status"] == "done", report
    assert report["platforms"] == ["linux/amd64", "linux/arm64"]
    assert report["counts"] == {"Critical": 1, "High": 2, "Medium": 1, "Low": 0, "Unknown": 0}

    found = get(service, artifact_path(registry, "app", "multi") + "/vulnerabilities")
    rows = {
        (f["platform"], f["advisory_id"], f["package"], f["installed_version"], f["fixed_version"])
        for f in found["findings"]
    }
    assert rows == {
        ("linux/amd64", "ALPINE-TEST-SSL", "libssl3", "3.1.4-r5", "3.1.4-r6"),
        ("linux/arm64", "ALPINE-TEST-SSL", "libssl3", "3.1.4-r5", "3.1.4-r6"),
        ("linux/amd64", "GHSA-TEST-DJANGO", "Django", "4.2.0", "4.2.1"),
        ("linux/amd64", "GHSA-TEST-LODASH", "lodash", "4.17.20", "4.17.21"),
    }
    django = next(f for f in found["findings"] if f["package"] == "Django")
    assert django["cve_ids"] == ["CVE-2023-31047"]
    assert django["severity"] == "Critical"
    assert django["layer_digest"] == app_digest
    assert django["package_path"] == (
        "/usr/lib/python3.11/site-packages/Django-4.2.0.dist-info/METADATA"
    )
    assert [f["severity"] for f in found["findings"]][:1] == ["Critical"]

    # each platform manifest carries its own result too
    arm_report = scan_status(service, registry, "app", arm["digest"])
    assert arm_report["status"] == "done"
    assert arm_report["counts"]["High"] == 1


def test_non_images_are_unsupported(service: RegistryService, tmp_path: Path) -> None:
    registry = service.create_registry("chart-reg")
    layout = OciLayout(tmp_path / "oci")
    layout.add_image(
        [(b"not a container layer", "application/vnd.cncf.helm.chart.content.v1.tar+gzip")],
        tag="0.1.0",
        config_media_type="application/vnd.cncf.helm.config.v1+json",
    )
    push(service, registry, layout.root, "0.1.0", "chart")
    request_scan(service, registry, "chart", "0.1.0")
    report = wait_for_scan(service, registry, "chart", "0.1.0")
    assert report["status"] == "unsupported"
    assert "application/vnd.cncf.helm.config.v1+json is not a container image" in report["reason"]


def test_api_errors_use_the_control_plane_format(service: RegistryService, tmp_path: Path) -> None:
    registry = service.create_registry("errors-reg")
    push(service, registry, small_image(tmp_path, "x").root, "v1", "app")
    path = artifact_path(registry, "app", "v1") + "/scan"

    anonymous = httpx.get(f"{service.url}/api/v1{path}")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "UNAUTHORIZED"

    with service.api() as api:
        missing = api.get(artifact_path(registry, "app", "sha256:" + "0" * 64) + "/vulnerabilities")
        assert missing.status_code == 404
        assert missing.json()["error"] == {
            "code": "NOT_FOUND",
            "message": f"artifact {'sha256:' + '0' * 64!r} not found in errors-reg/app; give a "
            "digest (sha256:...) or a tag of the repository",
        }
        no_repo = api.post(artifact_path(registry, "nope", "v1") + "/scan")
        assert no_repo.status_code == 404
        assert no_repo.json()["error"]["message"] == (
            "repository 'nope' not found in registry 'errors-reg'"
        )
        bad_filter = api.get(
            artifact_path(registry, "app", "v1") + "/vulnerabilities", params={"severity": "Huge"}
        )
        assert bad_filter.status_code == 400
        assert bad_filter.json()["error"]["code"] == "INVALID_ARGUMENT"
        assert "severity" in bad_filter.json()["error"]["message"]

        openapi = api.get("/openapi.json").json()
        assert "/api/v1/vulndb" in openapi["paths"]
        assert (
            "/api/v1/registries/{name}/repositories/{repository}/artifacts/{reference}/scan"
            in openapi["paths"]
        )


def test_vulndb_import_versions_and_status(
    backend_service: RegistryService, tmp_path: Path
) -> None:
    service = backend_service
    with service.api() as api:
        empty = api.get("/vulndb").json()
    assert (empty["version"], empty["advisory_count"]) == (None, 0)

    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "X", "affected": "all of them"}')
    refused = vulndb_import(service, bad)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"cloudraya-registry vulndb import: {bad}: X: 'affected' must be a list"
    )

    records = [
        advisory("GHSA-1", "PyPI", "requests", ranges=ecosystem_range({"introduced": "0"})),
        advisory("DSA-1", "Debian:12", "bash", ranges=ecosystem_range({"introduced": "0"})),
    ]
    assert vulndb_import(service, write_osv(tmp_path / "one", records)).returncode == 0
    second = vulndb_import(service, write_osv(tmp_path / "two", records[:1]))
    assert second.returncode == 0
    assert "0 added, 0 updated, 1 unchanged" in second.stdout
    assert "version 2 holds 2 advisories" in second.stdout

    with service.api() as api:
        status = api.get("/vulndb").json()
    assert status["version"] == 2
    assert status["advisory_count"] == 2
    assert status["ecosystems"] == {"Debian": 1, "PyPI": 1}
    assert [i["version"] for i in status["imports"]] == [2, 1]

    cli = vulndb_cli(service, "status")
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["version"] == 2


def test_queued_and_interrupted_scans_resume_after_a_restart(
    service: RegistryService, tmp_path: Path
) -> None:

    registry = service.create_registry("resume-reg")
    push(service, registry, small_image(tmp_path, "queued", "2.0.0").root, "v1", "queued")
    push(service, registry, small_image(tmp_path, "cut", "2.1.0").root, "v1", "cut")
    digests = {
        repo: scan_status(service, registry, repo, "v1")["digest"] for repo in ("queued", "cut")
    }
    service.stop()

    # what a stop can leave behind: a scan accepted but not started, and one cut short
    db = Database(default_database_url(service.data_dir))
    with db.write() as session:
        for repo, status in (("queued", ScanStatus.QUEUED), ("cut", ScanStatus.RUNNING)):
            session.execute(
                update(Manifest).where(Manifest.digest == digests[repo]).values(scan_status=status)
            )
    db.dispose()

    service.start()
    for repo, version in (("queued", "2.0.0"), ("cut", "2.1.0")):
        assert wait_for_scan(service, registry, repo, "v1")["status"] == "done"
        packages = get(service, artifact_path(registry, repo, "v1") + "/packages")["packages"]
        assert [p["version"] for p in packages] == [version]


def test_a_bad_scan_setting_stops_the_service_with_a_clear_message(tmp_path: Path) -> None:
    service = RegistryService(tmp_path / "data", env={"CLOUDRAYA_SCAN_MAX_LAYER_BYTES": "8GB"})
    with pytest.raises(ServiceStartError) as failure:
        service.start()
    assert "CLOUDRAYA_SCAN_MAX_LAYER_BYTES must be an integer, got '8GB'" in str(failure.value)
