"""What the list, detail, artifact and push-command pages show for real pushed images."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import httpx
from playwright.sync_api import expect

from tests.ui.conftest import Dashboard
from tests.ui.images import push_random_image

PASSWORD = "Dashboard-test-pw-42"


def kib(size: int) -> str:
    return f"{size / 1024:.1f} KiB" if size / 1024 < 100 else f"{size / 1024:.0f} KiB"


def pull_manifest(dashboard: Dashboard, registry: str, repository: str, tag: str) -> None:
    response = httpx.get(
        f"{dashboard.service.url}/v2/{registry}/{repository}/manifests/{tag}",
        auth=(registry, PASSWORD),
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    assert response.status_code == 200, response.text


def test_list_detail_artifacts_and_push_command(dashboard: Dashboard, tmp_path: Path) -> None:
    service = dashboard.service
    dev = service.create_registry("dev-registry", password=PASSWORD)
    service.create_registry("prod-registry", storage_gb=30)
    with service.api() as api:
        api.patch("/registries/prod-registry/settings", json={"tag_immutability": True})
    push_random_image(service, dev, tmp_path, "web", "v1")
    push_random_image(service, dev, tmp_path, "web", "v2", sizes=(120_000,))
    push_random_image(service, dev, tmp_path, "team/api", "1.0", sizes=(50_000,))
    pull_manifest(dashboard, "dev-registry", "web", "v1")
    with service.api() as api:
        registries = {r["name"]: r for r in api.get("/registries").json()["registries"]}
        web = api.get("/registries/dev-registry/repositories/web/artifacts").json()["artifacts"]
        repositories = api.get("/registries/dev-registry/repositories").json()["repositories"]
    web_updated = next(r["updated_at"] for r in repositories if r["name"] == "web")

    # registries list
    page = dashboard.sign_in()
    rows = page.locator("#registries tbody tr")
    expect(rows).to_have_count(2)
    dev_row = page.locator("tr[data-registry='dev-registry']")
    expect(dev_row).to_contain_text(f"{service.host}/dev-registry")
    used = registries["dev-registry"]["storage"]["used_bytes"]
    expect(dev_row.locator("[data-label=Storage]")).to_contain_text(f"{kib(used)} of 10 GB")
    expect(dev_row.locator("[data-label=Repositories]")).to_have_text("2")
    expect(dev_row).to_contain_text("Tag immutability off")
    prod_row = page.locator("tr[data-registry='prod-registry']")
    expect(prod_row).to_contain_text("0 B of 30 GB")
    expect(prod_row).to_contain_text("Tag immutability on")
    expect(prod_row.locator("[data-label=Repositories]")).to_have_text("0")
    dashboard.screenshot("registries")

    # registry detail
    dev_row.get_by_role("link", name="dev-registry", exact=True).click()
    expect(page.get_by_role("heading", name="dev-registry", exact=True)).to_be_visible()
    expect(page.locator("#registry-url")).to_have_text(f"{service.host}/dev-registry")
    expect(page.locator("#registry-name")).to_have_text("dev-registry")
    expect(page.locator("#storage")).to_contain_text(f"{kib(used)} used of 10 GB")
    expect(page.locator("#storage")).to_contain_text("includes 10 GB of free storage")
    repo_rows = page.locator("#repository-table tbody tr")
    expect(repo_rows).to_have_count(2)
    expect(repo_rows.nth(0).locator("th")).to_have_text("team/api")
    web_row = page.locator("tr[data-repository='web']")
    expect(web_row.locator("[data-label=Artifacts]")).to_have_text("2")
    expect(web_row.locator("[data-label=Pulls]")).to_have_text("1")
    shown = web_row.locator("[data-label='Last update'] time")
    expect(shown).to_have_text(re.compile(r"^(just now|\d+ minutes? ago)$"))
    assert _parse(shown.get_attribute("datetime")) == _parse(web_updated)
    expect(shown).to_have_attribute("title", _exact(web_updated))

    dashboard.screenshot("registry-detail")

    # copy buttons copy the exact values
    dashboard.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy Registry URL").click()
    assert page.evaluate("navigator.clipboard.readText()") == f"{service.host}/dev-registry"
    page.get_by_role("button", name="Copy Registry name (username)").click()
    assert page.evaluate("navigator.clipboard.readText()") == "dev-registry"

    # artifact list
    web_row.get_by_role("link", name="web", exact=True).click()
    expect(page.get_by_role("heading", name="web", exact=True)).to_be_visible()
    artifact_rows = page.locator("#artifact-table tbody tr")
    expect(artifact_rows).to_have_count(2)
    for row, artifact in zip(artifact_rows.all(), web, strict=True):
        expect(row).to_have_attribute("data-digest", artifact["digest"])
        expect(row.locator("th .tag")).to_have_text(artifact["tags"])
        expect(row.locator("[data-label=Type]")).to_have_text("image")
        expect(row.locator("[data-label=Size]")).to_have_text(kib(artifact["size_bytes"]))
        expect(row.locator("[data-label=Scan]")).to_contain_text("Not scanned")
    expect(artifact_rows.nth(0).locator("th .tag")).to_have_text("v2")
    expect(artifact_rows.nth(1).locator("[data-label='Last pull']")).to_contain_text("(1 pull)")
    expect(artifact_rows.nth(0).locator("[data-label='Last pull']")).to_have_text("never")
    dashboard.screenshot("artifacts")

    # push command helper, for this repository
    page.get_by_role("link", name="View push command").click()
    expect(page.locator("#cmd-login")).to_have_text(f"docker login {service.host} -u dev-registry")
    expect(page.locator("#cmd-build")).to_have_text("docker build -t web:v1.0.0 .")
    expect(page.locator("#cmd-tag")).to_have_text(
        f"docker tag web:v1.0.0 {service.host}/dev-registry/web:v1.0.0"
    )
    expect(page.locator("#cmd-push")).to_have_text(
        f"docker push {service.host}/dev-registry/web:v1.0.0"
    )
    page.get_by_label("Tag", exact=True).fill("2.0.1")
    page.get_by_role("button", name="Update commands").click()
    expect(page.locator("#cmd-push")).to_have_text(
        f"docker push {service.host}/dev-registry/web:2.0.1"
    )
    dashboard.screenshot("push-command")
    page.get_by_label("Repository", exact=True).fill("Not/Valid")
    with page.expect_response(lambda r: "push-command" in r.url) as answered:
        page.get_by_role("button", name="Update commands").click()
    assert answered.value.status == 400
    expect(page.get_by_role("alert")).to_contain_text("repository: must be path components")
    expect(page.locator("#cmd-push")).to_have_count(0)


def _parse(rfc3339: str | None) -> dt.datetime:
    assert rfc3339
    return dt.datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))


def _exact(rfc3339: str) -> str:
    return _parse(rfc3339).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def test_pages_work_without_javascript(no_js_dashboard: Dashboard) -> None:
    dashboard = no_js_dashboard
    dashboard.service.create_registry("plain-registry")
    page = dashboard.sign_in()
    page.get_by_role("link", name="plain-registry", exact=True).click()
    expect(page.locator("#registry-url")).to_have_text(f"{dashboard.service.host}/plain-registry")
    # copy buttons need scripts, so they stay hidden; the values are plain selectable text
    expect(page.get_by_role("button", name="Copy Registry URL")).to_be_hidden()
    # "Delete registry…" leads to a confirmation page instead of a dialog
    page.get_by_role("link", name="Delete registry…").first.click()
    expect(page).to_have_url(dashboard.url("/registries/plain-registry/delete"))
    expect(page.get_by_role("button", name="Delete this registry")).to_be_enabled()
