import os

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run inside one
# unless told that the test process knows what it does.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/bootstrap.sh --services")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    yield page
    context.close()


# The phone and desktop sizes issue #18 asks every public page to be tried at.
MOBILE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1366, "height": 900}, "device_scale_factor": 1}


@pytest.fixture
def mobile(browser):
    """A 390×844 phone (3× pixels), Chinese locale."""
    context = browser.new_context(locale="zh-CN", **MOBILE)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    """A 1366×900 desktop window, Chinese locale."""
    context = browser.new_context(locale="zh-CN", **DESKTOP)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def login_as(live_server):
    """``login_as(page, user)``: the page's browser context gets a session of ``user`` (no login form)."""
    from django.conf import settings
    from django.test import Client

    def login(page, user):
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        session = {"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}
        page.context.add_cookies([session])
        return page

    return login


@pytest.fixture(scope="session")
def axe_violations():
    """``axe_violations(page)``: the serious and critical axe-core violations of the page as it is now, as
    ``[{"id", "impact", "help", "nodes": [target, ...]}]`` (axe.min.js as bundled by axe-playwright-python)."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def violations(page, context=None):
        results = axe.run(page, context=context)
        return [
            {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    return violations


def decode_qr(png):
    """The texts of every QR code a real decoder (ZXing) finds in a PNG (bytes or path)."""
    import io

    import zxingcpp
    from PIL import Image

    image = Image.open(png if isinstance(png, str) else io.BytesIO(png)).convert("L")
    return [code.text for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def pdf_pages_png(content, directory, stem, dpi=150):
    """Rasterise a PDF with pdftoppm (poppler-utils); the paths of its page PNGs, in order."""
    import glob
    import os
    import subprocess

    source = os.path.join(directory, f"{stem}.pdf")
    with open(source, "wb") as handle:
        handle.write(content)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", source, os.path.join(directory, stem)], check=True)
    return sorted(glob.glob(os.path.join(directory, f"{stem}-*.png")))
