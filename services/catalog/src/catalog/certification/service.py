"""Use cases of the catalog: read certifications, blocks and lineage; write kept certifications."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Hashable, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.certification.cache import (
    DocumentCache,
    Rendered,
    block_key,
    blocks_key,
    certification_key,
    partners_key,
)
from catalog.certification.content import (
    BlockRecord,
    CertifierRecord,
    CodeRecord,
    CorrespondenceRecord,
    FicheRecord,
)
from catalog.certification.repository import (
    CertificationRepository,
    SearchFilters,
    StoredState,
)
from catalog.certification.rules import (
    CodeScheme,
    Kind,
    RetentionPolicy,
    Source,
    is_active_on,
)
from catalog.certification.schemas import (
    Abbreviation,
    BlockRead,
    CertificationRead,
    CertificationSummary,
    CertificationWrite,
    CertifierRef,
    Code,
    Correspondence,
    LineageNode,
    LineageRead,
    Partner,
    Registration,
    Retention,
    RetentionWrite,
    Statistic,
)
from catalog.db import OutboxEvent
from catalog.errors import (
    BlockNotFoundError,
    CertificationAlreadyExistsError,
    CertificationManagedByRncpError,
    CertificationNotFoundError,
    CertificationVersionMismatchError,
    CertifInfoCodeNotFoundError,
    IfMatchRequiredError,
)
from common import (
    InvalidInputError,
    ServiceError,
    add_event,
    add_events,
    decode_cursor,
    encode_cursor,
    utcnow,
)

PARIS = ZoneInfo("Europe/Paris")
EVENT_SOURCE = "/vae/catalog"
MAX_LINEAGE_DEPTH = 20

_BLOCKS = TypeAdapter(list[BlockRead])
_PARTNERS = TypeAdapter(list[Partner])


def today_in_paris() -> date:
    """Returns today's date in France, where registration dates are meant."""
    return datetime.now(PARIS).date()


def _block_read(rncp_code: str, block: Any) -> BlockRead:
    return BlockRead(
        rncp_code=rncp_code,
        code=block.code,
        title=block.title,
        competences=block.competences,
        competences_text=block.competences_text,
        evaluation_modalities=block.evaluation_modalities,
    )


async def _render_certification(
    repository: CertificationRepository, rncp_code: str, as_of: date
) -> bytes | None:
    certification = await repository.get_with_parts(rncp_code)
    if certification is None:
        return None
    links = {link.certifier_id: link.active for link in certification.certifier_links}
    certifiers = await repository.get_certifiers(list(links)) if links else []
    lineage = await repository.list_lineage_links([rncp_code])
    codes: dict[str, list[Code]] = {scheme.value: [] for scheme in CodeScheme}
    for code in sorted(certification.codes, key=lambda c: c.code):
        codes[code.scheme].append(Code(code=code.code, label=code.label))
    c = certification
    document = CertificationRead(
        rncp_code=c.rncp_code,
        title=c.title,
        kind=Kind(c.kind),
        level=c.level,
        abbreviation=Abbreviation(code=c.abbreviation_code, label=c.abbreviation_label)
        if c.abbreviation_code
        else None,
        registration_type=c.registration_type,
        fiche_state=c.fiche_state,
        source=Source(c.source),
        certif_info_id=c.certif_info_id,
        registration=Registration(
            start_date=c.start_date,
            end_date=c.end_date,
            delivery_deadline_date=c.delivery_deadline_date,
            decision_date=c.decision_date,
        ),
        rncp_active=c.rncp_active,
        active=is_active_on(c.start_date, c.end_date, c.rncp_active, as_of),
        as_of=as_of,
        vae_eligible=c.vae_eligible,
        vae_jury_composition=c.vae_jury_composition,
        retention=Retention(
            policy=RetentionPolicy(c.retention_policy),
            years=c.retention_years,
            source=c.retention_policy_source,
        ),
        nsf_codes=codes[CodeScheme.NSF],
        rome_codes=codes[CodeScheme.ROME],
        formacodes=codes[CodeScheme.FORMACODE],
        certifiers=sorted(
            (
                CertifierRef(id=x.id, name=x.name, siret=x.siret, active=links[x.id])
                for x in certifiers
            ),
            key=lambda ref: (not ref.active, ref.name),
        ),
        blocks=[_block_read(c.rncp_code, block) for block in c.blocks],
        activities=c.activities,
        capabilities=c.capabilities,
        sectors=c.sectors,
        job_types=c.job_types,
        description_urls=c.description_urls,
        statistics=[Statistic.model_validate(s) for s in c.statistics],
        partners_count=len(c.partners),
        previous_codes=sorted({p for p, n in lineage if n == rncp_code}),
        next_codes=sorted({n for p, n in lineage if p == rncp_code}),
        version=c.version,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )
    return document.model_dump_json().encode()


