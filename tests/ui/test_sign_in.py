"""Signing in with an API token, the session cookie, and signing out."""

from __future__ import annotations

import subprocess

import httpx
from playwright.sync_api import expect

from tests.support.paths import require_tool, search_path
from tests.ui.conftest import Dashboard


def test_sign_in_with_token_then_sign_out(dashboard: Dashboard) -> None:
    page = dashboard.page
    page.goto(dashboard.url("/registries"))
    expect(page).to_have_url(dashboard.url("/login?next=%2Fui%2Fregistries"))

    page.get_by_label("API token").fill("crt_not-a-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("That API token is not valid")
    dashboard.screenshot("sign-in")

    page.get_by_label("API token").fill(dashboard.service.token)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(dashboard.url("/registries"))
    expect(page.get_by_role("status")).to_contain_text("Signed in as admin")

    (cookie,) = [c for c in dashboard.context.cookies() if c["name"] == "cloudraya_ui"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/ui"
    assert dashboard.service.token not in cookie["value"]

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(dashboard.url("/login"))
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto(dashboard.url("/registries"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    # the cookie of the signed-in session is worthless once signed out
    replay = httpx.get(
        dashboard.url("/registries"),
        cookies={"cloudraya_ui": cookie["value"]},
        follow_redirects=False,
    )
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/ui/login")


def test_wrong_token_is_refused_with_401_and_no_session(dashboard: Dashboard) -> None:
    response = dashboard.page.goto(dashboard.url("/login"))
    assert response is not None and response.status == 200
    dashboard.page.get_by_label("API token").fill("   ")
    dashboard.page.get_by_label("API token").press("Enter")
    # an empty token is caught by the browser (required field); a wrong one by the server
    expect(dashboard.page.get_by_role("heading", name="Sign in")).to_be_visible()
    with dashboard.page.expect_response(lambda r: r.request.method == "POST") as posted:
        dashboard.page.get_by_label("API token").fill("wrong")
        dashboard.page.get_by_role("button", name="Sign in").click()
    assert posted.value.status == 401
    dashboard.page.goto(dashboard.url("/registries"))
    expect(dashboard.page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_token_sees_only_its_own_projects_registries(dashboard: Dashboard) -> None:
    service = dashboard.service
    service.create_registry("admin-only-reg")
    created = subprocess.run(
        [
            require_tool("cloudraya-registry"),
            "token",
            "create",
            "--project",
            "team-b",
            "--name",
            "team-b-ci",
            "--data-dir",
            str(service.data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": search_path()},
    )
    assert created.returncode == 0, created.stderr
    other_token = created.stdout.strip()

    page = dashboard.sign_in(other_token)
    expect(page.get_by_role("status")).to_contain_text("Signed in as team-b-ci")
    expect(page.get_by_text("0 registries in project team-b")).to_be_visible()
    expect(page.get_by_role("heading", name="No registries yet")).to_be_visible()
    response = page.goto(dashboard.url("/registries/admin-only-reg"))
    assert response is not None and response.status == 404
    expect(page.get_by_role("alert")).to_have_text("registry 'admin-only-reg' not found")
