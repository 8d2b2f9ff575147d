"""What the scanner found, as the API returns it and the dashboard shows it.

Per artifact: the scan status, counts by severity, the findings and the package inventory, and
queueing a scan. Globally: the advisory database's status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudraya_registry.controlplane.views import Strict, Timestamp
from cloudraya_registry.db.models import Manifest
from cloudraya_registry.domain import artifacts, audit, registries
from cloudraya_registry.domain.actors import Actor
from cloudraya_registry.domain.audit import AuditAction
from cloudraya_registry.domain.errors import ManifestNotFound, NotFound
from cloudraya_registry.domain.scan_states import IN_PROGRESS, ScanStatus, ScanStatusName
from cloudraya_registry.scanning import vulndb
from cloudraya_registry.scanning.models import ScanFinding, ScanPackage
from cloudraya_registry.scanning.severity import LEVELS, RANK

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState

SeverityName = Literal["Critical", "High", "Medium", "Low", "Unknown"]


class SeverityCounts(Strict):
    Critical: int = 0
    High: int = 0
    Medium: int = 0
    Low: int = 0
    Unknown: int = 0


class ScanReport(Strict):
    digest: str
    status: ScanStatusName = Field(
        description="not_scanned, queued, running, done, failed (see reason) or unsupported."
    )
    reason: str | None = Field(description="Why the scan failed or is unsupported.")
    scanned_at: Timestamp | None
    counts: SeverityCounts | None = Field(description="Findings by severity once done.")
    total: int | None
    package_count: int | None
    os: str | list[str] | None = Field(description="Distribution(s) found, from os-release.")
    platforms: list[str] = Field(description="Platforms scanned (each manifest of an index).")
    vulndb_version: int | None = Field(description="Advisory database version used.")
    notes: list[str] = Field(
        description="What limits the result, e.g. an empty advisory database or an "
        "operating system whose packages are not inventoried."
    )


class FindingView(Strict):
    advisory_id: str = Field(description="OSV id, e.g. DSA-5532-1, GHSA-..., CVE-...")
    aliases: list[str]
    cve_ids: list[str] = Field(description="The CVE identifiers among id and aliases.")
    summary: str | None
    severity: SeverityName
    cvss_score: float | None
    ecosystem: str
    package: str
    source_package: str | None
    installed_version: str
    fixed_version: str | None = Field(description="First version that fixes it, when known.")
    package_path: str
    layer_digest: str = Field(description="The layer that installed the package.")
    platform: str | None


class VulnerabilityReport(ScanReport):
    findings: list[FindingView]


class PackageView(Strict):
    ecosystem: str
    name: str
    version: str
    source_name: str | None
    source_version: str | None
    path: str
    layer_digest: str
    platform: str | None


class PackageReport(Strict):
    digest: str
    status: ScanStatusName
    os: str | list[str] | None
    packages: list[PackageView]


class VulnDbImportView(Strict):
    version: int
    imported_at: str
    source: str
    records_read: int
    added: int
    updated: int
    unchanged: int
    withdrawn: int
    advisory_count: int


class VulnDbStatus(Strict):
    version: int | None = Field(description="Newest import; null when nothing was imported.")
    imported_at: str | None
    advisory_count: int
    ecosystems: dict[str, int] = Field(description="Advisories per OSV ecosystem.")
    imports: list[VulnDbImportView] = Field(description="The latest imports, newest first.")


def find_artifact(
    session: Session, actor: Actor, name: str, repository: str, reference: str
) -> Manifest:
    """The artifact a tag or digest names in one of the actor's repositories."""
    registry = registries.load(session, actor, name)
    try:
        return artifacts.resolve(session, registry, repository, reference)
    except ManifestNotFound:
        raise NotFound(
            f"artifact {reference!r} not found in {registry.name}/{repository}; give a digest "
            "(sha256:...) or a tag of the repository"
        ) from None