async def _cached(
    cache: DocumentCache,
    key: Hashable,
    render: Callable[[], Awaitable[bytes | None]],
    missing: ServiceError,
) -> Rendered:
    """Returns a cached document, or renders, stores and returns it; raises ``missing`` if the
    render finds nothing."""
    if (cached := cache.get(key)) is not None:
        return cached
    generation = cache.generation
    body = await render()
    if body is None:
        raise missing
    rendered = Rendered.of(body)
    cache.put(key, rendered, generation)
    return rendered


def _no_certification(rncp_code: str) -> CertificationNotFoundError:
    return CertificationNotFoundError(
        f"No certification has the code {rncp_code}: check the RNCP number, or search with GET /v1/certifications?q=…"
    )


async def get_certification(
    db: AsyncSession, rncp_code: str, *, as_of: date, cache: DocumentCache
) -> Rendered:
    """Gets the rendered certification as of a date, from the cache when it holds it.

    Raises
    ------
    CertificationNotFoundError
        No certification has this RNCP code.
    """
    return await _cached(
        cache,
        certification_key(rncp_code, as_of),
        lambda: _render_certification(CertificationRepository(db), rncp_code, as_of),
        _no_certification(rncp_code),
    )


async def get_certification_by_certif_info(
    db: AsyncSession, certif_info_id: int, *, as_of: date, cache: DocumentCache
) -> tuple[str, Rendered]:
    """Gets the RNCP code and the rendered certification that carries a Certif Info code.

    Raises
    ------
    CertifInfoCodeNotFoundError
        No certification of the catalog carries this Certif Info code.
    """
    rncp_code = await CertificationRepository(db).find_rncp_code_by_certif_info(
        certif_info_id
    )
    if rncp_code is None:
        raise CertifInfoCodeNotFoundError(
            f"No certification of the catalog carries the Certif Info code {certif_info_id}: "
            "the correspondence may not be imported yet (POST /v1/imports/certif-info), or "
            "the code names a certification outside the RNCP."
        )
    rendered = await get_certification(db, rncp_code, as_of=as_of, cache=cache)
    return rncp_code, rendered


async def list_blocks(
    db: AsyncSession, rncp_code: str, *, cache: DocumentCache
) -> Rendered:
    """Gets the rendered list of a certification's blocks.

    Raises
    ------
    CertificationNotFoundError
        No certification has this RNCP code.
    """

    async def render() -> bytes | None:
        certification = await CertificationRepository(db).get_with_parts(rncp_code)
        if certification is None:
            return None
        return _BLOCKS.dump_json(
            [_block_read(rncp_code, b) for b in certification.blocks]
        )

    return await _cached(
        cache, blocks_key(rncp_code), render, _no_certification(rncp_code)
    )


async def list_partners(
    db: AsyncSession, rncp_code: str, *, cache: DocumentCache
) -> Rendered:
    """Gets the rendered list of a certification's partner organisations.

    Raises
    ------
    CertificationNotFoundError
        No certification has this RNCP code.
    """

    async def render() -> bytes | None:
        partners = await CertificationRepository(db).get_partners(rncp_code)
        if partners is None:
            return None
        return _PARTNERS.dump_json([Partner.model_validate(p) for p in partners])

    return await _cached(
        cache, partners_key(rncp_code), render, _no_certification(rncp_code)
    )


async def get_block(
    db: AsyncSession, block_code: str, *, cache: DocumentCache
) -> Rendered:
    """Gets a rendered block by its code.

    Raises
    ------
    BlockNotFoundError
        No block has this code.
    """

    async def render() -> bytes | None:
        blocks = await CertificationRepository(db).find_blocks(block_code)
        if not blocks:
            return None
        block = min(blocks, key=lambda b: b.rncp_code)
        return _block_read(block.rncp_code, block).model_dump_json().encode()

    missing = BlockNotFoundError(
        f"No block has the code {block_code}: list a certification's blocks with GET /v1/certifications/{{rncp_code}}/blocks."
    )
    return await _cached(cache, block_key(block_code), render, missing)


