"""Peak resident memory (and CPU time) of a server over one phase of the run.

A server is a process and its children (our ``serve --workers N`` supervisor and its workers):
figures are summed over all of them. Linux keeps the peak (VmHWM) per process; writing 5 to
/proc/PID/clear_refs resets it to the current RSS, so each phase gets its own peak without a
sampling thread that could miss spikes. The sum of the processes' peaks is an upper bound of
the peak of their sum.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.service import child_pids

_TICKS = os.sysconf("SC_CLK_TCK")


def server_pids(pid: int) -> list[int]:
    """The server process and its children."""
    return [pid, *child_pids(pid)]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the server (process and children) has used so far."""
    total = 0
    for each in server_pids(pid):
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / _TICKS


class PeakRss:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.resettable = True
        self.overall_kib = 0

    def _status_kib(self, field: str) -> int:
        total = 0
        for pid in server_pids(self.pid):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1])
        return total

    def reset(self) -> None:
        """Start a new phase: the peak becomes the current RSS (if the kernel lets us)."""
        self.overall_kib = max(self.overall_kib, self._status_kib("VmHWM"))
        try:
            for pid in server_pids(self.pid):
                Path(f"/proc/{pid}/clear_refs").write_text("5")
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
