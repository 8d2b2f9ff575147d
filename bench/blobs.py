"""Blob push (monolithic and chunked) and pull throughput, and server memory per blob size.

Runs alternate between the registries (ours, reference, ours, ...) so background load that
comes and goes hits both alike. Every run pushes into a fresh repository.
"""

from __future__ import annotations

from pathlib import Path

from bench.config import BenchConfig, size_label
from bench.memory import cpu_seconds
from bench.oci_client import OciClient, write_blob_file
from bench.profiling import Profile
from bench.results import Results, Row
from bench.servers import Endpoint
from bench.stats import median, spread

OPERATIONS = ("push monolithic", "push chunked", "pull")
# Peak RSS at the largest blob over the smallest: above this, memory is not flat in blob size.
FLAT_MEMORY_LIMIT = 1.25
CPU_PER_GB_LIMIT = 1.2  # server CPU per GB moved, ours over the reference's


def run_blob_bench(
    cfg: BenchConfig,
    endpoints: list[Endpoint],
    work: Path,
    results: Results,
    *,
    part: str = "data plane",
    prefix: str = "",
    target_ratio: float = 1.0,
) -> None:
    """Rows are named ``{prefix}blob ...`` in ``part``; throughput targets ``target_ratio``."""
    clients = {e.label: OciClient(e, cfg.op_timeout_s) for e in endpoints}
    trackers = {e.label: e.rss for e in endpoints}
    peaks: dict[str, dict[int, float]] = {e.label: {} for e in endpoints}
    try:
        _warm_up(cfg, endpoints, clients, work)
        for size in cfg.blob_sizes:
            label = size_label(size)
            path = work / f"blob-{size}.bin"
            digest = write_blob_file(path, size, seed=size)
            mbps: dict[str, dict[str, list[float]]] = {
                e.label: {op: [] for op in OPERATIONS} for e in endpoints
            }
            for tracker in trackers.values():
                tracker.reset()
            cpu_before = {e.label: cpu_seconds(e.pid) for e in endpoints}
            for run in range(cfg.blob_runs):
                for endpoint in endpoints:
                    client = clients[endpoint.label]
                    slug = label.replace(" ", "").lower()
                    mono = endpoint.repo(f"blobs/{slug}-{run}-mono")
                    chunked = endpoint.repo(f"blobs/{slug}-{run}-chunked")
                    samples = mbps[endpoint.label]
                    seconds = client.push_monolithic(mono, path, size, digest)
                    samples["push monolithic"].append(size / seconds / 1e6)
                    seconds = client.push_chunked(chunked, path, size, digest, cfg.chunk_size)
                    samples["push chunked"].append(size / seconds / 1e6)
                    seconds = client.pull(mono, digest, size)
                    samples["pull"].append(size / seconds / 1e6)
            for endpoint in endpoints:
                peaks[endpoint.label][size] = trackers[endpoint.label].phase_peak_mib()
            cpu = {e.label: cpu_seconds(e.pid) - cpu_before[e.label] for e in endpoints}
            path.unlink()
            _throughput_rows(results, label, mbps, cfg, part, prefix, target_ratio)
            moved_gb = size * len(OPERATIONS) * cfg.blob_runs / 1e9
            cpu_row = results.add(
                Row(
                    part,
                    f"{prefix}server CPU time per GB moved, {label} blobs",
                    "CPU s/GB",
                    round(cpu["ours"] / moved_gb, 3),
                    round(cpu["reference"] / moved_gb, 3),
                    better="lower",
                    target=f"<= {CPU_PER_GB_LIMIT}x reference",
                    note="user+system CPU of the server's processes over all pushes and pulls",
                )
            )
            cpu_row.target_met = cpu_row.ratio is not None and cpu_row.ratio <= CPU_PER_GB_LIMIT
            results.add(
                Row(
                    part,
                    f"{prefix}server peak RSS during {label} blob runs",
                    "MiB",
                    peaks["ours"][size],
                    peaks["reference"][size],
                    better="lower",
                )
            )
        _flatness_row(results, cfg, peaks, part, prefix)
    finally:
        for client in clients.values():
            client.close()


