"""The LHEO export use case: stream the certifications open to VAE as an LHEO document.

The document is written while it is sent: certifications are read in pages of RNCP-code
order (keyset, no OFFSET), each page's blocks, codes and certifiers in three more queries,
and lxml's incremental writer turns each certification into a ``formation``. Memory holds
one page and one output chunk, whatever the size of the catalog.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.certification.repository import CertificationRepository, SearchFilters
from catalog.certification.rules import CodeScheme
from catalog.http import if_none_match_matches
from catalog.lheo.writer import (
    LheoDocument,
    OfferBlock,
    OfferCertification,
    OfferCertifier,
)

PAGE_SIZE = 200


@dataclass(frozen=True)
class LheoExport:
    """An export ready to answer: its ETag, and either nothing to send or the stream."""

    etag: str
    not_modified: bool
    empty: bool
    chunks: AsyncIterator[bytes] | None


def offer_filters(filters: SearchFilters) -> SearchFilters:
    """Restricts filters to what an offer can be: certifications open to VAE."""
    return replace(filters, vae_eligible=True)


async def _records(
    repository: CertificationRepository, page: list[dict[str, Any]]
) -> list[OfferCertification]:
    codes = [row["rncp_code"] for row in page]
    blocks, classification, certifiers = await repository.list_offer_parts(codes)
    blocks_of: dict[str, list[OfferBlock]] = defaultdict(list)
    for rncp_code, code, title in blocks:
        blocks_of[rncp_code].append(OfferBlock(code, title))
    codes_of: dict[tuple[str, str], list[str]] = defaultdict(list)
    for rncp_code, scheme, code in classification:
        codes_of[(rncp_code, scheme)].append(code)
    certifiers_of: dict[str, list[OfferCertifier]] = defaultdict(list)
    for rncp_code, name, siret, website, active in certifiers:
        certifiers_of[rncp_code].append(OfferCertifier(name, siret, website, active))
    return [
        OfferCertification(
            rncp_code=row["rncp_code"],
            title=row["title"],
            level=row["level"],
            certif_info_id=row["certif_info_id"],
            start_date=row["start_date"],
            end_date=row["end_date"],
            capabilities=row["capabilities"],
            description_urls=tuple(row["description_urls"] or ()),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            formacodes=tuple(codes_of[(row["rncp_code"], CodeScheme.FORMACODE.value)]),
            nsf_codes=tuple(codes_of[(row["rncp_code"], CodeScheme.NSF.value)]),
            rome_codes=tuple(codes_of[(row["rncp_code"], CodeScheme.ROME.value)]),
            blocks=tuple(blocks_of[row["rncp_code"]]),
            certifiers=tuple(certifiers_of[row["rncp_code"]]),
        )
        for row in page
    ]


async def _stream(
    read_sessionmaker: async_sessionmaker[AsyncSession],
    filters: SearchFilters,
    *,
    today: date,
) -> AsyncIterator[bytes]:
    document = LheoDocument(generated_on=today)
    try:
        yield document.open()
        # Its own session: the request's sessions close before a streamed body is sent.
        async with read_sessionmaker() as db:
            repository = CertificationRepository(db)
            after: str | None = None
            while True:
                page = await repository.list_offer_page(
                    filters, after=after, limit=PAGE_SIZE, today=today
                )
                for record in await _records(repository, page) if page else []:
                    if chunk := document.add(record):
                        yield chunk
                if len(page) < PAGE_SIZE:
                    break
                after = page[-1]["rncp_code"]
        yield document.close()
    except BaseException:
        # Past the first bytes an error can only cut the response short: the client then
        # holds a truncated document, which no XML parser accepts.
        document.abort()
        raise


async def export_lheo(
    db: AsyncSession,
    read_sessionmaker: async_sessionmaker[AsyncSession],
    filters: SearchFilters,
    *,
    today: date,
    if_none_match: str | None,
) -> LheoExport:
    """Prepares the LHEO export of the certifications open to VAE that match the filters.

    The ETag follows the catalog revision, the day and the filters: an unchanged catalog
    answers 304 without writing anything; a selection with no offer answers empty.
    """
    filters = offer_filters(filters)
    repository = CertificationRepository(db)
    key = f"{await repository.get_revision()}|{today}|{filters}".encode()
    opaque = f'"lheo-{hashlib.blake2b(key, digest_size=12).hexdigest()}"'
    # Weak: the same content may be written with other bytes (another chunking, lxml).
    etag = f"W/{opaque}"
    if if_none_match is not None and if_none_match_matches(if_none_match, opaque):
        return LheoExport(etag, not_modified=True, empty=False, chunks=None)
    first = await repository.list_offer_page(filters, after=None, limit=1, today=today)
    if not first:
        return LheoExport(etag, not_modified=False, empty=True, chunks=None)
    return LheoExport(
        etag,
        not_modified=False,
        empty=False,
        chunks=_stream(read_sessionmaker, filters, today=today),
    )
