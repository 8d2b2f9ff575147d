"""Advisory import and matching: each ecosystem's version order and OSV's range rules."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from cloudraya_registry.db.models import Base
from cloudraya_registry.db.session import Database
from cloudraya_registry.scanning.limits import ScanLimits
from cloudraya_registry.scanning.matcher import match
from cloudraya_registry.scanning.scanner import scan_artifact
from cloudraya_registry.scanning.vulndb import VulnDbError, import_path, status

from tests.scanning.images import F, OciLayout, build_go_binary, layer

APK_DB = """\
C:Q1aaa=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
o:musl

C:Q1bbb=
P:busybox
V:1.36.1-r15
o:busybox

P:libcrypto3
V:3.1.4-r5
o:openssl

P:libssl3
V:3.1.4-r5
o:openssl

P:zlib
V:1.3.1-r0
o:zlib
"""


def osv(
    advisory_id: str,
    ecosystem: str,
    name: str,
    *,
    events: list[dict] | None = None,
    range_type: str = "ECOSYSTEM",
    versions: list[str] | None = None,
    aliases: list[str] | None = None,
    **extra,
) -> dict:
    affected: dict = {"package": {"ecosystem": ecosystem, "name": name}}
    if events is not None:
        affected["ranges"] = [{"type": range_type, "events": events}]
    if versions is not None:
        affected["versions"] = versions
    return {
        "schema_version": "1.6.0",
        "id": advisory_id,
        "modified": "2024-01-01T00:00:00Z",
        "aliases": aliases or [],
        "affected": [affected],
        **extra,
    }


@pytest.fixture
def db(tmp_path: Path) -> Database:
    import cloudraya_registry.scanning.models  # noqa: F401 - registers the tables

    database = Database(f"sqlite:///{tmp_path / 'scan.db'}")
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


def write_advisories(directory: Path, records: list[dict]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for record in records:
        (directory / f"{record['id']}.json").write_text(json.dumps(record))
    return directory


def findings_of(db: Database, layout: OciLayout, descriptor: dict) -> set[tuple]:
    result = scan_artifact(layout, descriptor["digest"], descriptor["mediaType"], ScanLimits())
    packages = result.platforms[0].inventory.packages
    with db.read() as session:
        found = match(session, packages)
    return {
        (f.advisory_id, f.package.name, f.installed_version, f.fixed_version, f.severity)
        for f in found
    }


def test_alpine_findings_follow_apk_version_order(tmp_path: Path, db: Database) -> None:
    layout = OciLayout(tmp_path / "oci")
    image = layout.add_image(
        [
            layer(
                [
                    F("etc/os-release", b"ID=alpine\nVERSION_ID=3.19.1\n"),
                    F("lib/apk/db/installed", APK_DB.encode()),
                ]
            )
        ]
    )
    import_path(
        db,
        write_advisories(
            tmp_path / "osv",
            [
                # names the source package: both binary packages of openssl are affected
                osv(
                    "ALPINE-CVE-2024-0727",
                    "Alpine:v3.19",
                    "openssl",
                    events=[{"introduced": "0"}, {"fixed": "3.1.4-r6"}],
                    aliases=["CVE-2024-0727"],
                    severity=[
                        {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"}
                    ],
                ),
                # fixed exactly at the installed release: not affected (r15 > r2 numerically)
                osv(
                    "ALPINE-BOUNDARY",
                    "Alpine:v3.19",
                    "busybox",
                    events=[{"introduced": "0"}, {"fixed": "1.36.1-r15"}],
                ),
                osv(
                    "ALPINE-R2",
                    "Alpine:v3.19",
                    "busybox",
                    events=[{"introduced": "0"}, {"fixed": "1.36.1-r2"}],
                ),
                # _git is a post-release suffix: a later snapshot fixes it ...
                osv(
                    "ALPINE-MUSL",
                    "Alpine:v3.19",
                    "musl",
                    events=[{"introduced": "0"}, {"fixed": "1.2.4_git20230718-r0"}],
                ),
                # ... while the plain 1.2.4 release is older than the snapshot
                osv(
                    "ALPINE-MUSL-RELEASE",
                    "Alpine:v3.19",
                    "musl",
                    events=[{"introduced": "0"}, {"fixed": "1.2.4-r4"}],
                ),
                # another release of Alpine: not this image
                osv(
                    "ALPINE-OTHER-RELEASE",
                    "Alpine:v3.18",
                    "zlib",
                    events=[{"introduced": "0"}, {"fixed": "1.3.2-r0"}],
                ),
            ],
        ),
    )
    assert findings_of(db, layout, image) == {
        ("ALPINE-CVE-2024-0727", "libcrypto3", "3.1.4-r5", "3.1.4-r6", "Medium"),
        ("ALPINE-CVE-2024-0727", "libssl3", "3.1.4-r5", "3.1.4-r6", "Medium"),
        ("ALPINE-MUSL", "musl", "1.2.4_git20230717-r4", "1.2.4_git20230718-r0", "Unknown"),
    }


def test_python_and_npm_findings(tmp_path: Path, db: Database) -> None:
    def dist(name: str, version: str) -> F:
        return F(
            f"usr/local/lib/python3.11/site-packages/{name}-{version}.dist-info/METADATA",
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        )

    def npm(name: str, version: str) -> F:
        return F(
            f"app/node_modules/{name}/package.json",
            json.dumps({"name": name, "version": version}).encode(),
        )

    layout = OciLayout(tmp_path / "oci")
    image = layout.add_image(
        [
            layer([dist("requests", "2.31.0"), dist("Django", "4.2.0"), dist("PyYAML", "5.3.1")]),
            layer(
                [
                    npm("lodash", "4.17.20"),
                    npm("@babel/traverse", "7.22.0"),
                    npm("minimist", "1.2.5"),
                    npm("next", "14.0.0-canary.3"),
                ],
                "zstd",
            ),
        ]
    )
    cvss4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    import_path(
        db,
        write_advisories(
            tmp_path / "osv",
            [
                osv(
                    "GHSA-9wx4-h78v-vm56",
                    "PyPI",
                    "requests",
                    events=[{"introduced": "0"}, {"fixed": "2.32.0"}],
                    aliases=["CVE-2024-35195"],
                    severity=[
                        {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N"}
                    ],
                ),
                # PEP 440: 4.2a1 < 4.2.0 == installed, so the fix boundary excludes it
                osv(
                    "PYSEC-DJANGO",
                    "PyPI",
                    "django",
                    events=[{"introduced": "4.2a1"}, {"fixed": "4.2.0"}],
                ),
                osv(
                    "PYSEC-PYYAML",
                    "PyPI",
                    "pyyaml",
                    events=[{"introduced": "0"}, {"fixed": "5.4"}],
                    database_specific={"severity": "CRITICAL"},
                ),
                osv(
                    "GHSA-LODASH",
                    "npm",
                    "lodash",
                    range_type="SEMVER",
                    events=[{"introduced": "0"}, {"fixed": "4.17.21"}],
                    database_specific={"severity": "HIGH"},
                ),
                osv(
                    "GHSA-BABEL",
                    "npm",
                    "@babel/traverse",
                    events=[{"introduced": "0"}, {"fixed": "7.23.2"}],
                    severity=[{"type": "CVSS_V4", "score": cvss4}],
                ),
                # an explicit versions list, no range
                osv(
                    "GHSA-MINIMIST",
                    "npm",
                    "minimist",
                    versions=["1.2.5"],
                    database_specific={"severity": "MODERATE"},
                ),
                # last_affected below the installed version: not affected
                osv(
                    "GHSA-MINIMIST-OLD",
                    "npm",
                    "minimist",
                    events=[{"introduced": "0"}, {"last_affected": "1.2.4"}],
                ),
                # a semver pre-release sorts before its release
                osv(
                    "GHSA-NEXT",
                    "npm",
                    "next",
                    events=[{"introduced": "13.0.0"}, {"fixed": "14.0.0"}],
                ),
                # same name in another ecosystem: no match
                osv("GHSA-WRONG-ECOSYSTEM", "PyPI", "lodash", events=[{"introduced": "0"}]),
            ],
        ),
    )
    assert findings_of(db, layout, image) == {
        ("GHSA-9wx4-h78v-vm56", "requests", "2.31.0", "2.32.0", "Medium"),
        ("PYSEC-PYYAML", "PyYAML", "5.3.1", "5.4", "Critical"),
        ("GHSA-LODASH", "lodash", "4.17.20", "4.17.21", "High"),
        ("GHSA-BABEL", "@babel/traverse", "7.22.0", "7.23.2", "Critical"),
        ("GHSA-MINIMIST", "minimist", "1.2.5", None, "Medium"),
        ("GHSA-NEXT", "next", "14.0.0-canary.3", "14.0.0", "Unknown"),
    }


def test_import_is_versioned_and_counted(tmp_path: Path, db: Database) -> None:
    first = [
        osv("GHSA-A", "npm", "a", events=[{"introduced": "0"}]),
        osv("DSA-1", "Debian:12", "bash", events=[{"introduced": "0"}]),
    ]
    result = import_path(db, write_advisories(tmp_path / "one", first))
    assert (result.version, result.added, result.advisory_count) == (1, 2, 2)

    archive = tmp_path / "all.zip"
    changed = {**first[0], "modified": "2024-02-01T00:00:00Z"}
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("GHSA-A.json", json.dumps(changed))
        zipped.writestr("DSA-1.json", json.dumps(first[1]))
        zipped.writestr("GHSA-B.json", json.dumps({**first[0], "id": "GHSA-B"}))
        zipped.writestr("GHSA-C.json", json.dumps({"id": "GHSA-C", "withdrawn": "2024-01-01"}))
    result = import_path(db, archive)
    assert (result.version, result.added, result.updated, result.unchanged) == (2, 1, 1, 1)
    assert result.withdrawn == 1
    with db.read() as session:
        current = status(session)
    assert current["version"] == 2
    assert current["advisory_count"] == 3
    assert current["ecosystems"] == {"npm": 2, "Debian": 1}
    assert [i["version"] for i in current["imports"]] == [2, 1]


def test_bad_input_is_refused_before_anything_is_written(tmp_path: Path, db: Database) -> None:
    directory = write_advisories(tmp_path / "osv", [osv("GHSA-OK", "npm", "x", versions=["1"])])
    (directory / "broken.json").write_text("{not json")
    with pytest.raises(VulnDbError, match=r"broken\.json: not valid JSON"):
        import_path(db, directory)
    with pytest.raises(VulnDbError, match="no such file or directory"):
        import_path(db, tmp_path / "missing")
    (directory / "broken.json").write_text(json.dumps({"affected": []}))
    with pytest.raises(VulnDbError, match="OSV record has no string 'id'"):
        import_path(db, directory)
    with db.read() as session:
        assert status(session)["advisory_count"] == 0


def test_a_newer_record_replaces_the_old_ranges(tmp_path: Path, db: Database) -> None:
    from cloudraya_registry.scanning.inventory import Package

    installed = [Package("npm", "left-pad", "1.3.0")]
    old = osv("GHSA-PAD", "npm", "left-pad", events=[{"introduced": "0"}])
    import_path(db, write_advisories(tmp_path / "v1", [old]))
    with db.read() as session:
        assert [f.fixed_version for f in match(session, installed)] == [None]

    fixed = osv(
        "GHSA-PAD", "npm", "left-pad", events=[{"introduced": "0"}, {"fixed": "1.3.0"}],
        modified="2024-06-01T00:00:00Z",
    )  # fmt: skip
    result = import_path(db, write_advisories(tmp_path / "v2", [fixed]))
    assert (result.updated, result.advisory_count) == (1, 1)
    with db.read() as session:
        assert match(session, installed) == []


def test_go_stdlib_of_a_binary_is_matched(tmp_path: Path, db: Database) -> None:
    binary, stdlib = build_go_binary(tmp_path)
    major, minor, patch = (int(part) for part in stdlib.split("-")[0].split("."))
    layout = OciLayout(tmp_path / "oci")
    image = layout.add_image([layer([F("app/server", binary, mode=0o755)])])
    import_path(
        db,
        write_advisories(
            tmp_path / "osv",
            [
                osv("GO-TEST-NEXT", "Go", "stdlib", range_type="SEMVER",
                    events=[{"introduced": "0"}, {"fixed": f"{major}.{minor}.{patch + 1}"}],
                    database_specific={"severity": "HIGH"}),
                osv("GO-TEST-OLD", "Go", "stdlib", range_type="SEMVER",
                    events=[{"introduced": "0"}, {"fixed": f"{major}.{minor - 1}.0"}]),
            ],
        ),
    )  # fmt: skip
    assert findings_of(db, layout, image) == {
        ("GO-TEST-NEXT", "stdlib", stdlib, f"{major}.{minor}.{patch + 1}", "High")
    }


def test_one_json_file_may_hold_a_list_of_records(tmp_path: Path, db: Database) -> None:
    path = tmp_path / "advisories.json"
    records = [
        osv("GHSA-X", "npm", "x", versions=["1.0.0"]),
        osv("GHSA-Y", "npm", "y", versions=[]),
    ]
    path.write_text(json.dumps(records))
    result = import_path(db, path)
    assert (result.records_read, result.added, result.advisory_count) == (2, 2, 2)
    with db.read() as session:
        assert status(session)["imports"][0]["source"] == "advisories.json"
