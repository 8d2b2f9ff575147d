"""Layer unpacking: compression kinds, whiteouts, opaque directories, links and hostile input."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from pathlib import Path

import pytest
from cloudraya_registry.scanning.limits import ScanFailed, ScanLimits, ScanUnsupported
from cloudraya_registry.scanning.scanner import scan_artifact

from tests.scanning.images import (
    LAYER_TYPES,
    D,
    F,
    Hard,
    Link,
    OciLayout,
    build_go_binary,
    layer,
    opaque,
    tar_bytes,
    whiteout,
)

DEBIAN_OS_RELEASE = b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'


def status_file(*packages: tuple[str, str]) -> bytes:
    paragraphs = [
        f"Package: {name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: {version}\n"
        for name, version in packages
    ]
    return "\n".join(paragraphs).encode()


def dist_info(name: str, version: str, site: str = "usr/lib/python3/dist-packages") -> F:
    return F(
        f"{site}/{name}-{version}.dist-info/METADATA",
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nlong text\n".encode(),
    )


def inventory_of(layout: OciLayout, descriptor: dict, limits: ScanLimits | None = None):
    result = scan_artifact(
        layout, descriptor["digest"], descriptor["mediaType"], limits or ScanLimits()
    )
    assert len(result.platforms) == 1
    return result.platforms[0].inventory


def names(inventory, ecosystem_prefix: str) -> dict[str, str]:
    return {
        p.name: p.version for p in inventory.packages if p.ecosystem.startswith(ecosystem_prefix)
    }


@pytest.mark.parametrize("kinds", [("gzip", "zstd", "plain"), ("plain", "gzip", "zstd")])
def test_later_layers_win_and_whiteouts_hide_lower_files(tmp_path: Path, kinds) -> None:
    layout = OciLayout(tmp_path / "oci")
    base = layer(
        [
            D("etc"),
            F("usr/lib/os-release", DEBIAN_OS_RELEASE),
            Link("etc/os-release", "../usr/lib/os-release"),
            F("var/lib/dpkg/status", status_file(("bash", "5.2.15-2+b2"), ("gzip", "1.12-1"))),
            dist_info("requests", "2.31.0"),
            dist_info("flask", "2.0.0"),
            F("opt/app/node_modules/lodash/package.json", b'{"name":"lodash","version":"4.17.20"}'),
            F("srv/node_modules/left-pad/package.json", b'{"name":"left-pad","version":"1.3.0"}'),
        ],
        kinds[0],
    )
    middle = layer(
        [
            F(
                "var/lib/dpkg/status",
                status_file(("bash", "5.2.15-2+b7"), ("tar", "1.34+dfsg-1.2")),
            ),
            whiteout("usr/lib/python3/dist-packages/flask-2.0.0.dist-info"),
            opaque("opt/app"),
            F(
                "opt/app/node_modules/@babel/core/package.json",
                b'{"name":"@babel/core","version":"7.22.0"}',
            ),
        ],
        kinds[1],
    )
    top = layer([whiteout("srv")], kinds[2])
    descriptor = layout.add_image([base, middle, top])

    inventory = inventory_of(layout, descriptor)

    assert inventory.os is not None and inventory.os.osv_ecosystem == "Debian:12"
    assert names(inventory, "Debian") == {"bash": "5.2.15-2+b7", "tar": "1.34+dfsg-1.2"}
    assert names(inventory, "PyPI") == {"requests": "2.31.0"}
    assert names(inventory, "npm") == {"@babel/core": "7.22.0"}
    bash = next(p for p in inventory.packages if p.name == "bash")
    assert bash.layer == middle_digest(descriptor, layout, 1)
    assert bash.path == "/var/lib/dpkg/status"


def middle_digest(descriptor: dict, layout: OciLayout, index: int) -> str:
    import json

    manifest = json.loads(layout.read_bytes(descriptor["digest"], 1 << 20) or b"{}")
    return manifest["layers"][index]["digest"]


def test_a_file_replacing_a_directory_hides_its_contents(tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "oci")
    lower = layer([dist_info("six", "1.16.0", site="app/lib")])
    upper = layer([F("app/lib", b"now a file")])
    inventory = inventory_of(layout, layout.add_image([lower, upper]))
    assert names(inventory, "PyPI") == {}


def test_status_d_hard_links_and_alpine_database(tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "oci")
    apk_db = (
        b"C:Q1abc=\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\no:musl\n\n"
        b"P:libcrypto3\nV:3.1.4-r5\no:openssl\n"
    )
    image = layer(
        [
            F("etc/os-release", b"ID=alpine\nVERSION_ID=3.19.1\n"),
            F("lib/apk/db/installed", apk_db),
            F("var/lib/dpkg/status.d/base", status_file(("base-files", "12.4+deb12u5"))),
            F("var/lib/dpkg/status.d/base.md5sums", b"ignored"),
            F("opt/a/x-1.0.dist-info/METADATA", b"Name: x\nVersion: 1.0\n"),
            F("usr/lib/python3/dist-packages/six-1.16.0.egg-info", b"Name: six\nVersion: 1.16.0\n"),
            F(
                "opt/legacy/attrs-21.4.0-py3.11.egg-info/PKG-INFO",
                b"Name: attrs\nVersion: 21.4.0\n",
            ),
            Hard("opt/b/x-1.0.dist-info/METADATA", "opt/a/x-1.0.dist-info/METADATA"),
        ]
    )
    inventory = inventory_of(layout, layout.add_image([image]))
    assert names(inventory, "Alpine:v3.19") == {
        "musl": "1.2.4_git20230717-r4",
        "libcrypto3": "3.1.4-r5",
        "base-files": "12.4+deb12u5",
    }
    crypto = next(p for p in inventory.packages if p.name == "libcrypto3")
    assert crypto.source_name == "openssl"
    assert names(inventory, "PyPI") == {"x": "1.0", "six": "1.16.0", "attrs": "21.4.0"}
    assert sorted(p.path for p in inventory.packages if p.name == "x") == [
        "/opt/a/x-1.0.dist-info/METADATA",
        "/opt/b/x-1.0.dist-info/METADATA",
    ]


def test_go_binary_build_info_is_inventoried(tmp_path: Path) -> None:
    binary, go_version = build_go_binary(tmp_path)
    layout = OciLayout(tmp_path / "oci")
    image = layer(
        [F("usr/local/bin/hello", binary, mode=0o755), F("bin/notgo", b"#!/bin/sh\n", 0o755)]
    )
    inventory = inventory_of(layout, layout.add_image([image]))
    go_packages = [(p.name, p.version, p.path) for p in inventory.packages if p.ecosystem == "Go"]
    assert go_packages == [("stdlib", go_version, "/usr/local/bin/hello")]


# -- hostile and broken input ----------------------------------------------------------------
def _raw_tar(name: str, data: bytes = b"x", kind: bytes = tarfile.REGTYPE, link: str = "") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = link
        info.size = len(data) if kind == tarfile.REGTYPE else 0
        archive.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return buffer.getvalue()


def _fails(tmp_path: Path, blob: bytes, media_type: str, limits: ScanLimits | None = None) -> str:
    layout = OciLayout(tmp_path / "oci")
    descriptor = layout.add_image([(blob, media_type)])
    with pytest.raises(ScanFailed) as failure:
        scan_artifact(layout, descriptor["digest"], descriptor["mediaType"], limits or ScanLimits())
    return str(failure.value)


def test_path_traversal_fails_the_scan(tmp_path: Path) -> None:
    blob = gzip.compress(_raw_tar("../../etc/passwd", b"root:x:0:0"))
    reason = _fails(tmp_path, blob, LAYER_TYPES["gzip"])
    assert "'../../etc/passwd' points outside the image's root filesystem" in reason


def test_hard_link_out_of_the_root_fails_the_scan(tmp_path: Path) -> None:
    blob = _raw_tar("etc/shadow", kind=tarfile.LNKTYPE, link="../../../etc/shadow")
    reason = _fails(tmp_path, blob, LAYER_TYPES["plain"])
    assert "hard link target '../../../etc/shadow' points outside" in reason


def test_symlink_loop_fails_the_scan(tmp_path: Path) -> None:
    blob, media = layer(
        [Link("etc/os-release", "os-release-2"), Link("etc/os-release-2", "/etc/os-release")]
    )
    reason = _fails(tmp_path, blob, media)
    assert reason.startswith("symlink loop: resolving /etc/os-release followed more than 40")


def test_decompression_bomb_fails_the_scan(tmp_path: Path) -> None:
    zeros = b"\0" * (64 * 1024 * 1024)
    blob = gzip.compress(tar_bytes([F("zeros", zeros)]), compresslevel=9)
    limits = ScanLimits(ratio_floor_bytes=8 * 1024 * 1024)
    reason = _fails(tmp_path, blob, LAYER_TYPES["gzip"], limits)
    assert "looks like a decompression bomb" in reason
    assert f"over {limits.max_ratio}:1" in reason


def test_layer_over_the_size_limit_fails_the_scan(tmp_path: Path) -> None:
    blob, media = layer([F("big", os.urandom(3 * 1024 * 1024))], "zstd")
    reason = _fails(tmp_path, blob, media, ScanLimits(max_layer_bytes=2 * 1024 * 1024))
    assert "unpacks to more than 2097152 bytes, the limit for one layer" in reason


def test_huge_metadata_file_fails_the_scan(tmp_path: Path) -> None:
    blob, media = layer([F("var/lib/dpkg/status", b"Package: a\n" * 200_000)])
    reason = _fails(tmp_path, blob, media, ScanLimits(max_file_bytes=1024 * 1024))
    assert (
        "/var/lib/dpkg/status is 2200000 bytes; package metadata files may be at most 1048576"
        in reason
    )


def test_truncated_gzip_layer_fails_the_scan(tmp_path: Path) -> None:
    blob, media = layer([F("var/lib/dpkg/status", os.urandom(200_000))])
    reason = _fails(tmp_path, blob[: len(blob) // 2], media)
    assert "is not a valid gzip-compressed tar archive" in reason


def test_garbage_layer_fails_the_scan(tmp_path: Path) -> None:
    reason = _fails(tmp_path, os.urandom(4096), LAYER_TYPES["plain"])
    assert "is not a valid tar archive" in reason


def test_oversized_pax_header_fails_the_scan(tmp_path: Path) -> None:
    header = tarfile.TarInfo("././@PaxHeader")
    header.type = tarfile.XHDTYPE
    header.size = 64 * 1024 * 1024
    blob = header.tobuf(format=tarfile.USTAR_FORMAT) + b"\0" * 1024
    reason = _fails(tmp_path, blob, LAYER_TYPES["plain"])
    assert "tar metadata record is 67108864 bytes" in reason


def test_missing_layer_blob_fails_the_scan(tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "oci")
    fake = {"mediaType": LAYER_TYPES["gzip"], "digest": "sha256:" + "0" * 64, "size": 1}
    descriptor = layout.add_image([fake])
    with pytest.raises(ScanFailed, match="is not stored in the registry"):
        scan_artifact(layout, descriptor["digest"], descriptor["mediaType"], ScanLimits())


def test_non_image_artifacts_are_unsupported(tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "oci")
    chart = layout.add_image(
        [(b"chart", "application/vnd.cncf.helm.chart.content.v1.tar+gzip")],
        config_media_type="application/vnd.cncf.helm.config.v1+json",
    )
    with pytest.raises(ScanUnsupported, match=r"application/vnd\.cncf\.helm\.config\.v1\+json"):
        scan_artifact(layout, chart["digest"], chart["mediaType"], ScanLimits())


def test_index_is_scanned_per_platform(tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "oci")
    amd = layout.add_image([layer([dist_info("six", "1.16.0")])], architecture="amd64")
    arm = layout.add_image([layer([dist_info("six", "1.15.0")])], architecture="arm64")
    index = layout.add_index([(amd, "linux/amd64"), (arm, "linux/arm64")])
    result = scan_artifact(layout, index["digest"], index["mediaType"], ScanLimits())
    assert [(p.platform, p.digest) for p in result.platforms] == [
        ("linux/amd64", amd["digest"]),
        ("linux/arm64", arm["digest"]),
    ]
    assert [p.inventory.packages[0].version for p in result.platforms] == ["1.16.0", "1.15.0"]


def test_an_os_without_a_supported_package_database_is_named_in_the_notes(tmp_path: Path) -> None:
    from cloudraya_registry.scanning.results import summarise

    layout = OciLayout(tmp_path / "oci")
    fedora = layer([F("etc/os-release", b'ID=fedora\nVERSION_ID=40\nPRETTY_NAME="Fedora 40"\n')])
    descriptor = layout.add_image([fedora])
    result = scan_artifact(layout, descriptor["digest"], descriptor["mediaType"], ScanLimits())
    summary = summarise(result.platforms, [], vulndb_version=3)
    assert summary["os"] == "Fedora 40"
    assert summary["notes"] == [
        "operating system packages of Fedora 40 are not inventoried; only Debian, Ubuntu and "
        "Alpine package databases are read"
    ]


def test_a_corrupt_dpkg_database_fails_the_scan(tmp_path: Path) -> None:
    status = status_file(("bash", "5.2.15-2+b7")) + b"Description: x\n\x0c y\n"
    blob, media = layer([F("var/lib/dpkg/status", status)])
    reason = _fails(tmp_path, blob, media)
    assert reason == (
        "/var/lib/dpkg/status is not a valid dpkg status file: value must not have blank lines"
    )
