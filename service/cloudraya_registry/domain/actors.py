"""Who is acting: the project a control-plane request acts in, and how it shows in the audit log."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    project_id: int
    name: str  # the API token's name: the audit log's actor
    source_ip: str | None
