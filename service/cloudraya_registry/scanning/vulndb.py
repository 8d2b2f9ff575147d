"""The advisory database: offline import of OSV records, and its status.

Accepted input: one OSV JSON file, a directory of them (searched recursively), or a zip of
them (the per-ecosystem ``all.zip`` downloads of the OSV project have this shape). Every
record is read and checked before anything is written, so a bad file changes nothing. Records
are then written in batches (each advisory replaced whole), so a running service is not locked
out of the database for the length of a large import.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from sqlalchemy import delete, func, select

from cloudraya_registry.db.session import Database
from cloudraya_registry.scanning import severity as severity_mod
from cloudraya_registry.scanning.models import Advisory, AdvisoryPackage, VulnDbImport
from cloudraya_registry.scanning.versions import ecosystem_base

MAX_RECORD_BYTES = 16 * 1024 * 1024
BATCH = 500


class VulnDbError(Exception):
    """The input cannot be imported; the message says which file and what is wrong."""


def name_key(ecosystem: str, name: str) -> str:
    """How package names compare in an ecosystem (PEP 503 normalisation for PyPI)."""
    if ecosystem_base(ecosystem) == "PyPI":
        return canonicalize_name(name)
    return name


# -- reading -----------------------------------------------------------------------------------
def _records_in(path: Path) -> Iterator[tuple[str, bytes]]:
    if path.is_dir():
        for file in sorted(path.rglob("*.json")):
            if file.is_file():
                yield str(file), _read_limited(file)
        return
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.is_dir() or not info.filename.endswith(".json"):
                    continue
                if info.file_size > MAX_RECORD_BYTES:
                    raise VulnDbError(
                        f"{path}!{info.filename}: {info.file_size} bytes; an OSV record may be "
                        f"at most {MAX_RECORD_BYTES} bytes"
                    )
                yield f"{path}!{info.filename}", archive.read(info)
        return
    yield str(path), _read_limited(path)


def _read_limited(file: Path) -> bytes:
    size = file.stat().st_size
    if size > MAX_RECORD_BYTES:
        raise VulnDbError(
            f"{file}: {size} bytes; an OSV file may be at most {MAX_RECORD_BYTES} bytes"
        )
    return file.read_bytes()


def _as_records(where: str, raw: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise VulnDbError(f"{where}: not valid JSON ({exc})") from None
    records = data if isinstance(data, list) else [data]
    for record in records:
        _check_record(where, record)
    return records


def _check_record(where: str, record: Any) -> None:
    if not isinstance(record, dict):
        raise VulnDbError(f"{where}: an OSV record must be a JSON object")
    if not isinstance(record.get("id"), str) or not record["id"]:
        raise VulnDbError(f"{where}: OSV record has no string 'id'")
    affected = record.get("affected", [])
    if not isinstance(affected, list):
        raise VulnDbError(f"{where}: {record['id']}: 'affected' must be a list")
    for entry in affected:
        if not isinstance(entry, dict):
            raise VulnDbError(f"{where}: {record['id']}: each 'affected' entry must be an object")
        package = entry.get("package")
        if package is not None and not (
            isinstance(package, dict)
            and isinstance(package.get("ecosystem"), str)
            and isinstance(package.get("name"), str)
        ):
            raise VulnDbError(
                f"{where}: {record['id']}: 'package' needs string 'ecosystem' and 'name'"
            )
        for key in ("ranges", "versions"):
            if not isinstance(entry.get(key, []), list):
                raise VulnDbError(f"{where}: {record['id']}: '{key}' must be a list")
        for version_range in entry.get("ranges", []):
            if not isinstance(version_range, dict) or not isinstance(
                version_range.get("events", []), list
            ):
                raise VulnDbError(
                    f"{where}: {record['id']}: each range must be an object with an 'events' list"
                )


def read_records(path: Path) -> list[dict[str, Any]]:
    """All OSV records under ``path``, checked; raises :class:`VulnDbError` on bad input."""
    path = Path(path)
    if not path.exists():
        raise VulnDbError(
            f"{path}: no such file or directory; give an OSV JSON file, a directory or a zip"
        )
    records: list[dict[str, Any]] = []
    for where, raw in _records_in(path):
        records.extend(_as_records(where, raw))
    if not records:
        raise VulnDbError(f"{path}: no OSV records (*.json) found")
    return records


# -- writing -----------------------------------------------------------------------------------
@dataclass
class ImportResult:
    version: int
    imported_at: str
    records_read: int
    added: int
    updated: int
    unchanged: int
    withdrawn: int
    advisory_count: int
    ecosystems: dict[str, int] = field(default_factory=dict)


def _package_rows(record: dict[str, Any]) -> list[AdvisoryPackage]:
    rows = []
    for entry in record.get("affected", []):
        package = entry.get("package")
        if not package:
            continue
        level = severity_mod.from_osv(entry, record)
        rows.append(
            AdvisoryPackage(
                advisory_id=record["id"],
                ecosystem=package["ecosystem"],
                ecosystem_base=ecosystem_base(package["ecosystem"]),
                name=package["name"],
                name_key=name_key(package["ecosystem"], package["name"]),
                ranges=entry.get("ranges") or [],
                versions=[str(v) for v in entry.get("versions") or []],
                severity=level.level,
                cvss_score=level.score,
            )
        )
    return rows


def import_path(db: Database, path: Path) -> ImportResult:
    """Import OSV records from ``path``; a new database version is recorded at the end."""
    records = read_records(path)
    latest: dict[str, dict[str, Any]] = {}
    for record in records:  # a record repeated in the input: the last one wins
        latest[record["id"]] = record
    counts = {"added": 0, "updated": 0, "unchanged": 0, "withdrawn": 0}
    with db.write() as session:
        version = VulnDbImport(source=str(path), records_read=len(records))
        session.add(version)
        session.flush()
        version_id = version.id
    items = list(latest.values())
    for start in range(0, len(items), BATCH):
        with db.write() as session:
            for record in items[start : start + BATCH]:
                _store(session, record, version_id, counts)
    with db.write() as session:
        totals = status_counts(session)
        version = session.get(VulnDbImport, version_id)
        assert version is not None
        version.added = counts["added"]
        version.updated = counts["updated"]
        version.unchanged = counts["unchanged"]
        version.withdrawn = counts["withdrawn"]
        version.advisory_count = totals["advisory_count"]
        version.ecosystems = totals["ecosystems"]
        imported_at = version.imported_at.isoformat()
    return ImportResult(
        version=version_id,
        imported_at=imported_at,
        records_read=len(records),
        advisory_count=totals["advisory_count"],
        ecosystems=totals["ecosystems"],
        **counts,
    )


def _store(session, record: dict[str, Any], version_id: int, counts: dict[str, int]) -> None:
    advisory_id = record["id"]
    existing = session.get(Advisory, advisory_id)
    if record.get("withdrawn"):
        if existing is not None:
            session.delete(existing)
        counts["withdrawn"] += 1
        return
    modified = str(record.get("modified") or "") or None
    if existing is not None and existing.modified == modified and modified is not None:
        counts["unchanged"] += 1
        return
    level = severity_mod.from_osv(record)
    aliases = [str(a) for a in record.get("aliases") or [] if isinstance(a, str)]
    summary = record.get("summary") or (record.get("details") or "")[:300] or None
    if existing is None:
        existing = Advisory(id=advisory_id)
        session.add(existing)
        counts["added"] += 1
    else:
        session.execute(delete(AdvisoryPackage).where(AdvisoryPackage.advisory_id == advisory_id))
        counts["updated"] += 1
    existing.modified = modified
    existing.published = str(record.get("published") or "") or None
    existing.summary = summary
    existing.aliases = aliases
    existing.severity = level.level
    existing.cvss_score = level.score
    existing.cvss_vector = level.vector
    existing.import_id = version_id
    session.flush()
    session.add_all(_package_rows(record))


# -- status ------------------------------------------------------------------------------------
def status_counts(session) -> dict[str, Any]:
    advisory_count = session.scalar(select(func.count()).select_from(Advisory)) or 0
    rows = session.execute(
        select(
            AdvisoryPackage.ecosystem_base,
            func.count(func.distinct(AdvisoryPackage.advisory_id)),
        ).group_by(AdvisoryPackage.ecosystem_base)
    ).all()
    return {"advisory_count": int(advisory_count), "ecosystems": {e: int(n) for e, n in rows}}


def status(session) -> dict[str, Any]:
    """What ``vulndb status`` and ``GET /api/v1/vulndb`` show."""
    latest = session.scalar(select(VulnDbImport).order_by(VulnDbImport.id.desc()).limit(1))
    totals = status_counts(session)
    imports = session.scalars(select(VulnDbImport).order_by(VulnDbImport.id.desc()).limit(10))
    return {
        "version": latest.id if latest else None,
        "imported_at": latest.imported_at.isoformat() if latest else None,
        "advisory_count": totals["advisory_count"],
        "ecosystems": totals["ecosystems"],
        "imports": [
            {
                "version": row.id,
                "imported_at": row.imported_at.isoformat(),
                "source": row.source,
                "records_read": row.records_read,
                "added": row.added,
                "updated": row.updated,
                "unchanged": row.unchanged,
                "withdrawn": row.withdrawn,
                "advisory_count": row.advisory_count,
            }
            for row in imports
        ],
    }
