"""`make bench BENCH_QUICK=1` end to end: both result files exist with every row, all sane.

No timing assertions: the figures are only checked to be measured (positive, finite) and the
ratios to be computed from them.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO_ROOT, search_path

SIZES = ("1 MiB", "8 MiB")  # BenchConfig.quick_run().blob_sizes
COUNTS = (1, 3)  # BenchConfig.quick_run().provider_counts


def expected_rows() -> set[str]:
    rows = set()
    for size in SIZES:
        rows |= {f"blob {op} {size}" for op in ("push monolithic", "push chunked", "pull")}
        rows.add(f"server peak RSS during {size} blob runs")
        rows.add(f"server CPU time per GB moved, {size} blobs")
    rows.add(f"server peak RSS, {SIZES[-1]} over {SIZES[0]} blobs")
    rows |= {
        "server peak RSS during manifest load",
        "server peak RSS during crane image runs",
        "server peak RSS over all data-plane runs",
    }
    for concurrency in (1, 16, 64):
        for method in ("GET", "HEAD"):
            name = f"manifest {method} c={concurrency}"
            rows |= {name, f"{name} p50 latency", f"{name} p99 latency"}
    cross_check = "manifest GET c=64 (asyncio client)"
    rows |= {cross_check, f"{cross_check} p50 latency", f"{cross_check} p99 latency"}
    rows |= {f"image {op} with crane (8 small layers)" for op in ("push", "pull")}
    rows.add("plugin start (exec to port line)")
    for op in ("up", "preview --refresh", "destroy"):
        rows |= {f"pulumi {op}, 1 registry", f"pulumi {op}, 3 registries"}
        rows.add(f"pulumi {op}: growth exponent k (time ~ N^k)")
        rows.add(f"pulumi {op}, 3 registries: provider share")
    rows.add("pulumi up, 3 registries: password hashes per registry on the service")
    rows.add("pulumi up --parallel 64, 3 registries")
    rows.add("pulumi up, without the gRPC log, 3 registries")
    rows |= {"scan time", "service peak RSS while scanning"}
    for size in SIZES:  # the S3 rows (bench/scale.py): the same blob and image runs on SeaweedFS
        rows |= {f"S3 blob {op} {size}" for op in ("push monolithic", "push chunked", "pull")}
        rows.add(f"S3 server peak RSS during {size} blob runs")
        rows.add(f"S3 server CPU time per GB moved, {size} blobs")
    rows.add(f"S3 server peak RSS, {SIZES[-1]} over {SIZES[0]} blobs")
    rows |= {f"S3 image {op} with crane (8 small layers)" for op in ("push", "pull")}
    rows |= {f"manifest GET c={c}, two replicas vs one" for c in (16, 64)}
    rows.add("S3 upload close, 8 MiB, on another replica vs the same")
    return rows


def test_quick_bench_writes_every_row_with_sane_figures(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--out", str(tmp_path)],
        cwd=REPO_ROOT,
        env={"PATH": search_path(), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-6000:]}"

    data = json.loads((tmp_path / "latest.json").read_text())
    markdown = (tmp_path / "latest.md").read_text()
    rows = {row["name"]: row for row in data["rows"]}
    assert data["errors"] == []
    assert set(rows) == expected_rows()

    for name, row in rows.items():
        assert math.isfinite(row["ours"]), name
        if row["unit"] != "k":  # a growth exponent may be ~0 or below when N is tiny
            assert row["ours"] > 0, (name, row["ours"])
        if row["part"] in ("data plane", "S3 storage", "replicas"):
            assert row["peer"] is not None and row["peer"] > 0, (name, row["peer"])
            assert row["ratio"] == row["ours"] / row["peer"], name
        if (
            name.startswith("pulumi ")
            and name.endswith(("registry", "registries"))
            and ("--parallel" not in name)
            and ("without the gRPC log" not in name)
        ):
            assert row["ratio_basis"] == "vs 1 registry" and row["ratio"] > 0, name
        assert f"| {name} |" in markdown, name

    meta = data["meta"]
    assert meta["mode"] == "quick"
    assert meta["machine"]["nproc"] >= 1 and meta["machine"]["memory_gib"] > 0
    assert len(meta["loadavg"]["start"]) == 3 and len(meta["loadavg"]["end"]) == 3
    for tool in ("python", "project", "registry", "pulumi"):
        assert meta["versions"][tool], tool
    assert "## Findings" in markdown and "## Machine and versions" in markdown
    up = rows["pulumi up, 3 registries"]["extra"]
    assert up["provider_calls_by_method"].get("Create", 0) >= 9  # 3 x (registry, settings, pw)
    # Each password is hashed once: the registry's own and the RegistryPassword's.
    assert rows["pulumi up, 3 registries: password hashes per registry on the service"]["ours"] == 2
    assert rows["pulumi up --parallel 64, 3 registries"]["extra"]["provider_max_in_flight"] >= 1
