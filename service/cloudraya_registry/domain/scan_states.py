"""The scan status of an artifact, with the words the dashboard shows for each."""

from __future__ import annotations

from typing import Literal

from cloudraya_registry.domain.labels import LabelledStrEnum


class ScanStatus(LabelledStrEnum):
    NOT_SCANNED = ("not_scanned", "Not scanned")
    QUEUED = ("queued", "Queued")
    RUNNING = ("running", "Scanning")
    DONE = ("done", "Scanned")
    FAILED = ("failed", "Scan failed")
    UNSUPPORTED = ("unsupported", "Unsupported")


IN_PROGRESS = frozenset({ScanStatus.QUEUED, ScanStatus.RUNNING})
FINAL = frozenset({ScanStatus.DONE, ScanStatus.FAILED, ScanStatus.UNSUPPORTED})

# The API's type for a status (an inline enum of the values in the OpenAPI document).
ScanStatusName = Literal["not_scanned", "queued", "running", "done", "failed", "unsupported"]
assert set(ScanStatusName.__args__) == {s.value for s in ScanStatus}  # type: ignore[attr-defined]

LABELS = ScanStatus.labels()
