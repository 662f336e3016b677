"""Malformed RNCP exports against the import, end to end through the gateway: each one is
refused (4xx) or ends in a FAILED job that says what is wrong, the catalog stays as it was,
the catalog process stays healthy and its memory bounded, and the next good import works."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import httpx
import psutil
import pytest
from fuzz_platform import Platform, Seeded, running_platform

from catalog.rncp_import.synthetic import write_synthetic_export

pytestmark = pytest.mark.slow

# Generous: the import streams the file, so a few hundred MiB at most whatever the upload.
RSS_BOUND_BYTES = 1024 * 1024 * 1024
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
MEMBER = "export_fiches_RNCP_V4_1_2026-11-27.xml"


@pytest.fixture(scope="module")
def seeded_platform(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Platform, Seeded]]:
    """The five processes on PostgreSQL, with two certifications already in the catalog."""
    with running_platform(tmp_path_factory.mktemp("malformed")) as running:
        yield running


@pytest.fixture(scope="module")
def good_export(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A small, valid export (three fiches)."""
    path = tmp_path_factory.mktemp("export") / "export.xml"
    write_synthetic_export(path, fiches=3, today=date(2026, 11, 27))
    return path.read_bytes()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _with_doctype(export: bytes, doctype: str, text: str) -> bytes:
    body = export.decode().removeprefix(HEAD.rstrip("\n")).lstrip("\n")
    first_title = body.index("<INTITULE>") + len("<INTITULE>")
    end = body.index("</INTITULE>", first_title)
    return (HEAD + doctype + body[:first_title] + text + body[end:]).encode()


def _huge_text_node(size: int) -> bytes:
    return (
        HEAD
        + "<FICHES><VERSION_FLUX>4.1</VERSION_FLUX><FICHE><NUMERO_FICHE>RNCP1</NUMERO_FICHE><INTITULE>"
        + "a" * size
        + "</INTITULE></FICHE></FICHES>"
    ).encode()


def _laughs() -> str:
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)
    )
    return f"<!DOCTYPE FICHES [{entities}]>"


MALFORMED: dict[str, Callable[[bytes], bytes]] = {
    "truncated XML": lambda good: good[: len(good) // 2],
    "truncated zip": lambda good: _zip({MEMBER: good})[:300],
    "Latin-1 bytes": lambda good: good.decode().encode("latin-1", errors="replace"),
    "UTF-16 bytes": lambda good: good.decode().encode("utf-16"),
    "billion laughs": lambda good: _with_doctype(good, _laughs(), "&a9;"),
    "external entity to a local file": lambda good: _with_doctype(
        good, '<!DOCTYPE FICHES [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "&x;"
    ),
    "20 MB text node": lambda _: _huge_text_node(20_000_000),
    # A 200 MB member deflates to a few hundred KB: the import must not inflate it in memory.
    "zip bomb-ish (200 MB text node deflated)": lambda _: _zip(
        {MEMBER: _huge_text_node(200_000_000)}
    ),
    "binary garbage": lambda _: bytes(range(256)) * 4096,
    "empty zip": lambda _: _zip({}),
    "zip of many members": lambda good: _zip(
        {f"export_{i}.xml": good for i in range(2000)}
    ),
}


def _catalog_state(
    http: httpx.Client, codes: list[str]
) -> tuple[list[str], dict[str, str]]:
    """Every certification code of the catalog, and the ETag of the seeded ones."""
    listed = http.get("/v1/certifications", params={"limit": 100, "active": "true"})
    inactive = http.get("/v1/certifications", params={"limit": 100, "active": "false"})
    assert listed.status_code == inactive.status_code == 200, (
        listed.text,
        inactive.text,
    )
    every = sorted(
        c["rncp_code"] for page in (listed, inactive) for c in page.json()["items"]
    )
    etags = {
        code: http.get(f"/v1/certifications/{code}").headers["etag"] for code in codes
    }
    return every, etags


def _finished(
    http: httpx.Client, location: str, headers: dict[str, str]
) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job: dict[str, Any] = http.get(location, headers=headers).json()
        if job["status"] in ("SUCCEEDED", "FAILED"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"the import did not finish in 120 s: {job}")


def _upload(
    http: httpx.Client, admin: dict[str, str], content: bytes, name: str
) -> httpx.Response:
    media_type = "application/zip" if content[:2] == b"PK" else "application/xml"
    return http.post(
        "/v1/imports",
        content=content,
        params={"file_name": name},
        headers={**admin, "Content-Type": media_type},
    )


def test_malformed_exports_fail_cleanly_and_change_nothing(
    seeded_platform: tuple[Platform, Seeded], good_export: bytes
) -> None:
    platform, seeded = seeded_platform
    admin = platform.admin()
    catalog = psutil.Process(platform.processes["catalog"].process.pid)
    codes = seeded.values["rncp_code"]
    peak_rss = 0
    with httpx.Client(base_url=platform.gateway, timeout=120) as http:
        before = _catalog_state(http, codes)
        for name, make in MALFORMED.items():
            response = _upload(http, admin, make(good_export), "malformed.xml")
            assert response.status_code < 500, (
                name,
                response.status_code,
                response.text,
            )
            if response.status_code == 202:
                job = _finished(http, response.headers["location"], admin)
                assert job["status"] == "FAILED", (name, job)
                assert job["error"] and len(job["error"]) > 20, (name, job)
            else:
                assert 400 <= response.status_code < 500, (name, response.text)
                assert response.json()["detail"], (name, response.text)
            peak_rss = max(peak_rss, catalog.memory_info().rss)
            assert _catalog_state(http, codes) == before, name
            assert http.get("/readyz").status_code == 200, name
        assert peak_rss < RSS_BOUND_BYTES, f"catalog RSS reached {peak_rss:,} bytes"

        # The service is still able to import: the next good export succeeds.
        accepted = _upload(http, admin, good_export, "export.xml")
        assert accepted.status_code == 202, accepted.text
        job = _finished(http, accepted.headers["location"], admin)
        assert job["status"] == "SUCCEEDED", job
        assert job["report"]["created"] == 3, job
        after, etags = _catalog_state(http, codes)
        assert len(after) == len(before[0]) + 3 and etags == before[1]
