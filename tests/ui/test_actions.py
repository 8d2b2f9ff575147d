"""Every change the detail page offers, checked on the page and then through the API."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import expect

from tests.ui.conftest import Dashboard
from tests.ui.images import push_random_image

PASSWORD = "Dashboard-test-pw-42"


def v2_status(dashboard: Dashboard, username: str, password: str) -> int:
    return httpx.get(f"{dashboard.service.url}/v2/", auth=(username, password)).status_code


def api_registry(dashboard: Dashboard, name: str) -> httpx.Response:
    with dashboard.api() as api:
        return api.get(f"/registries/{name}")


def test_settings_toggles_take_effect_in_the_api(dashboard: Dashboard) -> None:
    dashboard.service.create_registry("settings-reg")
    dashboard.sign_in()
    page = dashboard.open_registry("settings-reg")
    immutability = page.get_by_label("Tag immutability")
    scan_on_push = page.get_by_label("Scan on push")
    expect(immutability).not_to_be_checked()
    expect(scan_on_push).not_to_be_checked()

    immutability.check()
    scan_on_push.check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_have_text(
        "Settings saved: tag immutability on, scan on push on. They apply to the next push."
    )
    assert api_registry(dashboard, "settings-reg").json()["settings"] == {
        "tag_immutability": True,
        "scan_on_push": True,
        "tag_immutability_exclusions": [],
    }
    expect(page.get_by_label("Tag immutability")).to_be_checked()

    page.get_by_label("Tag immutability").uncheck()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("tag immutability off, scan on push on")
    assert api_registry(dashboard, "settings-reg").json()["settings"] == {
        "tag_immutability": False,
        "scan_on_push": True,
        "tag_immutability_exclusions": [],
    }


def test_resize_grows_storage_and_refusals_are_explained(dashboard: Dashboard) -> None:
    dashboard.service.create_registry("resize-reg")
    dashboard.sign_in()
    page = dashboard.open_registry("resize-reg")
    form = page.locator("#resize-form")
    expect(form).to_contain_text("Storage grows in 10 GB steps (currently 10 GB)")
    expect(form).to_contain_text("can only be increased, never reduced")

    page.get_by_label("New total storage (GB)").fill("30")
    page.get_by_role("button", name="Resize storage").click()
    expect(page.get_by_role("status")).to_have_text("Storage is now 30 GB (was 10 GB).")
    expect(page.locator("#storage")).to_contain_text("used of 30 GB")
    assert api_registry(dashboard, "resize-reg").json()["storage"]["total_gb"] == 30
    expect(page.get_by_label("New total storage (GB)")).to_have_attribute("min", "30")

    # the browser refuses a smaller number (min); the service refuses it too, and says why
    field = page.get_by_label("New total storage (GB)")
    field.evaluate("input => input.removeAttribute('min')")
    field.fill("20")
    with page.expect_response(lambda r: r.url.endswith("/storage")) as answered:
        page.get_by_role("button", name="Resize storage").click()
    assert answered.value.status == 409
    expect(page.locator("#storage-error")).to_have_text(
        "storage can only grow in steps of 10 GB: resize-reg has 30 GB; requested 20 GB"
    )
    # both the resize and the refusal are in the registry's activity, newest first
    activity = page.locator("#activity .activity-item")
    expect(activity.nth(0)).to_contain_text("Storage resized refused")
    expect(activity.nth(0)).to_contain_text("resize-reg has 30 GB; requested 20 GB")
    expect(activity.nth(1)).to_contain_text("Storage resized")
    expect(activity.nth(1)).to_contain_text("from gb: 10; to gb: 30")
    expect(activity.nth(1)).to_contain_text("admin")
    expect(activity.nth(2)).to_contain_text("Registry created")
    field = page.get_by_label("New total storage (GB)")
    field.evaluate("input => { input.removeAttribute('step'); input.removeAttribute('min'); }")
    field.fill("45")
    with page.expect_response(lambda r: r.url.endswith("/storage")) as answered:
        page.get_by_role("button", name="Resize storage").click()
    assert answered.value.status == 400
    expect(page.locator("#storage-error")).to_have_text(
        "storage_gb: must be a multiple of 10 (got 45)"
    )
    assert api_registry(dashboard, "resize-reg").json()["storage"]["total_gb"] == 30


def test_password_change_shows_new_password_once_and_old_one_stops_working(
    dashboard: Dashboard,
) -> None:
    dashboard.service.create_registry("pw-reg", password=PASSWORD)
    assert v2_status(dashboard, "pw-reg", PASSWORD) == 200
    dashboard.sign_in()
    page = dashboard.open_registry("pw-reg")
    expect(page.locator("#password")).to_contain_text("Existing Docker logins stop working")

    with page.expect_response(lambda r: r.url.endswith("/password")) as answered:
        page.get_by_role("button", name="Generate new password").click()
    assert answered.value.headers["cache-control"] == "no-store"
    expect(page.get_by_role("heading", name="New password for pw-reg")).to_be_visible()
    warning = page.get_by_role("alert")
    expect(warning).to_contain_text("it is shown only once")
    expect(warning).to_contain_text("Existing Docker logins stop working")
    expect(warning).to_contain_text("CI/CD pipelines must be updated")
    expect(warning).to_contain_text("Kubernetes imagePullSecrets must be updated")
    expect(page.locator("#new-username")).to_have_text("pw-reg")
    new_password = page.locator("#new-password").inner_text()
    assert len(new_password) >= 12 and new_password != PASSWORD
    dashboard.screenshot("new-password")

    assert v2_status(dashboard, "pw-reg", PASSWORD) == 401
    assert v2_status(dashboard, "pw-reg", new_password) == 200

    # shown once: the detail page never shows it again
    page.get_by_role("link", name="I have stored it").click()
    expect(page.get_by_role("heading", name="pw-reg", exact=True)).to_be_visible()
    assert new_password not in page.content()


def test_repository_delete(dashboard: Dashboard, tmp_path: Path) -> None:
    service = dashboard.service
    registry = service.create_registry("repo-reg", password=PASSWORD)
    push_random_image(service, registry, tmp_path, "keep", "v1", sizes=(20_000,))
    push_random_image(service, registry, tmp_path, "old/app", "v1", sizes=(20_000,))
    with service.api() as api:
        api.patch("/registries/repo-reg/settings", json={"tag_immutability": True})
    dashboard.sign_in()
    page = dashboard.open_registry("repo-reg")

    # refused while tag immutability is on: the control plane's reason is on the page
    page.get_by_role("link", name="Delete repository old/app").click()
    expect(page.get_by_role("heading", name="Delete repository old/app?")).to_be_visible()
    expect(page.locator(".danger-box")).to_contain_text("1 artifact and tag v1")
    with page.expect_response(lambda r: r.request.method == "POST") as answered:
        page.get_by_role("button", name="Delete repository").click()
    assert answered.value.status == 409
    expect(page.get_by_role("alert")).to_contain_text(
        "tag_immutability is on for registry 'repo-reg'; turn tag_immutability off"
    )
    with service.api() as api:
        names = [
            r["name"] for r in api.get("/registries/repo-reg/repositories").json()["repositories"]
        ]
    assert names == ["keep", "old/app"]

    with service.api() as api:
        api.patch("/registries/repo-reg/settings", json={"tag_immutability": False})
    page.get_by_role("button", name="Delete repository").click()
    expect(page.get_by_role("status")).to_have_text("Repository old/app was deleted.")
    expect(page.locator("#repository-table tbody tr")).to_have_count(1)
    with service.api() as api:
        listed = api.get("/registries/repo-reg/repositories").json()["repositories"]
        gone = api.get("/registries/repo-reg/repositories/old/app/artifacts")
    assert [r["name"] for r in listed] == ["keep"]
    assert gone.status_code == 404


def test_delete_registry_requires_the_exact_name(
    dashboard: Dashboard, no_js_dashboard: Dashboard, tmp_path: Path
) -> None:
    service = dashboard.service
    registry = service.create_registry("doomed-reg", password=PASSWORD)
    service.create_registry("other-reg")
    push_random_image(service, registry, tmp_path, "app", "v1", sizes=(10_000,))

    # without scripts: the confirmation page; a wrong name deletes nothing
    no_js_dashboard.sign_in()
    page = no_js_dashboard.page
    page.goto(no_js_dashboard.url("/registries/doomed-reg/delete"))
    box = page.locator(".danger-box")
    expect(box).to_contain_text("This action is irreversible")
    expect(box).to_contain_text("Its only repository: app")
    expect(box).to_contain_text("All vulnerability scan data")
    expect(box).to_contain_text("Authentication credentials (username doomed-reg")
    page.get_by_label("Type doomed-reg to confirm").fill("doomed-re")
    with page.expect_response(lambda r: r.request.method == "POST") as answered:
        page.get_by_role("button", name="Delete this registry").click()
    assert answered.value.status == 400
    expect(page.locator(".field-error")).to_have_text(
        "confirm must be exactly the registry name 'doomed-reg'; nothing was deleted"
    )
    assert api_registry(dashboard, "doomed-reg").status_code == 200
    assert v2_status(dashboard, "doomed-reg", PASSWORD) == 200

    # with scripts: a native dialog whose button waits for the exact name
    dashboard.sign_in()
    page = dashboard.open_registry("doomed-reg")
    page.get_by_role("link", name="Delete registry…").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("All container images and tags")
    dialog.get_by_label("Type doomed-reg to confirm").fill("DOOMED-REG")
    expect(dialog.get_by_role("button", name="Delete this registry")).to_be_disabled()
    dashboard.screenshot("delete-dialog", full_page=False)
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()

    # keyboard only: Enter on the link opens the dialog with the name field focused, Escape
    # closes it
    page.get_by_role("link", name="Delete registry…").first.focus()
    page.keyboard.press("Enter")
    expect(dialog.get_by_label("Type doomed-reg to confirm")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert api_registry(dashboard, "doomed-reg").status_code == 200

    page.get_by_role("link", name="Delete registry…").first.click()
    dialog.get_by_label("Type doomed-reg to confirm").fill("doomed-reg")
    dialog.get_by_role("button", name="Delete this registry").click()
    expect(page).to_have_url(dashboard.url("/registries"))
    expect(page.get_by_role("status")).to_contain_text(
        "Registry doomed-reg and everything in it were deleted permanently."
    )
    expect(page.locator("#registries tbody tr")).to_have_count(1)
    assert api_registry(dashboard, "doomed-reg").status_code == 404
    assert api_registry(dashboard, "other-reg").status_code == 200
    assert v2_status(dashboard, "doomed-reg", PASSWORD) == 401
