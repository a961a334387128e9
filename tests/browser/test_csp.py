"""The Content-Security-Policy does not break the Wagtail admin or the public site: Chromium reports no
policy violation while an editor logs in, opens the dashboard, the page explorer, a page editor (with its
preview panel) and the public home page; and the public page asks no other host for anything."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Browser-csp-pass-123"


@pytest.fixture
def home(transactional_db):
    from casefiles.schemes.loader import schemes_load
    from policypages.demo import ensure_home_page, ensure_scheme_section

    home = ensure_home_page()
    for scheme in schemes_load():
        ensure_scheme_section(home, scheme)
    get_user_model().objects.create_superuser("editor", "editor@example.org", PASSWORD)
    return home


def watch(page, live_server):
    """Collect CSP violations (as the page reports them) and requests to other hosts."""
    seen = {"violations": [], "foreign": []}
    page.on("console", lambda m: "Content Security Policy" in m.text and seen["violations"].append(m.text))
    page.on("request", lambda r: not r.url.startswith((live_server.url, "data:", "blob:")) and seen["foreign"].append(r.url))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return seen


def test_admin_and_public_site_work_under_the_policy(home, live_server, page, artifacts_dir):
    seen = watch(page, live_server)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/")
    assert page.evaluate("() => document.querySelector('meta') !== null")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    # The sidebar is drawn by the admin's JavaScript: if scripts were blocked it would be missing.
    page.wait_for_selector("[data-wagtail-sidebar] a, #wagtail-sidebar a", timeout=15000)

    page.goto(f"{live_server.url}/admin/pages/{home.pk}/")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/admin/pages/{home.pk}/edit/")
    page.wait_for_selector("form#page-edit-form")
    page.wait_for_load_state("networkidle")
    # Open the side panel with the live preview (an iframe of the admin itself).
    page.locator("[data-side-panel-toggle='preview']").first.click()
    page.wait_for_selector("#w-preview-iframe", state="attached", timeout=15000)
    page.wait_for_load_state("networkidle")
    preview = page.frame_locator("#w-preview-iframe")
    assert preview.locator("h1").first.inner_text(timeout=15000)  # the preview rendered inside the admin
    page.screenshot(path=f"{artifacts_dir}/csp-admin-edit.png")

    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.is_visible()

    assert seen["violations"] == []
    assert seen["foreign"] == []


def test_a_violation_would_be_seen(home, live_server, page):
    """The watcher works: a script from another host, injected into a public page, is blocked and reported."""
    seen = watch(page, live_server)
    page.route("https://cdn.example.com/**", lambda route: route.fulfill(status=200, body="window.loaded=1", content_type="text/javascript"))
    page.goto(f"{live_server.url}/")
    page.evaluate("() => { const s = document.createElement('script'); s.src = 'https://cdn.example.com/x.js'; document.head.appendChild(s); }")
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.loaded") is None
    assert any("script-src" in v for v in seen["violations"]), seen
