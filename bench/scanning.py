"""Scanning: time and peak memory of the service scanning a Debian image.

The image is the one the scanning tests use (debootstrap --variant=minbase bookworm, one gzip
layer), built once and cached under bench/.cache. Quick runs scan a small synthetic dpkg image
instead, so a smoke check needs neither the network nor minutes of debootstrap.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

from bench.config import BenchConfig
from bench.memory import PeakRss, cpu_seconds
from bench.profiling import Profile
from bench.results import Results, Row
from bench.stats import median
from tests.scanning.conftest import SUITE, debian_mirror
from tests.scanning.images import LAYER_TYPES, OciLayout
from tests.scanning.registry import FINAL, push, request_scan, scan_status
from tests.support.paths import REPO_ROOT, require_tool
from tests.support.service import RegistryService

CACHE = REPO_ROOT / "bench" / ".cache"
DEBIAN_LAYER = CACHE / f"debian-{SUITE}-minbase.tar.gz"
POLL_S = 0.05


def debian_layer(timeout_s: float) -> Path:
    """The cached Debian root filesystem layer; debootstrap builds it on first use."""
    if DEBIAN_LAYER.exists():
        return DEBIAN_LAYER
    CACHE.mkdir(parents=True, exist_ok=True)
    root = CACHE / "debian-rootfs"
    shutil.rmtree(root, ignore_errors=True)
    result = subprocess.run(
        [require_tool("debootstrap"), "--variant=minbase", SUITE, str(root), debian_mirror()],
        capture_output=True,
        text=True,
        timeout=max(timeout_s, 1800),
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    if result.returncode != 0:
        raise RuntimeError(f"debootstrap failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    partial = DEBIAN_LAYER.with_suffix(".partial")
    subprocess.run(
        ["tar", "--numeric-owner", "--sort=name", "-C", str(root), "-czf", str(partial), "."],
        check=True,
        timeout=900,
    )
    partial.rename(DEBIAN_LAYER)
    shutil.rmtree(root, ignore_errors=True)
    return DEBIAN_LAYER


def synthetic_layer(path: Path, packages: int = 40) -> Path:
    """A small gzip layer with os-release and a dpkg status file of ``packages`` entries."""
    status = "\n".join(
        f"Package: pkg{i}\nStatus: install ok installed\nVersion: 1.{i}-1\nArchitecture: amd64\n"
        for i in range(packages)
    ).encode()
    os_release = b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in (("etc/os-release", os_release), ("var/lib/dpkg/status", status)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    path.write_bytes(gzip.compress(buffer.getvalue(), mtime=0))
    return path


def run_scan_bench(cfg: BenchConfig, work: Path, results: Results) -> None:
    if cfg.scan_real_debian:
        layer_file, image = debian_layer(cfg.op_timeout_s), f"Debian {SUITE} minbase (debootstrap)"
    else:
        layer_file, image = synthetic_layer(work / "synthetic-layer.tar.gz"), "synthetic dpkg image"
    layout = OciLayout(work / "scan-oci")
    layer = layout.add_file(layer_file, LAYER_TYPES["gzip"])
    layout.add_image([layer], tag="scan")

    service = RegistryService(work / "scan-service")
    service.start()
    try:
        registry = service.create_registry("scanbench")
        push(service, registry, layout.root, "scan", "image")
        assert service.pid is not None
        tracker = PeakRss(service.pid)
        idle = tracker.current_mib()
        seconds, peaks, cpu, packages = [], [], [], 0
        for _ in range(cfg.scan_runs):
            tracker.reset()
            cpu_before = cpu_seconds(service.pid)
            started = time.perf_counter()
            request_scan(service, registry, "image", "scan")
            report = _wait(service, registry, cfg.op_timeout_s)
            seconds.append(time.perf_counter() - started)
            cpu.append(cpu_seconds(service.pid) - cpu_before)
            peaks.append(tracker.phase_peak_mib())
            if report["status"] != "done":
                raise RuntimeError(f"scan ended {report['status']}: {report.get('reason')}")
            packages = report["package_count"]
        profile_seconds = max(cfg.profile_seconds, 1.5 * median(seconds))
        with Profile(service.pid, profile_seconds, work / "profile-scan.txt") as profile:
            request_scan(service, registry, "image", "scan")
            _wait(service, registry, cfg.op_timeout_s)
        results.profiles["scan (one run)"] = profile.summary
    finally:
        service.stop()
    what = f"{image}, {layer['size'] / 1e6:.2f} MB layer, {packages} packages"
    results.add(
        Row(
            "scanning",
            "scan time",
            "s",
            round(median(seconds), 3),
            better="lower",
            note=(
                f"{what}; request to done, median of {len(seconds)}; service CPU "
                f"{median(cpu):.2f} s per scan; empty advisory database"
            ),
            extra={
                "samples": [round(s, 3) for s in seconds],
                "cpu_seconds": [round(c, 3) for c in cpu],
                "packages": packages,
            },
        )
    )
    results.add(
        Row(
            "scanning",
            "service peak RSS while scanning",
            "MiB",
            max(peaks),
            better="lower",
            note=f"idle RSS before scanning {idle} MiB; {what}",
            extra={"samples": peaks, "idle_rss_mib": idle},
        )
    )


def _wait(service: RegistryService, registry: dict, timeout_s: float) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        report = scan_status(service, registry, "image", "scan")
        if report["status"] in FINAL:
            return report
        if time.monotonic() > deadline:
            raise RuntimeError(f"scan still {report['status']} after {timeout_s:.0f}s")
        time.sleep(POLL_S)