async def list_certifications(
    db: AsyncSession,
    filters: SearchFilters,
    *,
    sort: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[CertificationSummary], str | None]:
    """Lists certifications matching the filters, one page at a time.

    Raises
    ------
    InvalidCursorError
        The cursor was not made for this query.
    """
    sort = sort or ("relevance" if filters.q else "rncp_code")
    # A cursor is valid only for the ordering and filters it was made for.
    kind = f"{sort}|{filters.q or ''}|{filters.kind}|{filters.level}|{filters.certifier_id}|{filters.nsf}|{filters.rome}|{filters.formacode}|{filters.active}|{filters.vae_eligible}|{filters.as_of}|{filters.certif_info_id}"
    after = decode_cursor(cursor, _digest(kind)) if cursor else None
    today = today_in_paris()
    as_of = filters.as_of or today
    rows = await CertificationRepository(db).search(
        filters, sort=sort, after=after, limit=limit, today=today
    )
    page, more = rows[:limit], len(rows) > limit
    items = [
        CertificationSummary(
            rncp_code=row["rncp_code"],
            title=row["title"],
            kind=Kind(row["kind"]),
            level=row["level"],
            abbreviation_code=row["abbreviation_code"],
            active=is_active_on(
                row["start_date"], row["end_date"], row["rncp_active"], as_of
            ),
            vae_eligible=row["vae_eligible"],
            end_date=row["end_date"],
            certif_info_id=row["certif_info_id"],
        )
        for row in page
    ]
    next_cursor = None
    if more:
        last = page[-1]
        values = (
            [last["sort_key"], last["rncp_code"]]
            if "sort_key" in last
            else [last["rncp_code"]]
        )
        next_cursor = encode_cursor(_digest(kind), values)
    return items, next_cursor


def _digest(kind: str) -> str:
    return hashlib.blake2b(kind.encode(), digest_size=8).hexdigest()


async def get_lineage(db: AsyncSession, rncp_code: str) -> LineageRead:
    """Gets the versions before and after a certification, walking the whole chain.

    Raises
    ------
    CertificationNotFoundError
        No certification has this RNCP code.
    """
    repository = CertificationRepository(db)
    if not await repository.get_summaries([rncp_code]):
        raise CertificationNotFoundError(
            f"No certification has the code {rncp_code}: check the RNCP number."
        )
    predecessors: dict[str, int] = {}
    successors: dict[str, int] = {}
    frontier_back, frontier_forward = {rncp_code}, {rncp_code}
    for depth in range(1, MAX_LINEAGE_DEPTH + 1):
        if not frontier_back and not frontier_forward:
            break
        links = await repository.list_lineage_links(
            sorted(frontier_back | frontier_forward)
        )
        next_back = {
            p
            for p, n in links
            if n in frontier_back and p != rncp_code and p not in predecessors
        }
        next_forward = {
            n
            for p, n in links
            if p in frontier_forward and n != rncp_code and n not in successors
        }
        predecessors.update(dict.fromkeys(next_back, depth))
        successors.update(dict.fromkeys(next_forward, depth))
        frontier_back, frontier_forward = next_back, next_forward
    involved = sorted({rncp_code, *predecessors, *successors})
    summaries = await repository.get_summaries(involved)
    today = today_in_paris()

    def node(code: str, distance: int) -> LineageNode:
        known = summaries.get(code)
        return LineageNode(
            rncp_code=code,
            title=known[0] if known else None,
            active=is_active_on(known[2], known[3], known[1], today) if known else None,
            vae_eligible=known[4] if known else None,
            distance=distance,
        )

    correspondences = await repository.list_correspondences(involved)
    return LineageRead(
        rncp_code=rncp_code,
        predecessors=[
            node(c, d)
            for c, d in sorted(predecessors.items(), key=lambda i: (i[1], i[0]))
        ],
        successors=[
            node(c, d)
            for c, d in sorted(successors.items(), key=lambda i: (i[1], i[0]))
        ],
        correspondences=[
            Correspondence(
                declared_by=x.declared_by,
                source_block_codes=x.source_block_codes,
                destination_rncp_code=x.destination_rncp_code,
                destination_block_codes=x.destination_block_codes,
            )
            for x in correspondences
        ],
    )


