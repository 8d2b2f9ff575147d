"""`python -m bench.run`: every benchmark in one run, written to bench/results/latest.{md,json}.

Parts run one after another (never two at once on a small machine); a part that fails is
recorded under "errors" and the others still run, and the exit code is then 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from cloudraya_registry.config import default_workers

from bench import machine, report
from bench.blobs import profile_blob_transfer, run_blob_bench
from bench.config import BenchConfig
from bench.images import run_image_bench
from bench.manifests import profile_manifests, run_manifest_bench
from bench.provider import run_provider_bench
from bench.results import Results, Row
from bench.scale import run_digest_check_bench, run_replica_bench, run_s3_bench
from bench.scanning import run_scan_bench
from bench.servers import BCRYPT_ROUNDS, OurServer, ReferenceRegistry

PARTS = ("data", "scale", "provider", "scanning")
PEAK_RSS_LIMIT = 1.5  # our servers' peak RSS over the reference's
DEFAULT_OUT = Path(__file__).resolve().parent / "results"

METHOD = [
    "Both registries run side by side on 127.0.0.1 with fresh data dirs and their defaults: "
    "ours is `cloudraya-registry serve` (SQLite, filesystem blobs, one worker process per core: "
    "{workers} here), the reference is the CNCF `registry` (filesystem driver, Go using every "
    "core, htpasswd with bcrypt cost {rounds}, the `htpasswd -B` default). Both keep their "
    "default request logging. Every request carries the same HTTP Basic credentials; "
    "the reference checks the bcrypt hash on every request, ours remembers a verified password "
    "for 120 s.",
    "Blobs: one streaming httpx client for both; monolithic = POST + one PUT, chunked = POST + "
    "PATCH per chunk (Content-Range) + closing PUT; pull = GET hashed on the fly. MB/s = 10^6 "
    "bytes per second, median of {blob_runs} runs, runs alternating between the registries.",
    "Manifests: wrk (GET) or an asyncio client (HEAD) with Authorization and Accept headers on "
    "one manifest by tag after a warm-up, {manifest_runs} runs of {manifest_seconds:.0f} s per "
    "point alternating between the registries; medians, with the range of req/s in the notes.",
    "Peak RSS and CPU: summed over each server's processes (VmHWM, reset through "
    "/proc/PID/clear_refs at the start of each phase; user+system CPU from /proc/PID/stat).",
    "Images: crane push/pull (OCI layout) of a fresh image of {image_layers} small layers per run.",
    "Provider: a generated Pulumi YAML program per N (Registry + RegistrySettings + "
    "RegistryPassword each); `up --skip-preview`, `preview --refresh`, `destroy` on one service. "
    "Provider share = time with at least one engine-to-provider gRPC call in flight "
    "(PULUMI_DEBUG_GRPC), service share = time with at least one HTTP request in flight (the "
    "service's JSON request log).",
    "S3 storage: our service on PostgreSQL with --storage-url s3:// and the CNCF registry with "
    "its s3 driver, both on one SeaweedFS (`weed mini`), each under its own prefix of one bucket; "
    "the blob runs above at 64 MiB and 1 GiB and the crane image runs, median of up to 3 "
    "runs; held to 0.8x the reference's throughput (1.25x its time).",
    "Replicas: two replicas on one PostgreSQL and one bucket, HAProxy round-robin over both vs "
    "a second HAProxy over the first replica alone; wrk on one manifest through each, "
    "{manifest_seconds:.0f} s per run, median of alternating runs.",
    "Scanning: the service scans the image on request (POST .../scan) until done, polled every "
    "50 ms; memory is the service's VmHWM during the scan.",
    "Profiles: py-spy on our service in extra passes after the measured runs.",
]


def _part(results: Results, name: str, action: Callable[[], None]) -> None:
    started = time.perf_counter()
    results.meta.setdefault("loadavg_at_part_start", {})[name] = machine.loadavg()
    print(f"bench: {name} ...", flush=True)
    try:
        action()
    except Exception as exc:  # one failed part must not lose the others' figures
        results.errors.append(f"{name}: {type(exc).__name__}: {exc}")
        traceback.print_exc()
    print(f"bench: {name} done in {time.perf_counter() - started:.0f} s", flush=True)


def _phase_peak(
    results: Results,
    endpoints: list,
    phase: str,
    action: Callable[..., None],
    cfg: BenchConfig,
    work: Path,
) -> None:
    """Run one data-plane part and add a row with each server's peak RSS during it."""
    for endpoint in endpoints:
        endpoint.rss.reset()
    _part(results, phase, lambda: action(cfg, endpoints, work, results))
    results.add(
        Row(
            "data plane",
            f"server peak RSS during {phase}",
            "MiB",
            endpoints[0].rss.phase_peak_mib(),
            endpoints[1].rss.phase_peak_mib(),
            better="lower",
        )
    )


