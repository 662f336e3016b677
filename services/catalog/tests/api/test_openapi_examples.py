"""Every operation of the catalog's OpenAPI documents its bodies and answers with examples."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter

from catalog.certif_info.schemas import CertifInfoImportRead
from catalog.certification.schemas import (
    BlockRead,
    CertificationRead,
    CertificationSummary,
    CertificationWrite,
    LineageRead,
    Partner,
    RetentionWrite,
)
from catalog.certifier.schemas import CertifierRead
from catalog.openapi import (
    BLOCK_EXAMPLE,
    CERTIFICATION_EXAMPLE,
    CERTIFIER_EXAMPLE,
    IMPORT_JOB_EXAMPLE,
    LINEAGE_EXAMPLE,
    PARTNERS_EXAMPLE,
    SUMMARY_PAGE_EXAMPLE,
    model_example,
)
from catalog.rncp_import.schemas import ImportJobRead
from common import Page


def has_example(media: dict[str, Any]) -> bool:
    return media.get("example") is not None or bool(media.get("examples"))


@pytest.mark.asyncio
async def test_every_operation_has_examples_summary_and_description(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    missing = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            if not (operation.get("summary") and operation.get("description")):
                missing.append(f"{where}: summary or description")
            body = operation.get("requestBody")
            if body is not None:
                missing += [
                    f"{where}: request body {media}"
                    for media, content in body["content"].items()
                    if not has_example(content)
                ]
            for status, response in operation["responses"].items():
                if not status.startswith("2") or status == "204":
                    continue
                if not response.get("content"):
                    missing.append(f"{where}: {status} has no content")
                missing += [
                    f"{where}: {status} {media}"
                    for media, content in response.get("content", {}).items()
                    if not has_example(content)
                ]
    assert missing == []
    operations = {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
    }
    assert {
        "GET /v1/certifications/lheo",
        "GET /v1/certifications/by-certif-info/{certif_info_id}",
        "POST /v1/imports/certif-info",
    } <= operations
    lheo = schema["paths"]["/v1/certifications/lheo"]["get"]["responses"]
    assert set(lheo["200"]["content"]) == {"application/xml"}


def test_examples_are_valid_representations() -> None:
    CertificationRead.model_validate(CERTIFICATION_EXAMPLE)
    TypeAdapter(Page[CertificationSummary]).validate_python(SUMMARY_PAGE_EXAMPLE)
    BlockRead.model_validate(BLOCK_EXAMPLE)
    TypeAdapter(list[Partner]).validate_python(PARTNERS_EXAMPLE)
    LineageRead.model_validate(LINEAGE_EXAMPLE)
    CertifierRead.model_validate(CERTIFIER_EXAMPLE)
    ImportJobRead.model_validate(IMPORT_JOB_EXAMPLE)
    CertifInfoImportRead.model_validate(model_example(CertifInfoImportRead))
    CertificationWrite.model_validate(model_example(CertificationWrite))
    RetentionWrite.model_validate(model_example(RetentionWrite))
