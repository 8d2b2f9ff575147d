"""What one `make bench` run measures: the full set, or a cheap smoke-sized one (BENCH_QUICK=1)."""

from __future__ import annotations

import os
from dataclasses import dataclass

MIB = 1024 * 1024
GIB = 1024 * MIB


@dataclass(frozen=True)
class BenchConfig:
    quick: bool
    blob_sizes: tuple[int, ...]
    blob_runs: int
    chunk_size: int
    manifest_concurrency: tuple[int, ...]
    manifest_seconds: float  # one run of one registry at one concurrency
    manifest_runs: int
    image_layers: int
    image_layer_bytes: int
    image_runs: int
    provider_counts: tuple[int, ...]
    provider_untraced_runs: int  # `up` at the largest N without the gRPC log
    plugin_start_runs: int
    scan_real_debian: bool
    scan_runs: int
    profile_seconds: float
    # Upper bound of any single transfer or command; a hung server fails the run, not CI.
    op_timeout_s: float

    @classmethod
    def full(cls) -> BenchConfig:
        return cls(
            quick=False,
            blob_sizes=(1 * MIB, 64 * MIB, 1 * GIB),
            blob_runs=5,
            chunk_size=16 * MIB,
            manifest_concurrency=(1, 16, 64),
            manifest_seconds=2.0,
            manifest_runs=5,
            image_layers=64,
            image_layer_bytes=16 * 1024,
            image_runs=5,
            provider_counts=(1, 10, 50),
            provider_untraced_runs=3,
            plugin_start_runs=5,
            scan_real_debian=True,
            scan_runs=3,
            profile_seconds=8.0,
            op_timeout_s=600.0,
        )

    @classmethod
    def quick_run(cls) -> BenchConfig:
        return cls(
            quick=True,
            blob_sizes=(1 * MIB, 8 * MIB),
            blob_runs=2,
            chunk_size=4 * MIB,
            manifest_concurrency=(1, 16, 64),
            manifest_seconds=1.0,
            manifest_runs=1,
            image_layers=8,
            image_layer_bytes=4 * 1024,
            image_runs=1,
            provider_counts=(1, 3),
            provider_untraced_runs=1,
            plugin_start_runs=2,
            scan_real_debian=False,
            scan_runs=1,
            profile_seconds=2.0,
            op_timeout_s=300.0,
        )

    @classmethod
    def from_env(cls, quick: bool | None = None) -> BenchConfig:
        if quick is None:
            quick = os.environ.get("BENCH_QUICK", "") not in ("", "0", "false", "no")
        return cls.quick_run() if quick else cls.full()


def size_label(size: int) -> str:
    """1048576 -> "1 MiB", 1073741824 -> "1 GiB"."""
    if size >= GIB and size % GIB == 0:
        return f"{size // GIB} GiB"
    if size >= MIB and size % MIB == 0:
        return f"{size // MIB} MiB"
    return f"{size // 1024} KiB"
