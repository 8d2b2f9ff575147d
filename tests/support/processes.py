"""Stopping the daemons tests start (containerd, weed, ...)."""

from __future__ import annotations

import subprocess


def terminate(process: subprocess.Popen | None, timeout: float = 30.0) -> None:
    """SIGTERM, wait up to `timeout` seconds for it to exit, then SIGKILL."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