def run_data_plane(cfg: BenchConfig, work: Path, results: Results) -> None:
    ours_server, reference_server = OurServer(work), ReferenceRegistry(work)
    try:
        endpoints = [ours_server.start(), reference_server.start()]
        _part(results, "blobs", lambda: run_blob_bench(cfg, endpoints, work, results))
        _phase_peak(results, endpoints, "manifest load", run_manifest_bench, cfg, work)
        _phase_peak(results, endpoints, "crane image runs", run_image_bench, cfg, work)
        peak = results.add(
            Row(
                "data plane",
                "server peak RSS over all data-plane runs",
                "MiB",
                endpoints[0].rss.overall_peak_mib(),
                endpoints[1].rss.overall_peak_mib(),
                better="lower",
                target=f"<= {PEAK_RSS_LIMIT}x reference",
            )
        )
        peak.target_met = peak.ratio is not None and peak.ratio <= PEAK_RSS_LIMIT

        def profiles() -> None:
            results.profiles.update(profile_blob_transfer(cfg, endpoints[0], work))
            results.profiles["manifest GET c=64"] = profile_manifests(cfg, endpoints[0], work)

        _part(results, "profiles", profiles)
    finally:
        ours_server.stop()
        reference_server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", default=None, help="smoke-sized run")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results directory")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"subset of {','.join(PARTS)}")
    parser.add_argument("--keep-work", action="store_true", help="keep the scratch directory")
    args = parser.parse_args(argv)
    parts = [p for p in args.parts.split(",") if p]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; choose from {','.join(PARTS)}")

    cfg = BenchConfig.from_env(args.quick)
    started = time.perf_counter()
    results = Results()
    load_start = machine.loadavg()
    results.meta = {
        "mode": "quick" if cfg.quick else "full",
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine.describe_machine(),
        "versions": machine.versions(),
        "config": asdict(cfg),
        "parts": parts,
        "bcrypt_rounds": BCRYPT_ROUNDS,
    }
    results.meta["method"] = [
        text.format(rounds=BCRYPT_ROUNDS, workers=default_workers(), **asdict(cfg))
        for text in METHOD
    ]
    work = Path(tempfile.mkdtemp(prefix="cloudraya-bench-"))
    print(f"bench: {results.meta['mode']} run, scratch dir {work}", flush=True)
    try:
        if "data" in parts:
            _part(results, "data plane", lambda: run_data_plane(cfg, work, results))
        if "scale" in parts:
            _part(results, "S3 storage", lambda: run_s3_bench(cfg, work, results))
            _part(results, "digest checks", lambda: run_digest_check_bench(cfg, work, results))
            _part(results, "replicas", lambda: run_replica_bench(cfg, work, results))
        if "provider" in parts:
            _part(results, "provider", lambda: run_provider_bench(cfg, work, results))
        if "scanning" in parts:
            _part(results, "scanning", lambda: run_scan_bench(cfg, work, results))
    except KeyboardInterrupt:  # BENCH_TIMEOUT (or ^C): keep what was measured so far
        results.errors.append("interrupted before every part ran (time limit or ^C)")
    finally:
        if not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)
    load_end = machine.loadavg()
    cores = results.meta["machine"]["nproc"]
    results.meta.update(
        finished_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        duration_s=round(time.perf_counter() - started, 1),
        loadavg={"start": load_start, "end": load_end},
        busy=machine.busy(load_start, load_end, cores),
    )
    report.findings_for_missed_targets(results)
    json_path, md_path = report.write(results, args.out)
    print(f"bench: wrote {md_path} and {json_path}", flush=True)
    for error in results.errors:
        print(f"bench: ERROR {error}", file=sys.stderr)
    return 1 if results.errors else 0


if __name__ == "__main__":
    sys.exit(main())
