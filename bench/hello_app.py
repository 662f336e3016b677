"""The hello-world reference of the catalog benchmark: the framework's floor on this machine.

One ``GET /hello`` that returns a ~300-byte JSON object through FastAPI's ordinary path (a dict
serialised by the framework), served by the same uvicorn command as the catalog::

    .venv/bin/uvicorn --factory hello_app:app --app-dir bench --host 127.0.0.1 --port 8001 --no-access-log

The catalog's figures are stated as ratios to this app measured in the same run, because
absolute requests per second drift from one block of runs to the next on a shared machine.

The gateway benchmark (``gateway_bench.py --upstream hello``) puts it behind the gateway instead
of the catalog, as the hello-world FastAPI upstream of issue 3's reference figures: it answers
the catalog's certification path (``GET /v1/certifications/{rncp_code}``) the same way as
``/hello``, and ``GET /readyz``, which the gateway probes.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

# Roughly the shape and size (≈ 300 bytes) of a small catalog document.
GREETING: dict[str, Any] = {
    "rncp_code": "RNCP00000",
    "title": "Hello, world: the reference of the benchmark",
    "kind": "TITRE_PROFESSIONNEL",
    "level": 5,
    "active": True,
    "vae_eligible": True,
    "registration": {"start_date": "2024-01-01", "end_date": "2029-01-01"},
    "nsf_codes": [
        {"code": "326t", "label": "Programmation, mise en place de logiciels"}
    ],
    "version": 1,
}


def app() -> FastAPI:
    """Factory for ``uvicorn --factory hello_app:app``."""
    application = FastAPI(
        title="hello", docs_url=None, redoc_url=None, openapi_url=None
    )

    @application.get("/hello")
    async def hello() -> dict[str, Any]:
        return GREETING

    @application.get("/v1/certifications/{rncp_code}")
    async def certification(rncp_code: str) -> dict[str, Any]:
        return GREETING

    @application.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    return application
