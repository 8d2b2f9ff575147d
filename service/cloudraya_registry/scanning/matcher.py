"""Matching an inventory against the advisory database.

Distribution advisories name *source* packages (``openssl``), while images install binary
packages (``libssl3``); an OS package is therefore looked up under both names, and the source
version is compared when the advisory names the source package.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from cloudraya_registry.scanning.inventory import Package
from cloudraya_registry.scanning.models import Advisory, AdvisoryPackage
from cloudraya_registry.scanning.osv import evaluate
from cloudraya_registry.scanning.versions import ecosystem_base
from cloudraya_registry.scanning.vulndb import name_key

_LOOKUP_CHUNK = 400


@dataclass
class Finding:
    advisory_id: str
    aliases: list[str]
    summary: str | None
    severity: str
    cvss_score: float | None
    package: Package
    installed_version: str
    fixed_version: str | None


def release_matches(advisory_ecosystem: str, image_ecosystem: str) -> bool:
    """``Debian`` matches every Debian release; ``Ubuntu:22.04:LTS`` matches ``Ubuntu:22.04``."""
    adv_base, _, adv_release = advisory_ecosystem.partition(":")
    img_base, _, img_release = image_ecosystem.partition(":")
    if adv_base != img_base:
        return False
    if not adv_release or not img_release:
        return True
    return img_release in adv_release.split(":") or adv_release == img_release


def _lookup_names(package: Package) -> list[tuple[str, str]]:
    """(name key, version to compare) pairs under which the package is looked up.

    Distribution advisories give *source* versions (a binNMU'd ``bash 5.2.15-2+b2`` comes from
    source ``5.2.15-2``), so the source name is compared with the source version, and a
    different binary name with the binary version.
    """
    if not package.source_name:
        return [(name_key(package.ecosystem, package.name), package.version)]
    pairs = [
        (
            name_key(package.ecosystem, package.source_name),
            package.source_version or package.version,
        )
    ]
    if package.source_name != package.name:
        pairs.append((name_key(package.ecosystem, package.name), package.version))
    return pairs


def match(session: Session, packages: list[Package]) -> list[Finding]:
    wanted: set[tuple[str, str]] = set()
    for package in packages:
        for key, _version in _lookup_names(package):
            wanted.add((ecosystem_base(package.ecosystem), key))
    candidates: dict[tuple[str, str], list[tuple[AdvisoryPackage, Advisory]]] = defaultdict(list)
    keys = sorted(wanted)
    for start in range(0, len(keys), _LOOKUP_CHUNK):
        chunk = keys[start : start + _LOOKUP_CHUNK]
        rows = session.execute(
            select(AdvisoryPackage, Advisory)
            .join(Advisory, Advisory.id == AdvisoryPackage.advisory_id)
            .where(tuple_(AdvisoryPackage.ecosystem_base, AdvisoryPackage.name_key).in_(chunk))
        ).all()
        for affected, advisory in rows:
            candidates[(affected.ecosystem_base, affected.name_key)].append((affected, advisory))

    findings: list[Finding] = []
    for package in packages:
        seen: set[str] = set()
        for key, version in _lookup_names(package):
            for affected, advisory in candidates.get((ecosystem_base(package.ecosystem), key), []):
                if advisory.id in seen:
                    continue
                if not release_matches(affected.ecosystem, package.ecosystem):
                    continue
                verdict = evaluate(
                    package.ecosystem, version, affected.ranges or [], affected.versions or []
                )
                if not verdict.affected:
                    continue
                seen.add(advisory.id)
                findings.append(
                    Finding(
                        advisory_id=advisory.id,
                        aliases=list(advisory.aliases or []),
                        summary=advisory.summary,
                        severity=affected.severity,
                        cvss_score=affected.cvss_score,
                        package=package,
                        installed_version=version,
                        fixed_version=verdict.fixed_version,
                    )
                )
    return findings
