"""Scan results on the artifact and vulnerability pages, from advisories imported as OSV files.

An advisory's summary is text from outside (the OSV feed): it carries markup here, and the page
must show it as text.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.support.images import gzip_layer
from tests.support.paths import require_tool, search_path
from tests.support.service import RegistryService
from tests.ui.conftest import Dashboard
from tests.ui.images import push_random_image

SCAN_WAIT_S = 300.0
HOSTILE_SUMMARY = (
    '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'
    "Command injection in lodash <b>template</b>"
)
PACKAGES = gzip_layer(
    {
        "usr/lib/python3.11/site-packages/Django-4.2.0.dist-info/METADATA": (
            b"Metadata-Version: 2.1\nName: Django\nVersion: 4.2.0\n"
        ),
        "srv/node_modules/lodash/package.json": b'{"name": "lodash", "version": "4.17.20"}',
        "srv/node_modules/minimist/package.json": b'{"name": "minimist", "version": "1.2.5"}',
    }
)


def osv(advisory_id: str, ecosystem: str, package: str, introduced: str, fixed: str, **top):
    kind = "SEMVER" if ecosystem == "npm" else "ECOSYSTEM"
    return {
        "schema_version": "1.6.0",
        "id": advisory_id,
        "modified": "2024-05-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": package},
                "ranges": [
                    {"type": kind, "events": [{"introduced": introduced}, {"fixed": fixed}]}
                ],
            }
        ],
        **top,
    }


ADVISORIES = [
    osv(
        "GHSA-ui00-lodash",
        "npm",
        "lodash",
        "0",
        "4.17.21",
        aliases=["CVE-2021-23337"],
        summary=HOSTILE_SUMMARY,
        database_specific={"severity": "HIGH"},
    ),
    osv(
        "GHSA-ui00-django",
        "PyPI",
        "django",
        "4.0",
        "4.2.1",
        aliases=["CVE-2023-31047"],
        summary="Django file upload validation bypass",
        database_specific={"severity": "CRITICAL"},
    ),
    osv(
        "GHSA-ui00-minimist",
        "npm",
        "minimist",
        "0",
        "1.2.6",
        summary="Prototype pollution in minimist",
        database_specific={"severity": "MODERATE"},
    ),
]


def import_advisories(service: RegistryService, directory: Path) -> None:
    directory.mkdir(parents=True)
    for record in ADVISORIES:
        (directory / f"{record['id']}.json").write_text(json.dumps(record))
    result = subprocess.run(
        [
            require_tool("cloudraya-registry"),
            "vulndb",
            "import",
            str(directory),
            "--data-dir",
            str(service.data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": search_path()},
    )
    assert result.returncode == 0, result.stderr


FINAL_BADGES = ("Scanned", "Scan failed", "Unsupported")


def reload_until_scanned(page: Page, selector: str) -> None:
    """Reload until the scan badge shows a final status (scans run in the background)."""
    deadline = time.monotonic() + SCAN_WAIT_S
    while not any(b in (page.locator(selector).first.text_content() or "") for b in FINAL_BADGES):
        assert time.monotonic() < deadline, f"{selector}: no final scan status in {SCAN_WAIT_S}s"
        time.sleep(1)
        page.reload()
    expect(page.locator(selector).first.locator(".badge").first).to_have_text("Scanned")


def test_scan_results_and_findings_render_safely(dashboard: Dashboard, tmp_path: Path) -> None:
    service = dashboard.service
    registry = service.create_registry("scan-reg")
    import_advisories(service, tmp_path / "osv")
    push_random_image(service, registry, tmp_path, "shop/frontend", "1.3.0", sizes=(5_000,))

    dashboard.sign_in()
    page = dashboard.open_registry("scan-reg")
    page.get_by_label("Scan on push").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("scan on push on")
    push_random_image(
        service,
        registry,
        tmp_path,
        "shop/frontend",
        "1.4.2",
        sizes=(60_000,),
        extra_layers=(PACKAGES,),
    )

    page.get_by_role("link", name="shop/frontend", exact=True).click()
    pushed = page.locator("#artifact-table tbody tr").nth(0)
    expect(pushed.locator("th .tag")).to_have_text("1.4.2")
    reload_until_scanned(page, "#artifact-table tbody tr:first-child [data-label=Scan]")
    expect(pushed.locator("[data-label=Scan]")).to_contain_text("1 Critical")
    expect(pushed.locator("[data-label=Scan]")).to_contain_text("1 High")
    expect(pushed.locator("[data-label=Scan]")).to_contain_text("1 Medium")
    older = page.locator("#artifact-table tbody tr").nth(1)
    expect(older.locator("[data-label=Scan]")).to_have_text("Not scanned")
    dashboard.screenshot("artifacts-scanned")

    pushed.get_by_role("link", name="Vulnerabilities").click()
    expect(
        page.get_by_role("heading", name="Vulnerabilities of shop/frontend:1.4.2")
    ).to_be_visible()
    counts = page.locator("section .severity-list .sev")
    expect(counts).to_have_text(
        ["1 Critical", "1 High", "1 Medium", "0 Low", "0 Unknown"], use_inner_text=True
    )
    rows = page.locator("#findings tbody tr")
    expect(rows).to_have_count(3)
    expected = [
        ("Critical", "GHSA-ui00-django", "CVE-2023-31047", "Django", "4.2.0", "4.2.1"),
        ("High", "GHSA-ui00-lodash", "CVE-2021-23337", "lodash", "4.17.20", "4.17.21"),
        ("Medium", "GHSA-ui00-minimist", None, "minimist", "1.2.5", "1.2.6"),
    ]
    for row, (severity, advisory, cve, package, installed, fixed) in zip(
        rows.all(), expected, strict=True
    ):
        expect(row.locator("[data-label=Severity]")).to_have_text(severity)
        expect(row.locator(".advisory-id")).to_have_text(advisory)
        expect(row.locator(".cve")).to_have_text([cve] if cve else [])
        expect(row.locator(".pkg")).to_have_text(package)
        expect(row.locator("[data-label=Installed]")).to_have_text(installed)
        expect(row.locator("[data-label='Fixed in']")).to_have_text(fixed)

    # the advisory's markup is text: nothing of it became an element or ran
    summary = page.locator("tr[data-advisory='GHSA-ui00-lodash'] .advisory-summary")
    expect(summary).to_have_text(HOSTILE_SUMMARY)
    expect(page.locator("#findings img, #findings script, #findings b")).to_have_count(0)
    assert page.title() != "pwned"
    assert "&lt;script&gt;document.title" in page.content()
    dashboard.screenshot("vulnerabilities")

    # an artifact pushed before scan on push was on is scanned on request
    page.goto(dashboard.url("/registries/scan-reg/repositories/shop/frontend"))
    older = page.locator("#artifact-table tbody tr").nth(1)
    older.get_by_role("link", name="Vulnerabilities").click()
    expect(page.locator("#scan-status")).to_have_text("Not scanned")
    expect(page.locator("#findings")).to_have_count(0)
    page.get_by_role("button", name="Scan now").click()
    expect(page.get_by_role("status")).to_contain_text("requested; status: queued")
    reload_until_scanned(page, "#scan-status")
    expect(page.get_by_text("No known vulnerabilities were found")).to_be_visible()
    with service.api() as api:
        artifacts = api.get("/registries/scan-reg/repositories/shop/frontend/artifacts").json()[
            "artifacts"
        ]
    assert [a["scan"]["status"] for a in artifacts] == ["done", "done"]
    assert artifacts[0]["scan"]["summary"]["counts"]["Critical"] == 1