def content_from_write(payload: CertificationWrite) -> FicheRecord:
    """Turns an administrator's certification into the record every write path stores."""
    codes = [
        CodeRecord(scheme.value, item.code, item.label)
        for scheme, items in (
            (CodeScheme.NSF, payload.nsf_codes),
            (CodeScheme.ROME, payload.rome_codes),
            (CodeScheme.FORMACODE, payload.formacodes),
        )
        for item in items
    ]
    return FicheRecord(
        rncp_code=payload.rncp_code,
        source_id=None,
        title=payload.title,
        abbreviation_code=payload.abbreviation.code if payload.abbreviation else None,
        abbreviation_label=payload.abbreviation.label if payload.abbreviation else None,
        fiche_state=None,
        level=payload.level,
        registration_type=payload.registration_type,
        rncp_active=payload.end_date is None or payload.end_date >= today_in_paris(),
        vae_eligible=payload.vae_eligible,
        vae_jury_composition=payload.vae_jury_composition,
        start_date=payload.start_date,
        end_date=payload.end_date,
        delivery_deadline_date=payload.delivery_deadline_date,
        decision_date=None,
        activities=payload.activities,
        capabilities=payload.capabilities,
        sectors=None,
        job_types=None,
        description_urls=(),
        statistics=tuple(s.model_dump(exclude_none=True) for s in payload.statistics),
        partners=(),
        certifiers=tuple(
            CertifierRecord(c.name, c.siret, True, None) for c in payload.certifiers
        ),
        codes=tuple(codes),
        blocks=tuple(
            BlockRecord(
                code=b.code
                if not b.code.isdigit()
                else f"{payload.rncp_code}BC{int(b.code):02d}",
                title=b.title,
                competences_text="\n".join(b.competences) or None,
                evaluation_modalities=b.evaluation_modalities,
            )
            for b in payload.blocks
        ),
        previous_codes=tuple(payload.previous_codes),
        next_codes=(),
        correspondences=tuple(
            CorrespondenceRecord(
                source_block_codes=tuple(x.source_block_codes),
                destination_rncp_code=x.destination_rncp_code,
                destination_block_codes=tuple(x.destination_block_codes),
            )
            for x in payload.correspondences
        ),
        kind=payload.kind,
    ).with_hash()


def event_data(record: FicheRecord) -> dict[str, Any]:
    """The public summary an event carries about a certification."""
    return {
        "rncp_code": record.rncp_code,
        "title": record.title,
        "level": record.level,
        "rncp_active": record.rncp_active,
        "vae_eligible": record.vae_eligible,
        "end_date": record.end_date.isoformat() if record.end_date else None,
    }


async def record_change_events(
    db: AsyncSession, records: Sequence[FicheRecord], stored: dict[str, StoredState]
) -> None:
    """Publishes created / updated / deactivated events for changed certifications."""
    events = []
    for record in records:
        before = stored.get(record.rncp_code)
        if before is None:
            change = "created"
        elif before.rncp_active and not record.rncp_active:
            change = "deactivated"
        else:
            change = "updated"
        events.append(
            (
                f"fr.vae.catalog.certification-{change}.v1",
                EVENT_SOURCE,
                record.rncp_code,
                event_data(record),
            )
        )
    await add_events(db, OutboxEvent, events)


async def create_certification(
    db: AsyncSession, payload: CertificationWrite, *, cache: DocumentCache
) -> None:
    """Creates a certification kept by an administrator.

    Raises
    ------
    CertificationAlreadyExistsError
        The RNCP code is already in the catalog.
    """
    record = content_from_write(payload)
    exists = CertificationAlreadyExistsError(
        f"{record.rncp_code} is already in the catalog: update it with PUT /v1/certifications/{record.rncp_code}."
    )
    try:
        async with db.begin():
            repository = CertificationRepository(db)
            if await repository.get_stored_states([record.rncp_code]):
                raise exists
            await repository.store(
                [record], {}, source=Source.MANUAL.value, now=utcnow()
            )
            await record_change_events(db, [record], {})
            await repository.bump_revision()
    except IntegrityError as error:  # a concurrent creation of the same code won
        raise exists from error
    cache.clear()


