"""Serves the merged OpenAPI document, Swagger UI and ReDoc from the project's own assets (no CDN)."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, Response

from gateway.docs.merge import MergedOpenApi

# The Swagger UI and ReDoc bundles ship inside the fastapi-offline wheel, so the pages work in
# closed administrative networks.
ASSETS = Path(fastapi_offline.__file__).parent / "static"

router = APIRouter(include_in_schema=False)
static = StaticFiles(directory=ASSETS)


def _policy(page: bytes) -> dict[str, str]:
    """A Content-Security-Policy that lets a page load nothing but the gateway's own.

    ReDoc's side menu always shows Redocly's logo from its CDN; the policy keeps the browser
    from asking for it (the menu hides a logo that fails). Inline scripts are allowed by hash,
    styles inline (both bundles set styles from script), and ReDoc's search runs in a worker
    made from a blob.
    """
    scripts = re.findall(rb"<script>(.*?)</script>", page, flags=re.DOTALL)
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in scripts
    )
    policy = "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {hashes}".strip(),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "worker-src 'self' blob:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "frame-ancestors 'self'",
        ]
    )
    return {"Content-Security-Policy": policy}


SWAGGER_UI = bytes(
    get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="VAE platform API — Swagger UI",
        swagger_js_url="/static/docs/swagger-ui-bundle.js",
        swagger_css_url="/static/docs/swagger-ui.css",
        swagger_favicon_url="/static/docs/favicon.png",
        swagger_ui_parameters={
            "persistAuthorization": True,
            "displayRequestDuration": True,
            # The default asks validator.swagger.io about the document: not in a closed network.
            "validatorUrl": None,
        },
    ).body
)
REDOC = bytes(
    get_redoc_html(
        openapi_url="/openapi.json",
        title="VAE platform API — ReDoc",
        redoc_js_url="/static/docs/redoc.standalone.js",
        redoc_favicon_url="/static/docs/favicon.png",
        with_google_fonts=False,
    ).body
)
SWAGGER_UI_HEADERS = _policy(SWAGGER_UI)
REDOC_HEADERS = _policy(REDOC)


@router.get("/openapi.json")
async def openapi(request: Request) -> Response:
    merged: MergedOpenApi = request.app.state.openapi
    if not merged.document:
        await merged.refresh()
    return Response(merged.document, media_type="application/json")


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return HTMLResponse(SWAGGER_UI, headers=SWAGGER_UI_HEADERS)


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return HTMLResponse(REDOC, headers=REDOC_HEADERS)
