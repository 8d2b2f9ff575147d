"""A real Debian image pushed with skopeo: its inventory and findings, through the service."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from debian.debian_support import Version

from tests.scanning.conftest import DebianRootfs
from tests.scanning.images import LAYER_TYPES, OciLayout
from tests.scanning.registry import (
    advisory,
    artifact_path,
    ecosystem_range,
    get,
    push,
    request_scan,
    scan_status,
    vulndb_import,
    wait_for_scan,
    write_osv,
)
from tests.support.service import RegistryService

CRITICAL_VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8


def push_debian(
    service: RegistryService, rootfs: DebianRootfs, tmp_path: Path, name: str
) -> tuple[dict, str, str]:
    """Push the rootfs as a one-layer image; returns (registry, repository, layer digest)."""
    registry = service.create_registry(name)
    layout = OciLayout(tmp_path / "debian-oci")
    layer = layout.add_file(rootfs.layer, LAYER_TYPES["gzip"])
    layout.add_image([layer], tag="bookworm")
    push(service, registry, layout.root, "bookworm", "debian")
    return registry, "debian", layer["digest"]


def test_dpkg_inventory_equals_dpkg_query(
    service: RegistryService, debian_rootfs: DebianRootfs, tmp_path: Path
) -> None:
    registry, repo, layer = push_debian(service, debian_rootfs, tmp_path, "inventory-reg")
    assert scan_status(service, registry, repo, "bookworm")["status"] == "not_scanned"

    assert request_scan(service, registry, repo, "bookworm")["status"] == "queued"
    report = wait_for_scan(service, registry, repo, "bookworm")
    assert report["status"] == "done", report
    assert report["os"] == "Debian GNU/Linux 12 (bookworm)"

    inventory = get(service, artifact_path(registry, repo, "bookworm") + "/packages")
    scanned = sorted(
        f"{p['name']} {p['version']}"
        for p in inventory["packages"]
        if p["ecosystem"] == "Debian:12"
    )
    expected = sorted(debian_rootfs.dpkg_query("${Package} ${Version}\n"))
    assert len(expected) > 50
    assert scanned == expected
    assert {(p["path"], p["layer_digest"]) for p in inventory["packages"]} == {
        ("/var/lib/dpkg/status", layer)
    }


def _installed(rootfs: DebianRootfs) -> list[dict[str, str]]:
    rows = rootfs.dpkg_query("${Package}\t${Version}\t${source:Package}\t${source:Version}\n")
    return [
        dict(zip(("name", "version", "source", "source_version"), r.split("\t"), strict=True))
        for r in rows
    ]


def test_osv_advisories_produce_exactly_the_expected_findings(
    service: RegistryService, debian_rootfs: DebianRootfs, tmp_path: Path
) -> None:
    installed = _installed(debian_rootfs)
    by_source: dict[str, list[dict[str, str]]] = defaultdict(list)
    for package in installed:
        by_source[package["source"]].append(package)
    bash = by_source["bash"][0]["source_version"]
    tar = by_source["tar"][0]["source_version"]
    gzip_version = by_source["gzip"][0]["source_version"]
    epoch_source = next(
        s for s, pkgs in sorted(by_source.items()) if ":" in pkgs[0]["source_version"]
    )
    epoch_version = by_source[epoch_source][0]["source_version"]
    epoch = int(epoch_version.split(":", 1)[0])
    upstream = epoch_version.split(":", 1)[1]
    newer_bash = bash + "+deb12u99"
    assert Version(newer_bash) > Version(bash)

    records = [
        # fixed exactly at the installed version: not affected
        advisory("DSA-TEST-BOUNDARY", "Debian:12", "bash",
                 ranges=ecosystem_range({"introduced": "0"}, {"fixed": bash})),
        # fixed one step later: affected, with a CVE alias and a critical CVSS vector
        advisory("DSA-TEST-BASH", "Debian:12", "bash",
                 ranges=ecosystem_range({"introduced": "0"}, {"fixed": newer_bash}),
                 _top={"aliases": ["CVE-2099-0001"],
                       "severity": [{"type": "CVSS_V3", "score": CRITICAL_VECTOR}]}),
        # epoch: a larger upstream version without epoch is still older than the installed one
        advisory("DSA-TEST-EPOCH-OLDER", "Debian:12", epoch_source,
                 ranges=ecosystem_range({"introduced": "0"}, {"fixed": f"99{upstream}"})),
        # ... and a higher epoch is newer, whatever the upstream part
        advisory("DSA-TEST-EPOCH-NEWER", "Debian:12", epoch_source,
                 ranges=ecosystem_range({"introduced": "0"}, {"fixed": f"{epoch + 1}:0.1"}),
                 _top={"database_specific": {"severity": "low"}}),
        advisory("DEBIAN-TEST-LAST", "Debian", "tar",
                 ranges=ecosystem_range({"introduced": "0"}, {"last_affected": tar})),
        advisory("DEBIAN-TEST-VERSIONS", "Debian:12", "gzip", versions=[gzip_version]),
        # another Debian release, and a range that starts after the installed version
        advisory("DSA-TEST-OTHER-RELEASE", "Debian:11", "bash",
                 ranges=ecosystem_range({"introduced": "0"}, {"fixed": newer_bash})),
        advisory("DSA-TEST-NOT-YET", "Debian:12", "tar",
                 ranges=ecosystem_range({"introduced": tar + "+1"}, {"fixed": tar + "+2"})),
    ]  # fmt: skip
    imported = vulndb_import(service, write_osv(tmp_path / "osv", records))
    assert imported.returncode == 0, imported.stderr
    assert f"imported {len(records)} OSV records" in imported.stdout

    expected = {("DSA-TEST-BASH", p["name"], bash, newer_bash) for p in by_source["bash"]}
    expected |= {
        ("DSA-TEST-EPOCH-NEWER", p["name"], epoch_version, f"{epoch + 1}:0.1")
        for p in by_source[epoch_source]
    }
    expected |= {("DEBIAN-TEST-LAST", p["name"], tar, None) for p in by_source["tar"]}
    expected |= {("DEBIAN-TEST-VERSIONS", p["name"], gzip_version, None) for p in by_source["gzip"]}

    registry, repo, layer = push_debian(service, debian_rootfs, tmp_path, "findings-reg")
    request_scan(service, registry, repo, "bookworm")
    assert wait_for_scan(service, registry, repo, "bookworm")["status"] == "done"
    report = get(service, artifact_path(registry, repo, "bookworm") + "/vulnerabilities")
    assert report["notes"] == []
    assert report["vulndb_version"] == 1

    found = {
        (f["advisory_id"], f["package"], f["installed_version"], f["fixed_version"])
        for f in report["findings"]
    }
    assert found == expected
    bash_finding = next(f for f in report["findings"] if f["advisory_id"] == "DSA-TEST-BASH")
    assert bash_finding["cve_ids"] == ["CVE-2099-0001"]
    assert bash_finding["severity"] == "Critical"
    assert bash_finding["cvss_score"] == 9.8
    assert {f["layer_digest"] for f in report["findings"]} == {layer}
    assert report["counts"]["Critical"] == len(by_source["bash"])
    assert report["counts"]["Low"] == len(by_source[epoch_source])
    assert report["total"] == len(expected)

    lows = get(
        service, artifact_path(registry, repo, "bookworm") + "/vulnerabilities", severity="Low"
    )
    assert {f["advisory_id"] for f in lows["findings"]} == {"DSA-TEST-EPOCH-NEWER"}