def _report(manifest: Manifest) -> dict:
    summary = manifest.scan_summary or {}
    done = manifest.scan_status == ScanStatus.DONE
    return {
        "digest": manifest.digest,
        "status": (manifest.scan_status or ScanStatus.NOT_SCANNED).value,
        "reason": manifest.scan_reason,
        "scanned_at": manifest.scanned_at,
        "counts": SeverityCounts(**(summary.get("counts") or {})) if done else None,
        "total": summary.get("total") if done else None,
        "package_count": summary.get("packages") if done else None,
        "os": summary.get("os") if done else None,
        "platforms": summary.get("platforms") or [] if done else [],
        "vulndb_version": summary.get("vulndb_version") if done else None,
        "notes": summary.get("notes") or [] if done else [],
    }


def _cves(advisory_id: str, aliases: list[str]) -> list[str]:
    return sorted({a for a in [advisory_id, *aliases] if a.upper().startswith("CVE-")})


def scan_report(
    state: ServiceState, actor: Actor, name: str, repository: str, reference: str
) -> ScanReport:
    with state.db.read() as session:
        return ScanReport(**_report(find_artifact(session, actor, name, repository, reference)))


def request_scan(
    state: ServiceState, actor: Actor, name: str, repository: str, reference: str
) -> ScanReport:
    """Queue the artifact for a scan (unless one is queued or running) and wake the pool."""
    with state.db.write() as session:
        manifest = find_artifact(session, actor, name, repository, reference)
        if manifest.scan_status not in IN_PROGRESS:
            manifest.scan_status = ScanStatus.QUEUED
            manifest.scan_reason = None
            audit.record_change(
                session,
                actor,
                AuditAction.ARTIFACT_SCAN,
                name,
                target=f"{name}/{repository}@{manifest.digest}",
            )
        report = ScanReport(**_report(manifest))
    if state.scan_pool is not None:
        state.scan_pool.wake()
    return report


def vulnerability_report(
    state: ServiceState,
    actor: Actor,
    name: str,
    repository: str,
    reference: str,
    severity: list[str] | None = None,
) -> VulnerabilityReport:
    """Findings of the last completed scan, most severe first (only ``severity`` levels)."""
    with state.db.read() as session:
        manifest = find_artifact(session, actor, name, repository, reference)
        rows = list(
            session.scalars(select(ScanFinding).where(ScanFinding.manifest_id == manifest.id))
        )
        wanted = set(severity or LEVELS)
        findings = [
            FindingView(
                advisory_id=row.advisory_id,
                aliases=list(row.aliases or []),
                cve_ids=_cves(row.advisory_id, list(row.aliases or [])),
                summary=row.summary,
                severity=row.severity,  # type: ignore[arg-type]
                cvss_score=row.cvss_score,
                ecosystem=row.ecosystem,
                package=row.package_name,
                source_package=row.source_name,
                installed_version=row.installed_version,
                fixed_version=row.fixed_version,
                package_path=row.package_path,
                layer_digest=row.layer_digest,
                platform=row.platform,
            )
            for row in rows
            if row.severity in wanted
        ]
        findings.sort(key=lambda f: (RANK.get(f.severity, 9), f.advisory_id, f.package))
        return VulnerabilityReport(**_report(manifest), findings=findings)


def package_report(
    state: ServiceState, actor: Actor, name: str, repository: str, reference: str
) -> PackageReport:
    with state.db.read() as session:
        manifest = find_artifact(session, actor, name, repository, reference)
        rows = session.scalars(
            select(ScanPackage)
            .where(ScanPackage.manifest_id == manifest.id)
            .order_by(ScanPackage.platform, ScanPackage.ecosystem, ScanPackage.name, ScanPackage.id)
        )
        report = _report(manifest)
        return PackageReport(
            digest=manifest.digest,
            status=report["status"],
            os=report["os"],
            packages=[
                PackageView(
                    ecosystem=row.ecosystem,
                    name=row.name,
                    version=row.version,
                    source_name=row.source_name,
                    source_version=row.source_version,
                    path=row.path,
                    layer_digest=row.layer_digest,
                    platform=row.platform,
                )
                for row in rows
            ],
        )


def vulndb_status(state: ServiceState) -> VulnDbStatus:
    with state.db.read() as session:
        return VulnDbStatus(**vulndb.status(session))