async def _check_if_match(
    db: AsyncSession, rncp_code: str, if_match: str | None, cache: DocumentCache
) -> StoredState:
    if if_match is None:
        raise IfMatchRequiredError(
            f"Send If-Match with the ETag of GET /v1/certifications/{rncp_code}, so that no concurrent change is lost."
        )
    stored = (await CertificationRepository(db).get_stored_states([rncp_code])).get(
        rncp_code
    )
    if stored is None:
        raise CertificationNotFoundError(
            f"No certification has the code {rncp_code}: check the RNCP number."
        )
    # Compare with the representation the client was given (as of today), rendered afresh.
    body = await _render_certification(
        CertificationRepository(db), rncp_code, today_in_paris()
    )
    current = Rendered.of(body or b"")
    if if_match.strip() != "*" and current.etag not in [
        tag.strip() for tag in if_match.split(",")
    ]:
        raise CertificationVersionMismatchError(
            f"{rncp_code} changed since you read it (its ETag is now {current.etag}): read it again and reapply your change."
        )
    return stored


async def replace_certification(
    db: AsyncSession,
    rncp_code: str,
    payload: CertificationWrite,
    *,
    if_match: str | None,
    cache: DocumentCache,
) -> None:
    """Replaces a certification kept by an administrator.

    Raises
    ------
    CertificationNotFoundError, IfMatchRequiredError, CertificationVersionMismatchError,
    CertificationManagedByRncpError
    """
    if payload.rncp_code != rncp_code:
        raise InvalidInputError(
            f"The body's rncp_code {payload.rncp_code} differs from the path's {rncp_code}."
        )
    record = content_from_write(payload)
    async with db.begin():
        stored = await _check_if_match(db, rncp_code, if_match, cache)
        if stored.source != Source.MANUAL.value:
            raise CertificationManagedByRncpError(
                f"{rncp_code} comes from the RNCP export, which overwrites it on every import; only its retention policy can be changed here."
            )
        await CertificationRepository(db).store(
            [record], {rncp_code: stored}, source=Source.MANUAL.value, now=utcnow()
        )
        await record_change_events(db, [record], {rncp_code: stored})
        await CertificationRepository(db).bump_revision()
    cache.clear()


async def set_retention(
    db: AsyncSession,
    rncp_code: str,
    payload: RetentionWrite,
    *,
    if_match: str | None,
    cache: DocumentCache,
) -> None:
    """Sets the retention policy of a certification's acquired blocks; later imports keep it.

    Raises
    ------
    CertificationNotFoundError, IfMatchRequiredError, CertificationVersionMismatchError
    """
    async with db.begin():
        stored = await _check_if_match(db, rncp_code, if_match, cache)
        repository = CertificationRepository(db)
        if not await repository.set_retention(
            rncp_code,
            policy=payload.policy,
            years=payload.years,
            expected_version=stored.version,
            now=utcnow(),
        ):
            raise CertificationVersionMismatchError(
                f"{rncp_code} changed meanwhile: read it again and retry."
            )
        add_event(
            db,
            OutboxEvent,
            type="fr.vae.catalog.certification-updated.v1",
            source=EVENT_SOURCE,
            subject=rncp_code,
            data={"rncp_code": rncp_code, "retention": payload.model_dump(mode="json")},
        )
        await repository.bump_revision()
    cache.clear()


async def read_revision(db: AsyncSession) -> int:
    """Reads the catalog revision."""
    return await CertificationRepository(db).get_revision()


async def load_kept_certifications(
    db: AsyncSession, payloads: Sequence[CertificationWrite]
) -> tuple[int, int, int]:
    """Creates or refreshes administrator-kept certifications; those from the RNCP export win.

    Returns the counts of (created, updated, unchanged) certifications.
    """
    records = [content_from_write(payload) for payload in payloads]
    async with db.begin():
        repository = CertificationRepository(db)
        stored = await repository.get_stored_states([r.rncp_code for r in records])
        changed = [
            r
            for r in records
            if (s := stored.get(r.rncp_code)) is None
            or (s.source == Source.MANUAL and s.content_hash != r.content_hash)
        ]
        await repository.store(
            changed, stored, source=Source.MANUAL.value, now=utcnow()
        )
        await record_change_events(db, changed, stored)
        if changed:
            await repository.bump_revision()
    created = sum(1 for r in changed if r.rncp_code not in stored)
    return created, len(changed) - created, len(records) - len(changed)