def _warm_up(
    cfg: BenchConfig, endpoints: list[Endpoint], clients: dict[str, OciClient], work: Path
) -> None:
    """One small push and pull each, so first-request costs (imports, caches) are not measured."""
    size = min(cfg.blob_sizes)
    path = work / "blob-warm-up.bin"
    digest = write_blob_file(path, size, seed=1)
    for endpoint in endpoints:
        repo = endpoint.repo("blobs/warm-up")
        clients[endpoint.label].push_monolithic(repo, path, size, digest)
        clients[endpoint.label].push_chunked(repo, path, size, digest, cfg.chunk_size)
        clients[endpoint.label].pull(repo, digest, size)
    path.unlink()


def _throughput_rows(
    results: Results,
    label: str,
    mbps: dict[str, dict[str, list[float]]],
    cfg: BenchConfig,
    part: str,
    prefix: str,
    target_ratio: float,
) -> None:
    chunk = size_label(cfg.chunk_size)
    for op in OPERATIONS:
        samples = {label: by_op[op] for label, by_op in mbps.items()}
        ours = median(mbps["ours"][op])
        peer = median(mbps["reference"][op])
        row = results.add(
            Row(
                part,
                f"{prefix}blob {op} {label}",
                "MB/s",
                round(ours, 1),
                round(peer, 1),
                target=f">= {target_ratio}x reference",
                note=f"median of {len(mbps['ours'][op])} ({spread(samples, 3)})"
                + (f"; {chunk} chunks" if op == "push chunked" else ""),
                extra={"samples": {k: [round(x, 1) for x in v[op]] for k, v in mbps.items()}},
            )
        )
        row.target_met = row.ratio is not None and row.ratio >= target_ratio


def _flatness_row(
    results: Results, cfg: BenchConfig, peaks: dict[str, dict[int, float]], part: str, prefix: str
) -> None:
    small, large = min(cfg.blob_sizes), max(cfg.blob_sizes)
    growth = {label: by_size[large] / by_size[small] for label, by_size in peaks.items()}
    row = results.add(
        Row(
            part,
            f"{prefix}server peak RSS, {size_label(large)} over {size_label(small)} blobs",
            "x",
            round(growth["ours"], 3),
            round(growth["reference"], 3),
            better="lower",
            target=f"flat in blob size (<= {FLAT_MEMORY_LIMIT}x)",
            note="1.0 = the same peak whatever the blob size",
        )
    )
    row.target_met = growth["ours"] <= FLAT_MEMORY_LIMIT


def profile_blob_transfer(
    cfg: BenchConfig, ours: Endpoint, work: Path
) -> dict[str, dict[str, object]]:
    """py-spy on our service during repeated monolithic pushes, then during repeated pulls."""
    size = sorted(cfg.blob_sizes)[len(cfg.blob_sizes) // 2]
    path = work / "blob-profile.bin"
    digest = write_blob_file(path, size, seed=7)
    summaries: dict[str, dict[str, object]] = {}
    with OciClient(ours, cfg.op_timeout_s) as client:
        repo = ours.repo("blobs/profile")
        client.push_monolithic(repo, path, size, digest)
        rounds = 0
        with Profile(ours.pid, cfg.profile_seconds, work / "profile-blob-push.txt") as profile:
            while profile.running() and rounds < 200:
                client.push_monolithic(ours.repo(f"blobs/profile-{rounds}"), path, size, digest)
                rounds += 1
        summaries[f"blob push monolithic {size_label(size)}"] = profile.summary
        rounds = 0
        with Profile(ours.pid, cfg.profile_seconds, work / "profile-blob-pull.txt") as profile:
            while profile.running() and rounds < 200:
                client.pull(repo, digest, size)
                rounds += 1
        summaries[f"blob pull {size_label(size)}"] = profile.summary
    path.unlink()
    return summaries
