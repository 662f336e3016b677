"""SQL statements on certifiers."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from catalog.certification.models import CertificationCertifier
from catalog.certifier.models import Certifier
from common import RepositoryBase


class CertifierRepository(RepositoryBase):
    """Reads of certifiers."""

    def _with_counts(self) -> Any:
        count = (
            select(func.count())
            .where(CertificationCertifier.certifier_id == Certifier.id)
            .correlate(Certifier)
            .scalar_subquery()
        )
        return select(Certifier, count.label("certifications_count"))

    async def list_page(
        self, *, q: str | None, after: str | None, limit: int
    ) -> list[tuple[Certifier, int]]:
        """Lists certifiers by name, after a name|id position."""
        statement = self._with_counts()
        if q:
            statement = statement.where(
                Certifier.name.ilike(f"%{q.replace('%', '').replace('_', '')}%")
            )
        if after is not None:
            name, _, key = after.rpartition("|")
            statement = statement.where(
                (Certifier.name > name)
                | ((Certifier.name == name) & (Certifier.id > uuid.UUID(key)))
            )
        rows = await self.db.execute(
            statement.order_by(Certifier.name, Certifier.id).limit(limit + 1)
        )
        return [(row[0], row[1]) for row in rows]

    async def get(self, certifier_id: uuid.UUID) -> tuple[Certifier, int] | None:
        """Gets a certifier with its count of certifications."""
        row = (
            await self.db.execute(
                self._with_counts().where(Certifier.id == certifier_id)
            )
        ).first()
        return (row[0], row[1]) if row else None
