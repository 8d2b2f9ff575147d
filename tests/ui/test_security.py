"""Forms without the session's CSRF token, error pages, and what the dashboard exposes."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.ui.conftest import Dashboard


def test_forms_without_the_csrf_token_are_refused_and_change_nothing(
    dashboard: Dashboard,
) -> None:
    service = dashboard.service
    service.create_registry("csrf-reg")
    dashboard.sign_in()
    page = dashboard.open_registry("csrf-reg")
    token = page.locator("#settings-form input[name=csrf_token]").input_value()
    assert len(token) >= 32

    # the browser's own session cookie goes along, only the form token is missing or wrong
    request = dashboard.context.request
    base = dashboard.url("/registries/csrf-reg")
    attempts = [
        ("/settings", {"tag_immutability": "on", "scan_on_push": "on"}),
        ("/storage", {"storage_gb": "50"}),
        ("/password", {}),
        ("/delete", {"confirm": "csrf-reg"}),
        ("/settings", {"tag_immutability": "on", "csrf_token": token[:-1] + "x"}),
    ]
    for path, form in attempts:
        response = request.post(base + path, form=form, max_redirects=0)
        assert response.status == 403, (path, response.status)
        assert "security token, so nothing was changed" in response.text()
    with service.api() as api:
        registry = api.get("/registries/csrf-reg").json()
        audit = api.get("/registries/csrf-reg/audit").json()["events"]
    assert registry["settings"] == {
        "tag_immutability": False,
        "scan_on_push": False,
        "tag_immutability_exclusions": [],
    }
    assert registry["storage"]["total_gb"] == 10
    assert [e["action"] for e in audit] == ["registry.create"]

    # with the token the same form works (the refusal was about the token only)
    ok = request.post(
        base + "/settings", form={"tag_immutability": "on", "csrf_token": token}, max_redirects=0
    )
    assert ok.status == 303
    with service.api() as api:
        assert api.get("/registries/csrf-reg/settings").json()["tag_immutability"] is True

    # a signed-out browser cannot post either: the sign-in form has its own token
    anonymous = httpx.post(dashboard.url("/login"), data={"token": service.token})
    assert anonymous.status_code == 403


def test_error_pages_say_what_went_wrong_without_internals(dashboard: Dashboard) -> None:
    dashboard.sign_in()
    page = dashboard.page
    response = page.goto(dashboard.url("/registries/no-such-registry"))
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("registry 'no-such-registry' not found")
    assert "Traceback" not in page.content()

    response = page.goto(dashboard.url("/registries/no-such-registry/repositories/x/-/delete"))
    assert response is not None and response.status == 404
    expect(page.get_by_role("alert")).to_have_text("registry 'no-such-registry' not found")

    dashboard.service.create_registry("err-reg")
    response = page.goto(dashboard.url("/registries/err-reg/repositories/missing/app"))
    assert response is not None and response.status == 404
    expect(page.get_by_role("alert")).to_have_text(
        "repository 'missing/app' not found in registry 'err-reg'"
    )

    response = page.goto(dashboard.url("/nowhere"))
    assert response is not None and response.status == 404
    expect(page.get_by_role("alert")).to_have_text("There is no dashboard page at /ui/nowhere.")
    assert response.headers["content-type"].startswith("text/html")


def test_dashboard_is_outside_the_api_document_and_redirects_stay_inside(
    dashboard: Dashboard,
) -> None:
    service = dashboard.service
    openapi = httpx.get(f"{service.url}/api/v1/openapi.json").json()
    assert not [path for path in openapi["paths"] if path.startswith("/ui")]
    page_response = httpx.get(dashboard.url("/login"))
    policy = page_response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert page_response.headers["cache-control"] == "no-store"
    css = httpx.get(dashboard.url("/static/app.css"))
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")

    # ?next= never leads off the dashboard
    page = dashboard.page
    page.goto(dashboard.url("/login?next=//evil.example/ui/"))
    page.get_by_label("API token").fill(service.token)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(dashboard.url("/registries")) + "$"))
