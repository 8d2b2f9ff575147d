"""Rows of the results table: our figure, the peer's, their ratio, and the target they track."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Better = Literal["higher", "lower"]


@dataclass
class Row:
    part: str  # "data plane", "provider", "scanning"
    name: str  # unique within a run, e.g. "blob push monolithic 64 MiB"
    unit: str
    ours: float
    peer: float | None = None
    peer_label: str | None = None  # what the peer figure is, e.g. "registry v3.1.2"
    better: Better = "higher"
    # ours/peer by default; rows without a peer may carry a ratio of their own (e.g. vs N=1)
    ratio: float | None = None
    ratio_basis: str | None = None
    target: str | None = None
    target_met: bool | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.ratio is None and self.peer:
            self.ratio = self.ours / self.peer
            self.ratio_basis = "ours / reference"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Finding:
    title: str
    detail: str
    evidence: list[str] = field(default_factory=list)


@dataclass
class Results:
    meta: dict[str, Any] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    profiles: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        if any(existing.name == row.name for existing in self.rows):
            raise ValueError(f"duplicate row {row.name!r}")
        self.rows.append(row)
        return row

    def row(self, name: str) -> Row | None:
        return next((r for r in self.rows if r.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "meta": self.meta,
            "rows": [r.to_json() for r in self.rows],
            "findings": [asdict(f) for f in self.findings],
            "profiles": self.profiles,
            "errors": self.errors,
        }
