"""Typed client of the candidacy service, called with the caller's own credentials.

The sessions service forwards the caller's internal token: the candidacy service then applies
its own object-level rules, so a partner registers only its own candidates' candidacies.
"""

from __future__ import annotations

import uuid

import httpx
from pydantic import BaseModel

from common import ServiceClient
from sessions.errors import CandidacyServiceUnavailableError


class CandidacyFacts(BaseModel):
    """What a registration needs to know of a candidacy."""

    id: uuid.UUID
    candidate_id: uuid.UUID
    organisation_id: str
    rncp_code: str
    state: str
    target_block_codes: list[str] | None = None


class CandidateLinkFacts(BaseModel):
    """A person the candidate declared a link with."""

    relation: str
    full_name: str
    organisation: str | None = None
    email: str | None = None
    juror_id: uuid.UUID | None = None


class CandidateFacts(BaseModel):
    """What a convocation and the conflict rules need to know of a candidate."""

    id: uuid.UUID
    given_name: str
    family_name: str
    email: str | None = None
    links: list[CandidateLinkFacts]


class CandidacyClient:
    """Reads candidacies and candidates (503 ``CANDIDACY_SERVICE_UNAVAILABLE`` on any failure)."""

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self._client = ServiceClient(
            http,
            base_url,
            name="candidacy",
            unavailable=CandidacyServiceUnavailableError,
            cache_seconds=1.0,
        )

    async def get_candidacy(
        self, candidacy_id: uuid.UUID, *, authorization: str
    ) -> CandidacyFacts | None:
        """Gets a candidacy the caller may see, or None.

        Raises
        ------
        CandidacyServiceUnavailableError
            The candidacy service did not answer usably.
        """
        return await self._client.get(
            f"/v1/candidacies/{candidacy_id}",
            CandidacyFacts,
            headers={"Authorization": authorization},
        )

    async def get_candidate(
        self, candidate_id: uuid.UUID, *, authorization: str
    ) -> CandidateFacts | None:
        """Gets a candidate the caller may see, with the links they declared, or None.

        Raises
        ------
        CandidacyServiceUnavailableError
            The candidacy service did not answer usably.
        """
        return await self._client.get(
            f"/v1/candidates/{candidate_id}",
            CandidateFacts,
            headers={"Authorization": authorization},
        )
