"""Sampling profiles of our service (py-spy), summarised into the functions that cost the most.

Only samples of the thread holding the GIL count (``--gil``): the service is one process, so
that is the time that limits it; idle waiting in the event loop or a thread pool is left out.

Profiles are taken in extra passes after the measured runs, so the sampler never slows down a
figure that is reported.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path
from types import TracebackType

from tests.support.paths import require_tool

TOP = 12
RATE = 200  # samples per second
OWN_CODE = "cloudraya_registry/"
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<path>.*?)(?::(?P<line>\d+))?\)$")


def _short(frame: str) -> str:
    """'handle (/x/site-packages/starlette/routing.py:73)' -> 'handle (starlette/routing.py:73)'."""
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["path"]
    for marker in ("site-packages/", "/service/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    line = f":{match['line']}" if match["line"] else ""
    return f"{match['func']} ({path}{line})"


def _package(frame: str) -> str:
    """'open_read (cloudraya_registry/storage/filesystem.py:111)' -> 'cloudraya_registry'."""
    match = _FRAME.match(frame)
    path = match["path"] if match else ""
    head = path.split("/", 1)[0] if "/" in path else path.removesuffix(".py")
    return head or "?"


def summarize(raw_path: Path, seconds: float | None = None) -> dict[str, object]:
    """Shares of the sampled GIL-holding time: by function (self), by package (self), and the
    service's own functions with what they call (inclusive)."""
    self_time: Counter[str] = Counter()
    by_package: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw_path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = [_short(f) for f in stack.split(";") if f.strip()]
        if not frames:
            continue
        total += samples
        self_time[frames[-1]] += samples
        by_package[_package(frames[-1])] += samples
        for frame in set(frames):
            if frame.split(" (", 1)[-1].startswith(OWN_CODE) and "/cli.py" not in frame:
                inclusive[frame] += samples
    if not total:
        return {"samples": 0, "self": [], "packages": [], "inclusive": []}

    def top(counter: Counter[str]) -> list[list[object]]:
        return [[k, round(100 * v / total, 1)] for k, v in counter.most_common(TOP)]

    return {
        "samples": total,
        # samples exist only while some thread holds the GIL: a share near 100% means the
        # process is bound by its one interpreter lock, whatever the number of cores
        "gil_busy_pct": round(100 * total / (seconds * RATE), 1) if seconds else None,
        "self": top(self_time),
        "packages": top(by_package),
        "inclusive": top(inclusive),
    }


class Profile:
    """`with Profile(pid, seconds, out) as p: while p.running(): work()` - py-spy in the back."""

    def __init__(self, pid: int, seconds: float, raw_path: Path) -> None:
        self.pid = pid
        self.seconds = max(1, round(seconds))
        self.raw_path = raw_path
        self.summary: dict[str, object] = {}
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Profile:
        self._process = subprocess.Popen(
            [
                require_tool("py-spy"), "record", "--pid", str(self.pid),
                "--duration", str(self.seconds), "--rate", str(RATE), "--format", "raw",
                "--function", "--gil", "--nonblocking", "--subprocesses",
                "--output", str(self.raw_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        return self

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._process is not None
        try:
            _, stderr = self._process.communicate(timeout=self.seconds + 60)
        except subprocess.TimeoutExpired:
            self._process.kill()
            _, stderr = self._process.communicate()
        if self._process.returncode != 0 or not self.raw_path.exists():
            self.summary = {"samples": 0, "error": (stderr or "").strip()[-500:]}
            return
        self.summary = summarize(self.raw_path, self.seconds)
