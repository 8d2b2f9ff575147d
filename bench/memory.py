"""Peak resident memory (and CPU time) of a server process over one phase of the run.

Linux keeps the peak (VmHWM) per process; writing 5 to /proc/PID/clear_refs resets it to the
current RSS, so each phase gets its own peak without a sampling thread that could miss spikes.
"""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


class PeakRss:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.resettable = True
        self.overall_kib = 0

    def _status_kib(self, field: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise RuntimeError(f"no {field} in /proc/{self.pid}/status")

    def reset(self) -> None:
        """Start a new phase: the peak becomes the current RSS (if the kernel lets us)."""
        self.overall_kib = max(self.overall_kib, self._status_kib("VmHWM"))
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        except OSError:
            self.resettable = False

    def phase_peak_mib(self) -> float:
        """Peak RSS since the last reset (the lifetime peak when resetting is not allowed)."""
        peak = self._status_kib("VmHWM")
        self.overall_kib = max(self.overall_kib, peak)
        return round(peak / 1024, 1)

    def current_mib(self) -> float:
        return round(self._status_kib("VmRSS") / 1024, 1)

    def overall_peak_mib(self) -> float:
        self.overall_kib = max(self.overall_kib, self._status_kib("VmHWM"))
        return round(self.overall_kib / 1024, 1)
