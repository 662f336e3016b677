"""Swagger UI and ReDoc of a real gateway in a real headless Chromium (Debian's package).

Playwright drives Debian's ``/usr/bin/chromium`` and never downloads a browser of its own
(``make browser`` installs the package). Without it these tests skip, except under CI.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
from gateway_processes import GatewayLauncher, RunningGateway
from playwright.async_api import Browser, Page, Route, async_playwright, expect

from common.testing import skip_unless_ci

CHROMIUM = Path("/usr/bin/chromium")
# The machine's network is closed: no QUIC, no background calls home, no component updates.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 20_000
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}

pytestmark = pytest.mark.asyncio
expect.set_options(timeout=TIMEOUT_MS)


@pytest_asyncio.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless; skips where it is not installed, fails under CI."""
    if not CHROMIUM.exists():
        message = (
            f"{CHROMIUM} is missing: install Debian's chromium package (`make browser`)"
        )
        skip_unless_ci(message)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


@pytest_asyncio.fixture(scope="module")
async def gateway(browser: Browser, gateways: GatewayLauncher) -> RunningGateway:
    """One gateway in front of the test catalog for the module."""
    return await gateways.start()


@pytest_asyncio.fixture
async def page(browser: Browser, gateway: RunningGateway) -> AsyncIterator[Page]:
    """A fresh page; afterwards, checks that it asked nothing of any other host and met no
    script error."""
    origin = urlsplit(gateway.url).netloc
    context = await browser.new_context(viewport={"width": 1280, "height": 1600})
    escaped: list[str] = []

    async def only_the_gateway(route: Route) -> None:
        if urlsplit(route.request.url).netloc == origin:
            await route.continue_()
        else:
            escaped.append(route.request.url)
            await route.abort()

    # A request the page's Content-Security-Policy blocks never reaches the network, nor this.
    await context.route("**/*", only_the_gateway)
    opened = await context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on(
        "console",
        lambda message: (
            errors.append(message.text) if message.type == "error" else None
        ),
    )
    yield opened
    await context.close()
    # No CDN, no font service, no validator badge: everything comes from the gateway.
    assert escaped == []
    assert [error for error in errors if not _refused_elsewhere(error, origin)] == []


def _refused_elsewhere(error: str, origin: str) -> bool:
    """Tells whether a console error reports the page's policy refusing another host's file.

    ReDoc's side menu always asks for Redocly's logo from its CDN: the policy blocks it and
    the menu hides it.
    """
    refused = re.search(
        r"'(https?://[^']+)' violates the following Content Security Policy", error
    )
    return refused is not None and urlsplit(refused.group(1)).netloc != origin


async def _documented_operations(gateway: RunningGateway) -> set[tuple[str, str]]:
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        document: dict[str, Any] = (await client.get("/openapi.json")).json()
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }


class TestSwaggerUi:
    async def test_shows_every_services_operations_and_tries_a_catalog_search(
        self, page: Page, gateway: RunningGateway, tmp_path: Path
    ) -> None:
        await page.goto(f"{gateway.url}/docs")
        await expect(page.locator(".opblock").first).to_be_visible()
        shown = await page.eval_on_selector_all(
            ".opblock",
            """blocks => blocks.map(block => [
                block.querySelector('.opblock-summary-method').textContent.trim(),
                block.querySelector('.opblock-summary-path').dataset.path,
            ])""",
        )
        rendered = {(method, path) for method, path in shown}
        assert {
            ("GET", "/v1/certifications"),
            ("GET", "/v1/certifications/{rncp_code}"),
            ("POST", "/v1/clients"),
        } <= rendered
        assert rendered == await _documented_operations(gateway)
        await page.screenshot(path=tmp_path / "swagger-ui-operations.png")

        search = page.locator(".opblock.opblock-get").filter(
            has=page.locator('.opblock-summary-path[data-path="/v1/certifications"]')
        )
        await search.locator(".opblock-summary").first.click()
        await search.get_by_role("button", name="Try it out").click()
        await search.locator('tr[data-param-name="q"] input').fill("soudeur")
        await search.get_by_role("button", name="Execute").click()

        live = search.locator(".live-responses-table tbody")
        await expect(live.locator(".response-col_status").first).to_have_text("200")
        body = live.locator(".response-col_description .microlight").first
        await expect(body).to_contain_text("RNCP38077")
        await expect(search.locator(".request-url")).to_contain_text(
            "/v1/certifications?q=soudeur"
        )
        await live.screenshot(path=tmp_path / "swagger-ui-response.png")


class TestRedoc:
    async def test_renders_the_title_and_the_operations(
        self, page: Page, gateway: RunningGateway, tmp_path: Path
    ) -> None:
        await page.goto(f"{gateway.url}/redoc")
        await expect(page.locator("h1").first).to_contain_text("VAE platform API")
        await expect(page.get_by_text("Search certifications").first).to_be_attached()
        await page.screenshot(path=tmp_path / "redoc.png")
