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


def iter_records(path: Path) -> Iterator[dict[str, Any]]:
    """Every OSV record under ``path``, checked, one at a time (large zips stay on disk)."""
    path = Path(path)
    if not path.exists():
        raise VulnDbError(
            f"{path}: no such file or directory; give an OSV JSON file, a directory or a zip"
        )
    for where, raw in _records_in(path):
        yield from _as_records(where, raw)


def check_records(path: Path) -> int:
    """Read and check everything under ``path``; the number of records, or VulnDbError."""
    count = sum(1 for _record in iter_records(path))
    if not count:
        raise VulnDbError(f"{path}: no OSV records (*.json) found")
    return count


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


def import_path(db: Database, path: Path, checked: int | None = None) -> ImportResult:
    """Import OSV records from ``path``; a new database version is recorded at the end.

    The input is checked whole before the first write, then read again and written in
    batches; a record repeated in the input is written twice, the last one winning.
    ``checked`` is the record count of an earlier :func:`check_records` of the same input.
    """
    records_read = checked if checked is not None else check_records(path)
    counts = {"added": 0, "updated": 0, "unchanged": 0, "withdrawn": 0}
    with db.write() as session:
        version = VulnDbImport(source=Path(path).name, records_read=records_read)
        session.add(version)
        session.flush()
        version_id = version.id
    batch: list[dict[str, Any]] = []
    for record in iter_records(path):
        batch.append(record)
        if len(batch) >= BATCH:
            _store_batch(db, batch, version_id, counts)
            batch = []
    _store_batch(db, batch, version_id, counts)
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
        records_read=records_read,
        advisory_count=totals["advisory_count"],
        ecosystems=totals["ecosystems"],
        **counts,
    )


def _store_batch(
    db: Database, batch: list[dict[str, Any]], version_id: int, counts: dict[str, int]
) -> None:
    if not batch:
        return
    latest = {record["id"]: record for record in batch}  # a repeated record: the last wins
    with db.write() as session:
        existing = {
            row.id: row
            for row in session.scalars(select(Advisory).where(Advisory.id.in_(list(latest))))
        }
        replaced = [
            advisory_id
            for advisory_id, record in latest.items()
            if advisory_id in existing
            and (record.get("withdrawn") or _modified(record) != existing[advisory_id].modified)
        ]
        if replaced:
            session.execute(
                delete(AdvisoryPackage).where(AdvisoryPackage.advisory_id.in_(replaced))
            )
        for record in latest.values():
            _store(session, record, existing.get(record["id"]), version_id, counts)


def _modified(record: dict[str, Any]) -> str | None:
    return str(record.get("modified") or "") or None


def _store(
    session, record: dict[str, Any], existing: Advisory | None, version_id: int, counts: dict
) -> None:
    if record.get("withdrawn"):
        if existing is not None:
            session.delete(existing)
        counts["withdrawn"] += 1
        return
    modified = _modified(record)
    if existing is not None and existing.modified == modified and modified is not None:
        counts["unchanged"] += 1
        return
    level = severity_mod.from_osv(record)
    aliases = [str(a) for a in record.get("aliases") or [] if isinstance(a, str)]
    summary = record.get("summary") or (record.get("details") or "")[:300] or None
    if existing is None:
        existing = Advisory(id=record["id"])
        session.add(existing)
        counts["added"] += 1
    else:
        counts["updated"] += 1
    existing.modified = modified
    existing.published = str(record.get("published") or "") or None
    existing.summary = summary
    existing.aliases = aliases
    existing.severity = level.level
    existing.cvss_score = level.score
    existing.cvss_vector = level.vector
    existing.import_id = version_id
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
