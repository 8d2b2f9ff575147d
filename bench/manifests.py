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
from bench.stats import median, spread
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
TARGET_RATIO = 1.5  # manifest req/s, ours over the reference's ...
TARGET_FROM_CONCURRENCY = 16  # ... at this concurrency and above


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

    def repeated(measure) -> dict[str, list[dict]]:
        """``cfg.manifest_runs`` runs per registry, alternating between them."""
        runs: dict[str, list[dict]] = {e.label: [] for e in endpoints}
        for _ in range(cfg.manifest_runs):
            for endpoint in endpoints:
                runs[endpoint.label].append(measure(endpoint))
        return runs

    seconds = cfg.manifest_seconds
    for concurrency in cfg.manifest_concurrency:
        stats = repeated(lambda e, c=concurrency: run_wrk(e, scripts[e.label], c, seconds))
        _add_rows(results, "GET", concurrency, stats, "wrk")
        stats = repeated(lambda e, c=concurrency: run_asyncio(e, "HEAD", c, seconds))
        _add_rows(results, "HEAD", concurrency, stats, "asyncio client")
    highest = max(cfg.manifest_concurrency)
    stats = repeated(lambda e: run_asyncio(e, "GET", highest, seconds))
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
    runs: dict[str, list[dict]],
    tool: str,
    suffix: str = "",
) -> None:
    """Medians over the runs of each registry, with the spread of req/s in the note."""

    def figure(label: str, key: str) -> float:
        return median([run[key] for run in runs[label]])

    errors = {
        label: sum(run["status_errors"] + run["socket_errors"] for run in each)
        for label, each in runs.items()
    }
    rates = {label: [run["rps"] for run in each] for label, each in runs.items()}
    note = f"{tool}; median of {len(rates['ours'])} ({spread(rates, 3)})"
    if any(errors.values()):
        note += "; errors: " + ", ".join(f"{k} {v}" for k, v in errors.items() if v)
    extra = {
        "requests": {k: [run["requests"] for run in v] for k, v in runs.items()},
        "samples": {k: [round(x, 1) for x in v] for k, v in rates.items()},
        "errors": errors,
    }
    rps = results.add(
        Row(
            "data plane",
            f"manifest {method} c={concurrency}{suffix}",
            "req/s",
            round(figure("ours", "rps"), 1),
            round(figure("reference", "rps"), 1),
            note=note,
            extra=extra,
        )
    )
    if concurrency >= TARGET_FROM_CONCURRENCY and not suffix:
        rps.target = f">= {TARGET_RATIO}x reference at concurrency {concurrency}"
        rps.target_met = rps.ratio is not None and rps.ratio >= TARGET_RATIO
    for pct in ("p50", "p99"):
        results.add(
            Row(
                "data plane",
                f"manifest {method} c={concurrency}{suffix} {pct} latency",
                "ms",
                round(figure("ours", f"{pct}_us") / 1000, 3),
                round(figure("reference", f"{pct}_us") / 1000, 3),
                better="lower",
                note=f"{tool}; median of {len(rates['ours'])}",
            )
        )


def profile_manifests(cfg: BenchConfig, ours: Endpoint, work: Path) -> dict[str, object]:
    """py-spy on our service while wrk GETs the manifest at concurrency 64."""
    script = _script(work, ours, "GET")
    with Profile(ours.pid, cfg.profile_seconds, work / "profile-manifest-get.txt") as profile:
        run_wrk(ours, script, 64, cfg.profile_seconds)
    return profile.summary
