"""Evaluating OSV ``affected`` entries against an installed version.

Follows the OSV schema's evaluation rules: events of a range are sorted by version (with
``introduced: "0"`` first) and walked in order; ``introduced`` opens an affected span,
``fixed`` closes it at that version, ``last_affected`` closes it after that version. An
explicit ``versions`` list matches exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloudraya_registry.scanning.versions import InvalidVersion, parser_for


@dataclass(frozen=True)
class Verdict:
    affected: bool
    fixed_version: str | None = None


def _event_key(parse: Callable[[str], Any], event: dict[str, str]) -> tuple[int, Any]:
    kind, value = next(iter(event.items()))
    if kind == "introduced" and value == "0":
        return (0, None)
    return (1, parse(value))


def _in_range(parse: Callable[[str], Any], installed: Any, events: list[dict[str, str]]):
    kinds = ("introduced", "fixed", "last_affected")
    usable = [{k: v} for e in events for k, v in e.items() if k in kinds]
    try:
        ordered = sorted(usable, key=lambda e: _event_key(parse, e))
    except (InvalidVersion, TypeError):
        return None  # cannot order this range: do not guess
    affected = False
    fixed: str | None = None
    for event in ordered:
        kind, value = next(iter(event.items()))
        if kind == "introduced":
            if value == "0" or installed >= parse(value):
                affected = True
                fixed = None
        elif kind == "fixed":
            if installed >= parse(value):
                affected = False
            elif affected and fixed is None:
                fixed = value
        elif kind == "last_affected" and installed > parse(value):
            affected = False
    return Verdict(True, fixed) if affected else Verdict(False)


def evaluate(ecosystem: str, installed: str, ranges: list[dict], versions: list[str]) -> Verdict:
    """Whether ``installed`` is affected, and the first version that fixes it (if known)."""
    if installed in versions:
        fixed = _fixed_after(ecosystem, installed, ranges)
        return Verdict(True, fixed)
    for version_range in ranges:
        parse = parser_for(ecosystem, version_range.get("type", ""))
        if parse is None:
            continue
        try:
            parsed = parse(installed)
        except InvalidVersion:
            continue
        verdict = _in_range(parse, parsed, version_range.get("events") or [])
        if verdict is not None and verdict.affected:
            return verdict
    if versions:
        parse = parser_for(ecosystem)
        if parse is not None:
            try:
                parsed = parse(installed)
                if any(_safe_equal(parse, parsed, v) for v in versions):
                    return Verdict(True, _fixed_after(ecosystem, installed, ranges))
            except InvalidVersion:
                pass
    return Verdict(False)


def _safe_equal(parse: Callable[[str], Any], parsed: Any, other: str) -> bool:
    try:
        return parsed == parse(other)
    except InvalidVersion:
        return False


def _fixed_after(ecosystem: str, installed: str, ranges: list[dict]) -> str | None:
    """The lowest ``fixed`` event above ``installed`` across ranges, for display."""
    candidates: list[tuple[Any, str]] = []
    for version_range in ranges:
        parse = parser_for(ecosystem, version_range.get("type", ""))
        if parse is None:
            continue
        try:
            parsed = parse(installed)
            for event in version_range.get("events") or []:
                if "fixed" in event and parse(event["fixed"]) > parsed:
                    candidates.append((parse(event["fixed"]), event["fixed"]))
        except InvalidVersion:
            continue
    return min(candidates, key=lambda c: c[0])[1] if candidates else None
