"""An advisory's severity as one of Critical, High, Medium, Low or Unknown.

CVSS vectors are scored with the ``cvss`` library (base score; v4 and v3 preferred, v2 last);
without a vector, a textual severity from ``database_specific``/``ecosystem_specific`` (GitHub's
``MODERATE``, Debian's ``unimportant``, Ubuntu's ``medium``...) is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError

CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN = "Critical", "High", "Medium", "Low", "Unknown"
LEVELS = (CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN)
RANK = {level: i for i, level in enumerate(LEVELS)}

_TEXT_LEVELS = {
    "critical": CRITICAL,
    "high": HIGH,
    "important": HIGH,
    "moderate": MEDIUM,
    "medium": MEDIUM,
    "low": LOW,
    "negligible": LOW,
    "unimportant": LOW,
}


@dataclass(frozen=True)
class Severity:
    level: str
    score: float | None = None
    vector: str | None = None


def level_of_score(score: float, v2: bool = False) -> str:
    if v2:
        return HIGH if score >= 7.0 else MEDIUM if score >= 4.0 else LOW
    if score >= 9.0:
        return CRITICAL
    if score >= 7.0:
        return HIGH
    if score >= 4.0:
        return MEDIUM
    return LOW if score > 0.0 else UNKNOWN


def _score(kind: str, vector: str) -> float | None:
    try:
        if kind == "CVSS_V4":
            return float(CVSS4(vector).base_score)
        if kind == "CVSS_V3":
            return float(CVSS3(vector).base_score)
        if kind == "CVSS_V2":
            return float(CVSS2(vector).base_score)
    except (CVSSError, ValueError, KeyError, TypeError):
        return None
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return _TEXT_LEVELS.get(value.strip().lower())
    return None


def from_osv(*sources: dict[str, Any]) -> Severity:
    """First usable severity from OSV objects (an ``affected`` entry, then the advisory)."""
    for source in sources:
        entries = [e for e in source.get("severity") or [] if isinstance(e, dict)]
        for kind in ("CVSS_V4", "CVSS_V3"):
            for entry in entries:
                if entry.get("type") == kind and isinstance(entry.get("score"), str):
                    score = _score(kind, entry["score"])
                    if score is not None:
                        return Severity(level_of_score(score), score, entry["score"])
        for entry in entries:  # e.g. {"type": "Ubuntu", "score": "medium"}
            level = _text(entry.get("score"))
            if level:
                return Severity(level)
        for key in ("ecosystem_specific", "database_specific"):
            specific = source.get(key)
            if isinstance(specific, dict):
                level = _text(specific.get("severity")) or _text(specific.get("urgency"))
                if level:
                    return Severity(level)
        for entry in entries:
            if entry.get("type") == "CVSS_V2" and isinstance(entry.get("score"), str):
                score = _score("CVSS_V2", entry["score"])
                if score is not None:
                    return Severity(level_of_score(score, v2=True), score, entry["score"])
    return Severity(UNKNOWN)
