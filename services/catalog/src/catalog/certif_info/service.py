"""The Certif Info import: link certifications to their Certif Info code, all or nothing.

A correspondence file (open data or Onisep's table de passage) is read as it arrives, keeping
only the (Certif Info code, RNCP code) pairs, then applied in one transaction:

- a Certif Info code named with two RNCP codes, or an RNCP code named with two Certif Info
  codes, is a conflict of the file: reported, and neither link is made;
- a link that would replace another one already in the catalog (the certification carries
  another code, or the code is on another certification) is a conflict too, reported and left
  alone, unless ``overwrite`` is asked: then the file wins and the displaced code is removed;
- RNCP codes the catalog does not hold are counted and listed, rows without an RNCP code
  counted, unreadable rows skipped with their line number;
- links the file does not mention are kept (a file may cover part of the catalog only).

Only certifications whose code changes are written: each gets a new version and one
``certification-updated`` event, the catalog revision moves and caches drop. Importing the
same file again changes nothing and publishes nothing.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.certif_info.reader import (
    CertifInfoCsvReader,
    CertifInfoFormatError,
    Correspondence,
    Row,
    SkippedRow,
)
from catalog.certification.cache import DocumentCache
from catalog.certification.repository import CertificationRepository
from catalog.certification.service import EVENT_SOURCE
from catalog.db import OutboxEvent
from catalog.errors import (
    CertifInfoFileInvalidError,
    ImportAlreadyRunningError,
    ImportFileEmptyError,
    ImportFileTooLargeError,
)
from common import add_events, utcnow

MAX_REPORTED = 1000

# Kinds of conflicts (stable values, listed in the report).
SEVERAL_RNCP_CODES = "CERTIF_INFO_CODE_WITH_SEVERAL_RNCP_CODES"
SEVERAL_CERTIF_INFO_CODES = "RNCP_CODE_WITH_SEVERAL_CERTIF_INFO_CODES"
CODE_ON_ANOTHER_CERTIFICATION = "CERTIF_INFO_CODE_ON_ANOTHER_CERTIFICATION"
CERTIFICATION_HAS_ANOTHER_CODE = "CERTIFICATION_HAS_ANOTHER_CERTIF_INFO_CODE"


@dataclass
class CertifInfoReport:
    """What a Certif Info import did."""

    file_format: str | None = None
    encoding: str | None = None
    overwrite: bool = False
    bytes_read: int = 0
    rows_read: int = 0
    linked: int = 0
    unchanged: int = 0
    unlinked: int = 0
    rows_without_rncp_code: int = 0
    unknown_rncp_codes: int = 0
    conflicts: int = 0
    skipped: int = 0
    unknown_rncp_code_rows: list[dict[str, Any]] = field(default_factory=list)
    conflict_details: list[dict[str, Any]] = field(default_factory=list)
    skipped_rows: list[dict[str, Any]] = field(default_factory=list)
    duration_seconds: float = 0.0

    def skip(self, row: SkippedRow) -> None:
        """Counts an unreadable row, keeping the first ones."""
        self.skipped += 1
        if len(self.skipped_rows) < MAX_REPORTED:
            self.skipped_rows.append({"line": row.line, "reason": row.reason})

    def conflict(
        self,
        kind: str,
        *,
        certif_info_ids: list[int],
        rncp_codes: list[str],
        lines: list[int],
        detail: str,
    ) -> None:
        """Counts a conflict, keeping the first ones."""
        self.conflicts += 1
        if len(self.conflict_details) < MAX_REPORTED:
            self.conflict_details.append(
                {
                    "kind": kind,
                    "certif_info_ids": certif_info_ids,
                    "rncp_codes": rncp_codes,
                    "lines": lines,
                    "detail": detail,
                }
            )

    def unknown(self, rncp_code: str, certif_info_id: int, line: int) -> None:
        """Counts an RNCP code that the catalog does not hold."""
        self.unknown_rncp_codes += 1
        if len(self.unknown_rncp_code_rows) < MAX_REPORTED:
            self.unknown_rncp_code_rows.append(
                {"rncp_code": rncp_code, "certif_info_id": certif_info_id, "line": line}
            )

    def as_dict(self) -> dict[str, Any]:
        """The report as the API answers it."""
        return {**self.__dict__, "duration_seconds": round(self.duration_seconds, 3)}


ProgressCallback = Callable[[CertifInfoReport], Awaitable[None]]
IdleCheck = Callable[[], Awaitable[None]]


@dataclass
class _Pairs:
    """What the file says: for each Certif Info code, the RNCP codes it names (first line each)."""

    targets: dict[int, dict[str, int]] = field(default_factory=dict)

    def add(self, row: Correspondence) -> None:
        assert row.rncp_code is not None
        self.targets.setdefault(row.certif_info_id, {}).setdefault(
            row.rncp_code, row.line
        )


def _collect(rows: list[Row], pairs: _Pairs, report: CertifInfoReport) -> None:
    for row in rows:
        if isinstance(row, SkippedRow):
            report.skip(row)
        elif row.rncp_code is None:
            report.rows_without_rncp_code += 1
        else:
            pairs.add(row)


def _unambiguous(pairs: _Pairs, report: CertifInfoReport) -> dict[str, tuple[int, int]]:
    """Keeps the links the file states without ambiguity: RNCP code → (Certif Info code, line)."""
    by_rncp: dict[str, dict[int, int]] = {}
    for code, targets in sorted(pairs.targets.items()):
        if len(targets) > 1:
            rncp_codes = sorted(targets)
            report.conflict(
                SEVERAL_RNCP_CODES,
                certif_info_ids=[code],
                rncp_codes=rncp_codes,
                lines=sorted(targets.values()),
                detail=f"the file links the Certif Info code {code} to {', '.join(rncp_codes)}: none of these links was made",
            )
            continue
        ((rncp_code, line),) = targets.items()
        by_rncp.setdefault(rncp_code, {})[code] = line
    wanted: dict[str, tuple[int, int]] = {}
    for rncp_code, codes in sorted(by_rncp.items()):
        if len(codes) > 1:
            report.conflict(
                SEVERAL_CERTIF_INFO_CODES,
                certif_info_ids=sorted(codes),
                rncp_codes=[rncp_code],
                lines=sorted(codes.values()),
                detail=f"the file links {rncp_code} to the Certif Info codes {', '.join(map(str, sorted(codes)))}: the catalog keeps one code per certification, none was set",
            )
            continue
        ((code, line),) = codes.items()
        wanted[rncp_code] = (code, line)
    return wanted


async def read_correspondence(
    chunks: AsyncIterable[bytes],
    *,
    max_bytes: int | None,
    report: CertifInfoReport,
    on_progress: ProgressCallback | None = None,
) -> dict[str, tuple[int, int]]:
    """Reads a correspondence file as it arrives; returns its unambiguous links.

    Raises
    ------
    ImportFileTooLargeError, ImportFileEmptyError, CertifInfoFileInvalidError
    """
    reader = CertifInfoCsvReader()
    pairs = _Pairs()
    try:
        async for chunk in chunks:
            if max_bytes is not None and reader.bytes_read + len(chunk) > max_bytes:
                raise ImportFileTooLargeError(
                    f"The file is larger than the {max_bytes:,}-byte limit of this server."
                )
            _collect(reader.feed(chunk), pairs, report)
            report.bytes_read, report.rows_read = reader.bytes_read, reader.rows_read
            if on_progress is not None:
                await on_progress(report)
        if reader.bytes_read == 0:
            raise ImportFileEmptyError(
                "The file is empty: send the Certif Info CSV (text/csv) as the body."
            )
        _collect(reader.finish(), pairs, report)
    except CertifInfoFormatError as error:
        raise CertifInfoFileInvalidError(
            f"Not a Certif Info correspondence: {error}. Nothing was changed."
        ) from error
    report.bytes_read, report.rows_read = reader.bytes_read, reader.rows_read
    report.file_format = reader.shape.name if reader.shape else None
    report.encoding = reader.encoding
    return _unambiguous(pairs, report)


def _plan(
    wanted: dict[str, tuple[int, int]],
    current: dict[str, int | None],
    *,
    overwrite: bool,
    report: CertifInfoReport,
) -> tuple[dict[str, int], set[str]]:
    """Decides the writes: the links to set, and the certifications that lose their code."""
    holder = {code: rncp for rncp, code in current.items() if code is not None}
    assign: dict[str, int] = {}
    displaced: set[str] = set()
    for rncp_code, (code, line) in sorted(wanted.items()):
        if rncp_code not in current:
            report.unknown(rncp_code, code, line)
            continue
        have = current[rncp_code]
        if have == code:
            report.unchanged += 1
            continue
        other = holder.get(code)
        if not overwrite and (have is not None or other is not None):
            if have is not None:
                report.conflict(
                    CERTIFICATION_HAS_ANOTHER_CODE,
                    certif_info_ids=[have, code],
                    rncp_codes=[rncp_code],
                    lines=[line],
                    detail=f"{rncp_code} carries the Certif Info code {have} and the file says {code}: kept {have} (import with overwrite to replace it)",
                )
            if other is not None:
                report.conflict(
                    CODE_ON_ANOTHER_CERTIFICATION,
                    certif_info_ids=[code],
                    rncp_codes=[other, rncp_code],
                    lines=[line],
                    detail=f"the Certif Info code {code} is on {other} and the file gives it to {rncp_code}: left on {other} (import with overwrite to move it)",
                )
            continue
        if other is not None:
            displaced.add(other)
        assign[rncp_code] = code
    return assign, displaced


async def _publish(
    repository: CertificationRepository, db: AsyncSession, codes: list[str]
) -> None:
    summaries = await repository.get_event_summaries(codes)
    events = [
        (
            "fr.vae.catalog.certification-updated.v1",
            EVENT_SOURCE,
            row["rncp_code"],
            {
                **row,
                "end_date": row["end_date"].isoformat()
                if isinstance(row["end_date"], date)
                else row["end_date"],
            },
        )
        for row in summaries
    ]
    for start in range(0, len(events), 1000):
        await add_events(db, OutboxEvent, events[start : start + 1000])


async def link_certif_info(
    db: AsyncSession,
    wanted: dict[str, tuple[int, int]],
    *,
    overwrite: bool,
    report: CertifInfoReport,
) -> None:
    """Applies the links of a file in one transaction, reporting what it did.

    Raises
    ------
    ImportAlreadyRunningError
        Another Certif Info import changed the links meanwhile.
    """
    report.overwrite = overwrite
    try:
        async with db.begin():
            repository = CertificationRepository(db)
            await repository.lock_certif_info_links()
            current = await repository.get_certif_info_links()
            assign, displaced = _plan(
                wanted, current, overwrite=overwrite, report=report
            )
            now = utcnow()
            # Codes leave their old certification before they reach the new one: the unique
            # index is checked row by row, so one statement could not move them in any order.
            moved_on = displaced & set(assign)
            if moved_on:
                await repository.set_certif_info_ids(
                    dict.fromkeys(moved_on), now=now, new_version=False
                )
            unlinked = displaced - set(assign)
            if unlinked:
                await repository.set_certif_info_ids(
                    dict.fromkeys(unlinked), now=now, new_version=True
                )
            if assign:
                await repository.set_certif_info_ids(assign, now=now, new_version=True)
            changed = sorted(set(assign) | unlinked)
            if changed:
                await _publish(repository, db, changed)
                await repository.bump_revision()
            report.linked, report.unlinked = len(assign), len(unlinked)
    except IntegrityError as error:
        raise ImportAlreadyRunningError(
            "Another import changed the Certif Info links meanwhile: nothing was changed, run this one again."
        ) from error


async def import_certif_info(
    db: AsyncSession,
    chunks: AsyncIterable[bytes],
    *,
    overwrite: bool = False,
    max_bytes: int | None = None,
    cache: DocumentCache | None = None,
    ensure_idle: IdleCheck | None = None,
    on_progress: ProgressCallback | None = None,
) -> CertifInfoReport:
    """Imports a Certif Info ↔ RNCP correspondence CSV into the catalog, all or nothing.

    Raises
    ------
    ImportFileTooLargeError, ImportFileEmptyError, CertifInfoFileInvalidError
        The file cannot be used; nothing was changed.
    ImportAlreadyRunningError
        An RNCP import is running (``ensure_idle`` says so), or another Certif Info import
        changed the links meanwhile.
    """
    started = time.perf_counter()
    report = CertifInfoReport()
    wanted = await read_correspondence(
        chunks, max_bytes=max_bytes, report=report, on_progress=on_progress
    )
    if ensure_idle is not None:
        await ensure_idle()
    await link_certif_info(db, wanted, overwrite=overwrite, report=report)
    if cache is not None and (report.linked or report.unlinked):
        cache.clear()
    report.duration_seconds = time.perf_counter() - started
    return report
