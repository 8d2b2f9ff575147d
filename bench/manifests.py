"""Manifest GET and HEAD: requests per second and latency under concurrent load.

One small image is pushed to each registry; its manifest is then requested by tag with HTTP
Basic credentials at each concurrency, alternating registries. GET uses wrk (a Lua script sets
the headers); HEAD uses bench.loadgen, since Debian's wrk cannot read HEAD responses. As a
cross-check of the two load generators, GET at the highest concurrency is also measured with
bench.loadgen.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

from bench import loadgen
from bench.config import BenchConfig
from bench.oci_client import OCI_MANIFEST, OciClient
from bench.profiling import Profile
from bench.results import Results, Row
from bench.servers import Endpoint
from tests.support.paths import require_tool

LUA = """\
wrk.method = "{method}"
wrk.headers["Authorization"] = "Basic {basic}"
wrk.headers["Accept"] = "{accept}"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {{"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,'
    .. '"p50_us":%d,"p99_us":%d}}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""
REPO_PATH = "manifests/app"
TAG = "v1"


def _script(work: Path, endpoint: Endpoint, method: str) -> Path:
    basic = base64.b64encode(f"{endpoint.username}:{endpoint.password}".encode()).decode()
    path = work / f"wrk-{endpoint.label}-{method}.lua"
    path.write_text(LUA.format(method=method, basic=basic, accept=OCI_MANIFEST))
    path.chmod(0o600)
    return path


def run_wrk(endpoint: Endpoint, script: Path, concurrency: int, seconds: float) -> dict[str, float]:
    url = f"{endpoint.url}/v2/{endpoint.repo(REPO_PATH)}/manifests/{TAG}"
    cmd = [
        require_tool("wrk"), "-t", str(min(concurrency, 2)), "-c", str(concurrency),
        "-d", f"{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(script), url,
    ]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    for line in result.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            stats = json.loads(line.removeprefix("BENCH_JSON "))
            stats["rps"] = stats["requests"] / (stats["duration_us"] / 1e6)
            return stats
    raise RuntimeError(f"wrk printed no summary (exit {result.returncode}): {result.stderr[-500:]}")


def run_manifest_bench(
    cfg: BenchConfig, endpoints: list[Endpoint], work: Path, results: Results
) -> None:
    scripts = {}
    for endpoint in endpoints:
        with OciClient(endpoint, cfg.op_timeout_s) as client:
            client.push_small_image(endpoint.repo(REPO_PATH), TAG)
        scripts[endpoint.label] = _script(work, endpoint, "GET")
        run_wrk(endpoint, scripts[endpoint.label], 16, 1)  # warm-ups, not reported
        run_asyncio(endpoint, "HEAD", 16, 1)

    for concurrency in cfg.manifest_concurrency:
        stats = {
            e.label: run_wrk(e, scripts[e.label], concurrency, cfg.manifest_seconds)
            for e in endpoints
        }
        _add_rows(results, "GET", concurrency, stats, "wrk")
        stats = {
            e.label: run_asyncio(e, "HEAD", concurrency, cfg.manifest_seconds) for e in endpoints
        }
        _add_rows(results, "HEAD", concurrency, stats, "asyncio client")
    highest = max(cfg.manifest_concurrency)
    stats = {e.label: run_asyncio(e, "GET", highest, cfg.manifest_seconds) for e in endpoints}
    _add_rows(results, "GET", highest, stats, "asyncio client", suffix=" (asyncio client)")


def run_asyncio(
    endpoint: Endpoint, method: str, concurrency: int, seconds: float
) -> dict[str, float]:
    path = f"/v2/{endpoint.repo(REPO_PATH)}/manifests/{TAG}"
    return loadgen.measure(
        endpoint.host, path, method, endpoint.auth, OCI_MANIFEST, concurrency, seconds
    )


def _add_rows(
    results: Results,
    method: str,
    concurrency: int,
    stats: dict[str, dict],
    tool: str,
    suffix: str = "",
) -> None:
    ours, peer = stats["ours"], stats["reference"]
    errors = {label: s["status_errors"] + s["socket_errors"] for label, s in stats.items()}
    note = tool
    if any(errors.values()):
        note += "; errors: " + ", ".join(f"{k} {v}" for k, v in errors.items() if v)
    extra = {"requests": {k: v["requests"] for k, v in stats.items()}, "errors": errors}
    rps = results.add(
        Row(
            "data plane",
            f"manifest {method} c={concurrency}{suffix}",
            "req/s",
            round(ours["rps"], 1),
            round(peer["rps"], 1),
            note=note,
            extra=extra,
        )
    )
    if concurrency >= 64 and not suffix:
        rps.target = ">= reference at concurrency 64"
        rps.target_met = rps.ratio is not None and rps.ratio >= 1.0
    for pct in ("p50", "p99"):
        results.add(
            Row(
                "data plane",
                f"manifest {method} c={concurrency}{suffix} {pct} latency",
                "ms",
                round(ours[f"{pct}_us"] / 1000, 3),
                round(peer[f"{pct}_us"] / 1000, 3),
                better="lower",
                note=tool,
            )
        )


def profile_manifests(cfg: BenchConfig, ours: Endpoint, work: Path) -> dict[str, object]:
    """py-spy on our service while wrk GETs the manifest at concurrency 64."""
    script = _script(work, ours, "GET")
    with Profile(ours.pid, cfg.profile_seconds, work / "profile-manifest-get.txt") as profile:
        run_wrk(ours, script, 64, cfg.profile_seconds)
    return profile.summary
