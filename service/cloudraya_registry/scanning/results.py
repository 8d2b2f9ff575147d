"""Storing a scan's outcome on the manifest row and its packages/findings tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cloudraya_registry.db.models import Manifest, utcnow
from cloudraya_registry.domain.scan_states import ScanStatus
from cloudraya_registry.scanning.matcher import Finding
from cloudraya_registry.scanning.models import ScanFinding, ScanPackage, VulnDbImport
from cloudraya_registry.scanning.scanner import PlatformResult
from cloudraya_registry.scanning.severity import LEVELS


def summarise(
    platforms: list[PlatformResult], findings: list[Finding], vulndb_version: int | None
) -> dict[str, Any]:
    counts = dict.fromkeys(LEVELS, 0)
    for finding in findings:
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    systems = sorted(
        {
            p.inventory.os.pretty_name or f"{p.inventory.os.id} {p.inventory.os.version_id or ''}"
            for p in platforms
            if p.inventory.os is not None
        }
    )
    return {
        "counts": counts,
        "total": len(findings),
        "packages": sum(len(p.inventory.packages) for p in platforms),
        "os": systems[0] if len(systems) == 1 else (systems or None),
        "platforms": [p.platform for p in platforms if p.platform],
        "vulndb_version": vulndb_version,
        "notes": _notes(platforms, vulndb_version),
    }


def _notes(platforms: list[PlatformResult], vulndb_version: int | None) -> list[str]:
    """What a user must know to read an empty or short result correctly."""
    notes: list[str] = []
    if vulndb_version is None:
        notes.append(
            "the advisory database is empty, so no vulnerabilities can be found; import one "
            "with `cloudraya-registry vulndb import` and scan again"
        )
    for system in sorted(
        {
            p.inventory.os.pretty_name or p.inventory.os.id
            for p in platforms
            if p.inventory.os is not None and p.inventory.os.osv_ecosystem is None
        }
    ):
        notes.append(
            f"operating system packages of {system} are not inventoried; only Debian, Ubuntu "
            "and Alpine package databases are read"
        )
    return notes


def current_vulndb_version(session: Session) -> int | None:
    return session.scalar(select(VulnDbImport.id).order_by(VulnDbImport.id.desc()).limit(1))


def store_results(
    session: Session,
    manifest_id: int,
    platforms: list[tuple[PlatformResult, list[Finding]]],
    vulndb_version: int | None,
) -> None:
    """Replace the manifest's packages and findings and mark it done, in the caller's txn."""
    session.execute(delete(ScanPackage).where(ScanPackage.manifest_id == manifest_id))
    session.execute(delete(ScanFinding).where(ScanFinding.manifest_id == manifest_id))
    all_findings: list[Finding] = []
    for result, findings in platforms:
        for package in result.inventory.packages:
            session.add(
                ScanPackage(
                    manifest_id=manifest_id,
                    platform=result.platform,
                    ecosystem=package.ecosystem,
                    name=package.name,
                    version=package.version,
                    source_name=package.source_name,
                    source_version=package.source_version,
                    path=package.path,
                    layer_digest=package.layer,
                )
            )
        for finding in findings:
            session.add(
                ScanFinding(
                    manifest_id=manifest_id,
                    platform=result.platform,
                    advisory_id=finding.advisory_id,
                    aliases=finding.aliases,
                    summary=finding.summary,
                    severity=finding.severity,
                    cvss_score=finding.cvss_score,
                    ecosystem=finding.package.ecosystem,
                    package_name=finding.package.name,
                    source_name=finding.package.source_name,
                    installed_version=finding.installed_version,
                    fixed_version=finding.fixed_version,
                    package_path=finding.package.path,
                    layer_digest=finding.package.layer,
                )
            )
        all_findings += findings
    manifest = session.get(Manifest, manifest_id)
    if manifest is not None:
        manifest.scan_status = ScanStatus.DONE
        manifest.scan_reason = None
        manifest.scan_summary = summarise([p for p, _ in platforms], all_findings, vulndb_version)
        manifest.scanned_at = utcnow()


def mark(session: Session, manifest_id: int, status: ScanStatus, reason: str | None) -> None:
    manifest = session.get(Manifest, manifest_id)
    if manifest is None:
        return
    session.execute(delete(ScanPackage).where(ScanPackage.manifest_id == manifest_id))
    session.execute(delete(ScanFinding).where(ScanFinding.manifest_id == manifest_id))
    manifest.scan_status = status
    manifest.scan_reason = reason
    manifest.scan_summary = None
    manifest.scanned_at = utcnow()
