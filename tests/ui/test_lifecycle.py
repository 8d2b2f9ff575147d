"""The dashboard's lifecycle and access pages: a retention policy with its dry run, scoped
credentials (password shown once, revoke), and the immutability exclusions."""

from __future__ import annotations

import json

import httpx
from playwright.sync_api import expect

from tests.service.oci_helpers import OciClient, make_image, registry_with_client
from tests.ui.conftest import Dashboard

REGISTRY = "life-reg"


def _fill(dashboard: Dashboard) -> OciClient:
    client = registry_with_client(dashboard.service, REGISTRY)
    for tag in ("v1.0.0", "build-1", "build-2", "build-3"):
        assert client.push_image(f"{REGISTRY}/app", make_image(500), tag).status_code == 201
    return client


def test_retention_policy_is_previewed_saved_and_run(dashboard: Dashboard) -> None:
    client = _fill(dashboard)
    dashboard.sign_in()
    page = dashboard.open_registry(REGISTRY)
    page.get_by_role("link", name="Retention policy").click()
    expect(page.get_by_role("heading", name="Retention policy")).to_be_visible()
    expect(page.locator(".page-head")).to_contain_text("No policy yet")

    rules = [{"repository_pattern": "app", "keep_last_pushed": 1, "keep_tag_patterns": ["v*"]}]
    page.get_by_label("Rules (JSON)").fill(json.dumps(rules))
    page.get_by_role("button", name="Preview (dry run)").click()
    expect(page.locator("#dry-run-summary")).to_contain_text("2 artifacts (2 tags")
    expect(page.locator("#dry-run-table")).to_contain_text("build-1")
    expect(page.locator("#dry-run-table")).not_to_contain_text("build-3")
    with dashboard.api() as api:
        assert api.get(f"/registries/{REGISTRY}/retention-policy").status_code == 404

    page.get_by_label("Schedule").select_option("manual")
    page.get_by_role("button", name="Save policy").click()
    expect(page.get_by_role("status")).to_contain_text("Retention policy saved (manual)")
    expect(page.locator("#dry-run-table tbody tr")).to_have_count(2)
    with dashboard.api() as api:
        assert api.get(f"/registries/{REGISTRY}/retention-policy").json()["schedule"] == "manual"

    page.get_by_role("button", name="Run now").click()
    expect(page.get_by_role("status")).to_contain_text("Retention ran: 2 artifacts deleted")
    tags = client.http.get(f"/v2/{REGISTRY}/app/tags/list").json()["tags"]
    assert sorted(tags) == ["build-3", "v1.0.0"]
    dashboard.screenshot("retention")


def test_bad_rules_are_explained_next_to_the_form(dashboard: Dashboard) -> None:
    _fill(dashboard)
    dashboard.sign_in()
    dashboard.page.goto(dashboard.url(f"/registries/{REGISTRY}/retention"))
    page = dashboard.page
    page.get_by_label("Rules (JSON)").fill('[{"repository_pattern": "App", "keep_last_pushed": 1}]')
    page.get_by_role("button", name="Save policy").click()
    expect(page.locator("#retention-error")).to_contain_text("not a repository pattern")
    page.get_by_label("Rules (JSON)").fill("[{not json")
    page.get_by_role("button", name="Preview (dry run)").click()
    expect(page.locator("#retention-error")).to_contain_text("not valid JSON")


def test_credentials_are_created_once_listed_without_secrets_and_revoked(
    dashboard: Dashboard,
) -> None:
    _fill(dashboard)
    dashboard.sign_in()
    page = dashboard.open_registry(REGISTRY)
    page.get_by_role("link", name="Scoped credentials").click()
    expect(page.locator("#credential-list")).to_contain_text("No scoped credentials yet")

    page.get_by_label("Name").fill("cluster")
    page.get_by_label("Access").select_option("pull")
    page.get_by_label("Repositories (optional)").fill("app")
    page.get_by_role("button", name="Create credential").click()
    expect(page.get_by_role("heading", name=f"Credential {REGISTRY}+cluster")).to_be_visible()
    password = page.locator("#new-password").inner_text().strip()
    username = f"{REGISTRY}+cluster"
    url = f"{dashboard.service.url}/v2/{REGISTRY}/app/tags/list"
    assert httpx.get(url, auth=(username, password)).status_code == 200

    page.get_by_role("link", name="I have stored it").click()
    row = page.locator("#credential-table tr[data-credential='cluster']")
    expect(row).to_contain_text("pull")
    expect(page.locator("body")).not_to_contain_text(password)
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_contain_text("revoked")
    assert httpx.get(url, auth=(username, password)).status_code == 401

    page.get_by_label("Name").fill("Bad_Name")
    page.get_by_role("button", name="Create credential").click()
    expect(page.locator("#credential-error")).to_contain_text("not a credential name")


def test_immutability_exclusions_are_shown_and_saved(dashboard: Dashboard) -> None:
    client = _fill(dashboard)
    dashboard.sign_in()
    page = dashboard.open_registry(REGISTRY)
    page.get_by_label("Tag immutability").check()
    page.get_by_label("Tags that stay mutable").fill("latest, dev-*")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("tag immutability on")
    expect(page.get_by_label("Tags that stay mutable")).to_have_value("latest, dev-*")
    first, second = make_image(10), make_image(20)
    assert client.push_image(f"{REGISTRY}/app", first, "latest").status_code == 201
    assert client.push_image(f"{REGISTRY}/app", second, "latest").status_code == 201
    assert client.put_manifest(f"{REGISTRY}/app", "v1.0.0", second.manifest).status_code == 403

    page.get_by_label("Tags that stay mutable").fill("no spaces")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#settings-error")).to_contain_text("not a tag pattern")
