"""Vulnerability views of the control plane (Manage Registry: Vulnerability Scanning).

Per artifact: the scan status, counts by severity, the findings and the package inventory,
and ``POST .../scan`` to ask for a scan. Globally: the advisory database's status.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cloudraya_registry.controlplane.deps import CallerDep, StateDep
from cloudraya_registry.errors import error_responses
from cloudraya_registry.scanning import reports
from cloudraya_registry.scanning.reports import (
    PackageReport,
    ScanReport,
    SeverityName,
    VulnDbStatus,
    VulnerabilityReport,
)

router = APIRouter(tags=["vulnerabilities"])

ARTIFACT_PATH = "/registries/{name}/repositories/{repository:path}/artifacts/{reference}"


@router.get(
    ARTIFACT_PATH + "/scan",
    response_model=ScanReport,
    responses=error_responses(401, 404),
    summary="Scan status of an artifact",
    description="`reference` is a digest or a tag. Counts are present once the status is done.",
)
def get_scan(
    name: str, repository: str, reference: str, state: StateDep, caller: CallerDep
) -> ScanReport:
    return reports.scan_report(state, caller, name, repository, reference)


@router.post(
    ARTIFACT_PATH + "/scan",
    status_code=202,
    response_model=ScanReport,
    responses=error_responses(401, 404),
    summary="Request a scan of an artifact",
    description="Queues the artifact (any status) for a background scan and answers at once; "
    "poll `GET .../scan`. An artifact already queued or running stays as it is.",
)
def request_scan(
    name: str, repository: str, reference: str, state: StateDep, caller: CallerDep
) -> ScanReport:
    return reports.request_scan(state, caller, name, repository, reference)


@router.get(
    ARTIFACT_PATH + "/vulnerabilities",
    response_model=VulnerabilityReport,
    responses=error_responses(400, 401, 404),
    summary="Vulnerabilities found in an artifact",
    description="Findings of the last completed scan, most severe first; empty until done. "
    "`severity` (repeatable) keeps only those levels.",
)
def get_vulnerabilities(
    name: str,
    repository: str,
    reference: str,
    state: StateDep,
    caller: CallerDep,
    severity: Annotated[list[SeverityName] | None, Query()] = None,
) -> VulnerabilityReport:
    return reports.vulnerability_report(state, caller, name, repository, reference, severity)


@router.get(
    ARTIFACT_PATH + "/packages",
    response_model=PackageReport,
    responses=error_responses(401, 404),
    summary="Package inventory of an artifact",
    description="Every OS and language package the last scan found (an SBOM-like list).",
)
def get_packages(
    name: str, repository: str, reference: str, state: StateDep, caller: CallerDep
) -> PackageReport:
    return reports.package_report(state, caller, name, repository, reference)


@router.get(
    "/vulndb",
    response_model=VulnDbStatus,
    responses=error_responses(401),
    summary="Advisory database status",
    description="Version (the newest import), when it was imported and what it holds. "
    "Import with `cloudraya-registry vulndb import PATH`.",
)
def get_vulndb(state: StateDep, caller: CallerDep) -> VulnDbStatus:
    del caller  # any valid token may read it
    return reports.vulndb_status(state)
