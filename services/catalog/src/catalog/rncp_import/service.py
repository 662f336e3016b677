"""The RNCP import: stream an export into the catalog in one transaction, and run it as a job.

One transaction for the whole file: a malformed, truncated or wrong file leaves the catalog
exactly as it was. Memory stays bounded: the parser yields one fiche at a time, and fiches are
written in batches. Parsing runs in a worker thread so the event loop keeps serving requests.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from uuid6 import uuid7

from catalog.certification.cache import DocumentCache
from catalog.certification.content import FicheRecord
from catalog.certification.repository import CertificationRepository
from catalog.certification.rules import Source
from catalog.certification.service import record_change_events
from catalog.errors import ImportAlreadyRunningError, ImportNotFoundError
from catalog.rncp_import.models import ImportJob
from catalog.rncp_import.parser import ExportFormatError, RncpExport, SkippedFiche
from common import is_postgresql, utcnow

logger = structlog.get_logger(__name__)

MAX_REPORTED_SKIPS = 1000
# A running job on PostgreSQL records progress at least this often; older means its process died.
HEARTBEAT = timedelta(seconds=2)
STALE_AFTER = timedelta(minutes=2)


@dataclass
class ImportProgress:
    """How far an import has gone."""

    fiches_read: int = 0
    bytes_read: int = 0
    total_bytes: int = 0


@dataclass
class ImportReport:
    """What an import did, fiche by fiche."""

    version: str | None = None
    fiches_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    skipped_fiches: list[dict[str, str | None]] = field(default_factory=list)
    duration_seconds: float = 0.0

    def skip(self, rncp_code: str | None, reason: str) -> None:
        """Counts a skipped fiche, keeping the first reasons."""
        self.skipped += 1
        if len(self.skipped_fiches) < MAX_REPORTED_SKIPS:
            self.skipped_fiches.append({"rncp_code": rncp_code, "reason": reason})

    def as_dict(self) -> dict[str, Any]:
        """The report as stored on the job."""
        return {
            "version": self.version,
            "fiches_read": self.fiches_read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "skipped_fiches": self.skipped_fiches,
            "duration_seconds": round(self.duration_seconds, 2),
        }


ProgressCallback = Callable[[ImportProgress], Awaitable[None]]


_END = object()


async def _batches(
    export: RncpExport, size: int
) -> AsyncIterator[list[FicheRecord | SkippedFiche]]:
    """Parses the export in one dedicated thread and hands over batches of records.

    libxml2's objects must live and die in the thread that made them (a garbage collection
    elsewhere aborts the process), so the whole parse stays in one thread; the bounded queue
    keeps memory bounded when the database is slower than the parser.
    """
    handover: queue.Queue[object] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                handover.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        batch: list[FicheRecord | SkippedFiche] = []
        try:
            for item in export:
                batch.append(item)
                if len(batch) >= size:
                    if not offer(batch):
                        return
                    batch = []
            if batch and not offer(batch):
                return
            offer(_END)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, which raises it
            offer(error)

    producer = threading.Thread(target=produce, name="rncp-parser", daemon=True)
    producer.start()
    try:
        while True:
            try:
                item = await asyncio.to_thread(handover.get, True, 0.5)
            except queue.Empty:
                if not producer.is_alive():
                    raise RuntimeError(
                        "the RNCP parser thread stopped without a result"
                    ) from None
                continue
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield cast(list[FicheRecord | SkippedFiche], item)
    finally:
        stop.set()
        await asyncio.to_thread(producer.join)


async def _store_batch(
    db: AsyncSession, batch: list[FicheRecord], report: ImportReport
) -> None:
    repository = CertificationRepository(db)
    stored = await repository.get_stored_states([r.rncp_code for r in batch])
    changed = [
        r
        for r in batch
        if (s := stored.get(r.rncp_code)) is None
        or s.content_hash != r.content_hash
        or s.source != Source.RNCP_EXPORT
    ]
    report.unchanged += len(batch) - len(changed)
    report.created += sum(1 for r in changed if r.rncp_code not in stored)
    report.updated += sum(1 for r in changed if r.rncp_code in stored)
    await repository.store(
        changed, stored, source=Source.RNCP_EXPORT.value, now=utcnow()
    )
    await record_change_events(db, changed, stored)


async def import_rncp_export(
    sessionmaker: async_sessionmaker[AsyncSession],
    path: Path,
    *,
    batch_size: int = 500,
    on_progress: ProgressCallback | None = None,
) -> ImportReport:
    """Imports an RNCP export (XML or zip) into the catalog, all or nothing.

    Fiches are upserted by NUMERO_FICHE: new ones are created, changed ones replaced, identical
    ones left alone; fiches that cannot be read are skipped with a reason.

    Raises
    ------
    ExportFormatError
        The file is not a readable RNCP export; nothing was written.
    """
    started = time.perf_counter()
    export = RncpExport(path)
    report = ImportReport()
    progress = ImportProgress(total_bytes=export.total_bytes)
    seen: set[str] = set()
    async with sessionmaker() as db, db.begin():
        async for batch in _batches(export, batch_size):
            records: list[FicheRecord] = []
            for item in batch:
                report.fiches_read += 1
                if isinstance(item, SkippedFiche):
                    report.skip(item.rncp_code, item.reason)
                elif item.rncp_code in seen:
                    report.skip(
                        item.rncp_code,
                        "the same NUMERO_FICHE appears earlier in the file; the first one was kept",
                    )
                else:
                    seen.add(item.rncp_code)
                    records.append(item)
            await _store_batch(db, records, report)
            progress.fiches_read, progress.bytes_read = (
                report.fiches_read,
                export.bytes_read,
            )
            if on_progress is not None:
                await on_progress(progress)
        report.version = export.version
        if report.created or report.updated:
            repository = CertificationRepository(db)
            await repository.bump_revision()
            await repository.refresh_statistics()
    report.duration_seconds = time.perf_counter() - started
    return report


class ImportRunner:
    """Queues import jobs and runs them in the background of this process."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        read_sessionmaker: async_sessionmaker[AsyncSession],
        cache: DocumentCache,
        *,
        batch_size: int,
    ) -> None:
        self._sessionmaker = sessionmaker
        # Reads of jobs must not queue behind a running import's write lock (SQLite).
        self._read_sessionmaker = read_sessionmaker
        self._cache = cache
        self._batch_size = batch_size
        self._tasks: set[asyncio.Task[None]] = set()
        self.live: dict[uuid.UUID, ImportProgress] = {}

    def _is_orphan(self, job: ImportJob, *, postgresql: bool) -> bool:
        # On SQLite one process serves the database: what this process does not run is dead.
        # On PostgreSQL another replica may run it: only a job silent for a while is dead.
        if job.id in self.live:
            return False
        return not postgresql or job.updated_at < utcnow() - STALE_AFTER

    async def recover(self) -> None:
        """Fails the jobs that a dead process left queued or running."""
        async with self._read_sessionmaker() as db:
            postgresql = is_postgresql(db)
            active = (
                await db.scalars(
                    select(ImportJob).where(ImportJob.active_slot.is_not(None))
                )
            ).all()
        if not any(self._is_orphan(job, postgresql=postgresql) for job in active):
            return
        async with self._sessionmaker() as db, db.begin():
            jobs = (
                await db.scalars(
                    select(ImportJob).where(ImportJob.active_slot.is_not(None))
                )
            ).all()
            for job in jobs:
                if not self._is_orphan(job, postgresql=postgresql):
                    continue
                self._finish(
                    job,
                    status="FAILED",
                    error="The import was interrupted (its process stopped); start it again.",
                )

    @staticmethod
    def _finish(
        job: ImportJob,
        *,
        status: str,
        error: str | None = None,
        report: dict[str, Any] | None = None,
    ) -> None:
        now = utcnow()
        job.status, job.error, job.report = status, error, report
        job.active_slot, job.finished_at, job.updated_at = None, now, now

    async def ensure_idle(self) -> None:
        """Checks that no RNCP import is queued or running (its transaction would block others).

        Raises
        ------
        ImportAlreadyRunningError
            An RNCP import is queued or running.
        """
        await self.recover()
        async with self._read_sessionmaker() as db:
            running = await db.scalar(
                select(ImportJob.id).where(ImportJob.active_slot.is_not(None))
            )
        if running is not None:
            raise ImportAlreadyRunningError(
                f"The RNCP import {running} is running: follow it with GET /v1/imports/{running} "
                "and try again when it has finished."
            )

    async def submit(
        self, path: Path, *, size: int, file_name: str | None, requested_by: str | None
    ) -> ImportJob:
        """Queues an import of a file this runner now owns, and starts it.

        Raises
        ------
        ImportAlreadyRunningError
            Another import is queued or running.
        """
        now = utcnow()
        job = ImportJob(
            id=uuid7(),
            status="QUEUED",
            active_slot=1,
            file_name=file_name,
            file_bytes=size,
            bytes_read=0,
            fiches_read=0,
            requested_by=requested_by,
            created_at=now,
            updated_at=now,
        )
        await self.recover()
        async with self._read_sessionmaker() as db:
            running = await db.scalar(
                select(ImportJob.id).where(ImportJob.active_slot.is_not(None))
            )
        if running is not None:
            await asyncio.to_thread(path.unlink, missing_ok=True)
            raise ImportAlreadyRunningError(
                f"The import {running} is queued or running: follow it with GET /v1/imports/{running} "
                "and try again when it has finished."
            )
        try:
            async with self._sessionmaker() as db, db.begin():
                db.add(job)
        except IntegrityError as error:
            await asyncio.to_thread(path.unlink, missing_ok=True)
            raise ImportAlreadyRunningError(
                "Another import is queued or running: follow it with GET /v1/imports and try again when it has finished."
            ) from error
        self.live[job.id] = ImportProgress(total_bytes=job.file_bytes)
        task = asyncio.create_task(self._run(job.id, path), name=f"import-{job.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def _run(self, job_id: uuid.UUID, path: Path) -> None:
        last_beat = time.monotonic()

        async def on_progress(progress: ImportProgress) -> None:
            nonlocal last_beat
            self.live[job_id] = progress
            # On PostgreSQL other replicas can see progress; SQLite's writer lock is the import's.
            if time.monotonic() - last_beat >= HEARTBEAT.total_seconds():
                last_beat = time.monotonic()
                async with self._sessionmaker() as db:
                    if is_postgresql(db):
                        async with db.begin():
                            await db.execute(
                                update(ImportJob)
                                .where(ImportJob.id == job_id)
                                .values(
                                    fiches_read=progress.fiches_read,
                                    bytes_read=progress.bytes_read,
                                    updated_at=utcnow(),
                                )
                            )

        try:
            async with self._sessionmaker() as db, db.begin():
                await db.execute(
                    update(ImportJob)
                    .where(ImportJob.id == job_id)
                    .values(status="RUNNING", started_at=utcnow(), updated_at=utcnow())
                )
            outcome: dict[str, Any]
            try:
                report = await import_rncp_export(
                    self._sessionmaker,
                    path,
                    batch_size=self._batch_size,
                    on_progress=on_progress,
                )
                outcome = {"status": "SUCCEEDED", "report": report.as_dict()}
                logger.info(
                    "rncp_import_succeeded",
                    job_id=str(job_id),
                    **{
                        k: v
                        for k, v in report.as_dict().items()
                        if k != "skipped_fiches"
                    },
                )
            except ExportFormatError as error:
                outcome = {"status": "FAILED", "error": str(error)}
                logger.warning(
                    "rncp_import_rejected", job_id=str(job_id), error=str(error)
                )
            except Exception:
                logger.exception("rncp_import_failed", job_id=str(job_id))
                outcome = {
                    "status": "FAILED",
                    "error": "The import failed unexpectedly and was rolled back; the error is logged.",
                }
            self._cache.clear()
            async with self._sessionmaker() as db, db.begin():
                job = await db.get(ImportJob, job_id)
                if job is not None:
                    progress = self.live.get(job_id, ImportProgress())
                    job.fiches_read, job.bytes_read = (
                        progress.fiches_read,
                        progress.bytes_read,
                    )
                    self._finish(job, **outcome)
        finally:
            self.live.pop(job_id, None)
            await asyncio.to_thread(path.unlink, missing_ok=True)

    async def get(self, job_id: uuid.UUID) -> tuple[ImportJob, ImportProgress | None]:
        """Gets a job, with its live progress when this process runs it.

        Raises
        ------
        ImportNotFoundError
            No import has this id.
        """
        async with self._read_sessionmaker() as db:
            job = await db.get(ImportJob, job_id)
        if job is None:
            raise ImportNotFoundError(
                f"No import has the id {job_id}: list them with GET /v1/imports."
            )
        return job, self.live.get(job_id)

    async def list_recent(self, limit: int) -> list[ImportJob]:
        """Lists the latest jobs, newest first."""
        async with self._read_sessionmaker() as db:
            return list(
                (
                    await db.scalars(
                        select(ImportJob)
                        .order_by(ImportJob.created_at.desc())
                        .limit(limit)
                    )
                ).all()
            )

    async def close(self) -> None:
        """Cancels the running imports (their transactions roll back)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
