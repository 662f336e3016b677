"""Serves the merged OpenAPI document, Swagger UI and ReDoc from the project's own assets (no CDN)."""

from __future__ import annotations

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


@router.get("/openapi.json")
async def openapi(request: Request) -> Response:
    merged: MergedOpenApi = request.app.state.openapi
    if not merged.document:
        await merged.refresh()
    return Response(merged.document, media_type="application/json")


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="VAE platform API — Swagger UI",
        swagger_js_url="/static/docs/swagger-ui-bundle.js",
        swagger_css_url="/static/docs/swagger-ui.css",
        swagger_favicon_url="/static/docs/favicon.png",
        swagger_ui_parameters={
            "persistAuthorization": True,
            "displayRequestDuration": True,
        },
    )


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return get_redoc_html(
        openapi_url="/openapi.json",
        title="VAE platform API — ReDoc",
        redoc_js_url="/static/docs/redoc.standalone.js",
        redoc_favicon_url="/static/docs/favicon.png",
        with_google_fonts=False,
    )
