"""The client partners generate from the gateway's OpenAPI document just works: generated with
no warning, every operation documented, and the whole VAE journey (test_vae_journey.py) driven
through its typed functions and models only."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from e2e_platform import Platform
from generated_client import (
    ROOT,
    GeneratedClient,
    documentation_gaps,
    generate_client,
    operations,
)

from common.testing import ServiceProcess, free_port

pytestmark = pytest.mark.slow

PARIS = ZoneInfo("Europe/Paris")
TODAY = date.today()
TP = "RNCP970001"
OTHER = "RNCP970002"
END_DATE = TODAY + timedelta(days=3 * 365)
ADMISSIBILITY_DECIDED = "fr.vae.candidacy.admissibility-decided.v1"
DELIVERY_SECONDS = 30  # the outbox relay and the webhooks worker poll every 0.2 s here
# Generating the client of the whole platform takes a few seconds; much more means trouble.
GENERATION_BUDGET_SECONDS = 30


def _at(days: int, hour: int) -> datetime:
    return datetime.combine(
        TODAY + timedelta(days=days), clock_time(hour), tzinfo=PARIS
    )


@pytest_asyncio.fixture(scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Platform]:
    """Every process, started on fresh PostgreSQL databases, for this module's tests."""
    running = Platform(tmp_path_factory.mktemp("platform"))
    await running.create_databases()
    try:
        await running.start_all()
        yield running
    finally:
        running.stop()
        await running.drop_databases()


@pytest_asyncio.fixture(scope="module")
async def document(platform: Platform) -> dict[str, Any]:
    """The gateway's merged OpenAPI document, as partners download it."""
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.get(f"{platform.gateway}/openapi.json")
    assert response.status_code == 200, response.text
    merged: dict[str, Any] = response.json()
    return merged


@pytest.fixture(scope="module")
def generated(
    document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GeneratedClient]:
    """The Python client openapi-python-client makes of it, imported."""
    client = generate_client(document, tmp_path_factory.mktemp("client"))
    try:
        yield client
    finally:
        client.unload()


def _operation_ids(document: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {
        (method.upper(), path): operation.get("operationId", "?")
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    }


class TestGeneration:
    def test_generates_every_operation_without_a_warning(
        self, generated: GeneratedClient, document: dict[str, Any]
    ) -> None:
        # openapi-python-client skips what it cannot type (an endpoint, a response, a schema)
        # with a warning: each is a hole in the client partners get.
        ids = _operation_ids(document)
        readable = []
        for warning in generated.warnings:
            for (method, path), operation_id in ids.items():
                if f" {method} {path} " in f"{warning} ":
                    warning = f"[{operation_id}] {warning}"
                    break
            readable.append(warning)
        assert not readable, (
            f"openapi-python-client skipped parts of /openapi.json ({len(readable)}):\n- "
            + "\n- ".join(readable)
        )
        assert generated.seconds < GENERATION_BUDGET_SECONDS, generated.seconds

    def test_documents_every_operation(self, document: dict[str, Any]) -> None:
        found = list(operations(document))
        assert len(found) > 50  # every service's document was merged
        gaps = {
            name: missing
            for name, operation in found
            if (missing := documentation_gaps(document, operation))
        }
        assert not gaps, (
            f"{len(gaps)} of {len(found)} operations lack what API.md asks:\n"
            + "\n".join(
                f"- {name}: {', '.join(missing)}" for name, missing in gaps.items()
            )
        )


def _clients(generated: GeneratedClient, gateway: str) -> tuple[Any, Any]:
    """Makers of an anonymous and an authenticated client; an undocumented status raises."""

    def anonymous() -> Any:
        return generated.package.Client(
            base_url=gateway,
            timeout=httpx.Timeout(15.0),
            raise_on_unexpected_status=True,
        )

    def authenticated(key: str) -> Any:
        return generated.package.AuthenticatedClient(
            base_url=gateway,
            token=key,
            timeout=httpx.Timeout(15.0),
            raise_on_unexpected_status=True,
        )

    return anonymous, authenticated


def ok(response: Any, model: type, status: int = 200) -> Any:
    """The parsed answer of a call that must have this status and model."""
    assert response.status_code == status, (
        f"{response.status_code} instead of {status}: {response.content[:1000]!r}"
    )
    assert isinstance(response.parsed, model), (
        f"{type(response.parsed).__name__} instead of {model.__name__}"
    )
    return response.parsed


def problem(response: Any, m: Any, status: int) -> Any:
    """The problem details of a call that must fail with this status."""
    assert response.status_code == status, (
        f"{response.status_code} instead of {status}: {response.content[:1000]!r}"
    )
    assert response.headers["content-type"].startswith("application/problem+json")
    assert isinstance(response.parsed, m.Problem), response.content
    return response.parsed


@pytest.mark.asyncio
async def test_the_whole_journey_through_the_generated_client(
    platform: Platform, generated: GeneratedClient
) -> None:
    # As a partner's code reads: api.<tag>.<operation>.asyncio_detailed(…), models.<Schema>.
    api: Any = generated.api
    m: Any = generated.models
    anonymous, authenticated = _clients(generated, platform.gateway)
    async with AsyncExitStack() as stack:

        async def enter(client: Any) -> Any:
            return await stack.enter_async_context(client)

        admin = await enter(authenticated(platform.admin_key))
        public = await enter(anonymous())
        keys: dict[str, str] = {}

        async def client_for(role: Any, organisation_id: str, name: str) -> Any:
            created = ok(
                await api.api_clients.api_clients_create_api_client.asyncio_detailed(
                    client=admin,
                    body=m.ApiClientCreate(
                        name=f"e2e {name}", role=role, organisation_id=organisation_id
                    ),
                ),
                m.ApiClientWithKey,
                201,
            )
            keys[name] = created.api_key
            return await enter(authenticated(created.api_key))

        for code, certifier_name in (
            (TP, "MINISTERE DU TRAVAIL (E2E GEN)"),
            (OTHER, "BRANCHE (E2E GEN)"),
        ):
            ok(
                await api.certifications.certifications_create_certification.asyncio_detailed(
                    client=admin,
                    body=m.CertificationWrite(
                        rncp_code=code,
                        title=f"Titre professionnel Soudeur assembleur industriel {code}",
                        kind=m.Kind.TITRE_PROFESSIONNEL,
                        level=3,
                        start_date=TODAY - timedelta(days=300),
                        end_date=END_DATE,
                        certifiers=[m.CertifierWrite(name=certifier_name)],
                        blocks=[
                            m.BlockWrite(code=f"{code}BC0{i}", title=f"Bloc {i}")
                            for i in (1, 2, 3)
                        ],
                    ),
                ),
                m.CertificationRead,
                201,
            )

        async def certifier_of(code: str) -> str:
            read = ok(
                await api.certifications.certifications_get_certification.asyncio_detailed(
                    code, client=public
                ),
                m.CertificationRead,
            )
            return str(read.certifiers[0].id)

        centre_a, centre_b = uuid.uuid4(), uuid.uuid4()
        partner_a = await client_for(m.Role.PARTNER, "partner-a", "partner-a")
        partner_b = await client_for(m.Role.PARTNER, "partner-b", "partner-b")
        certifier = await client_for(
            m.Role.CERTIFIER, await certifier_of(TP), "certifier"
        )
        other_certifier = await client_for(
            m.Role.CERTIFIER, await certifier_of(OTHER), "other-certifier"
        )
        centre = await client_for(m.Role.EXAM_CENTRE, str(centre_a), "centre")
        other_centre = await client_for(
            m.Role.EXAM_CENTRE, str(centre_b), "other-centre"
        )

        # 1. A partner finds the certification (public search, no key) and files a candidacy.
        found = ok(
            await api.certifications.certifications_list_certifications.asyncio_detailed(
                client=public, q="soudeur assembleur"
            ),
            m.PageCertificationSummary,
        )
        assert TP in [c.rncp_code for c in found.items]
        candidate = ok(
            await api.candidates.candidates_create_candidate.asyncio_detailed(
                client=partner_a,
                body=m.CandidateCreate(
                    given_name="Lina",
                    family_name="Morel",
                    department="69",
                    experiences=[
                        m.ExperienceCreate(
                            nature=m.ExperienceNature.SALARIED,
                            title="Soudeuse",
                            start_date=date(2014, 1, 1),
                        )
                    ],
                    links=[
                        m.LinkCreate(
                            relation=m.LinkRelation.TRAINER, full_name="Éric Lévêque"
                        )
                    ],
                ),
            ),
            m.CandidateRead,
            201,
        )
        candidacy = ok(
            await api.candidacies.candidacies_create_candidacy.asyncio_detailed(
                client=partner_a,
                body=m.CandidacyCreate(candidate_id=candidate.id, rncp_code=TP),
            ),
            m.CandidacyRead,
            201,
        )
        submitted = await api.candidacies.candidacies_submit_candidacy.asyncio_detailed(
            candidacy.id, client=partner_a
        )
        ok(submitted, m.CandidacyRead)

        # The partner subscribes its endpoint, the guide's receiver, to admissibility decisions.
        port = free_port()
        subscribe = api.webhook_subscriptions.webhook_subscriptions_create_subscription
        subscription = ok(
            await subscribe.asyncio_detailed(
                client=partner_a,
                body=m.SubscriptionCreate(
                    url=f"http://127.0.0.1:{port}/vae/webhooks",
                    event_types=[ADMISSIBILITY_DECIDED],
                ),
            ),
            m.SubscriptionWithSecret,
            201,
        )
        receiver = _start_receiver(port, subscription.secret)
        stack.callback(receiver.stop)

        # 2. Only its certifier decides, with the ETag.
        decide = api.candidacies.candidacies_decide_admissibility
        decision = m.AdmissibilityDecisionCreate(decision=m.Decision.ADMISSIBLE)
        problem(
            await decide.asyncio_detailed(
                candidacy.id,
                client=other_certifier,
                body=decision,
                if_match=submitted.headers["etag"],
            ),
            m,
            404,
        )
        decided = ok(
            await decide.asyncio_detailed(
                candidacy.id,
                client=certifier,
                body=decision,
                if_match=submitted.headers["etag"],
            ),
            m.CandidacyRead,
        )
        assert decided.state == "ADMISSIBLE"

        # The decision reaches the partner's endpoint, signed: the receiver verified it.
        await _wait_for_delivery(receiver, f"{ADMISSIBILITY_DECIDED} {candidacy.id}")

        # The guide's example lists the partner's ADMISSIBLE candidacies, as it is shown.
        listed = await asyncio.to_thread(
            _run_client_example, generated.folder, platform.gateway, keys["partner-a"]
        )
        assert listed == [f"{candidacy.id} {TP} {[f'{TP}BC0{i}' for i in (1, 2, 3)]}"]

        # 3. The administrator registers the centres, approvals, jurors and habilitations.
        for centre_id in (centre_a, centre_b):
            ok(
                await api.exam_centres.exam_centres_create_centre.asyncio_detailed(
                    client=admin,
                    body=m.ExamCentreCreate(
                        id=centre_id,
                        name=f"Centre {str(centre_id)[:4]}",
                        siret=f"{uuid.uuid4().int % 10**14:014d}",
                        region="84",
                        department="69",
                        sites=[
                            m.SiteCreate(
                                name="Atelier",
                                address="1 rue",
                                postal_code="69007",
                                city="Lyon",
                                department="69",
                            )
                        ],
                    ),
                ),
                m.ExamCentreRead,
                201,
            )
        site = (
            ok(
                await api.exam_centres.exam_centres_get_centre.asyncio_detailed(
                    centre_a, client=centre
                ),
                m.ExamCentreRead,
            )
            .sites[0]
            .id
        )
        ok(
            await api.exam_centres.exam_centres_add_approval.asyncio_detailed(
                centre_a,
                client=admin,
                body=m.ApprovalCreate(
                    site_id=site,
                    rncp_code=TP,
                    start_date=TODAY - timedelta(days=30),
                    end_date=TODAY + timedelta(days=700),
                    authority="DREETS",
                ),
            ),
            m.ApprovalRead,
            201,
        )
        jurors = []
        for given, family in (
            ("Nadia", "Roux"),
            ("Éric", "Lévêque"),
            ("Omar", "Diallo"),
        ):
            juror = ok(
                await api.jurors.jurors_create_juror.asyncio_detailed(
                    client=centre,
                    body=m.JurorCreate(
                        given_name=given,
                        family_name=family,
                        profile=m.Profile.PROFESSIONAL,
                        trade="Soudure",
                        years_in_trade=9,
                    ),
                ),
                m.JurorRead,
                201,
            )
            ok(
                await api.jurors.jurors_grant_habilitation.asyncio_detailed(
                    juror.id,
                    client=admin,
                    body=m.HabilitationCreate(
                        rncp_code=TP,
                        granted_on=TODAY - timedelta(days=100),
                        authority="DDETS du Rhône",
                    ),
                ),
                m.HabilitationRead,
                201,
            )
            jurors.append(juror.id)

        # 4. The centre plans the session; the candidate's trainer may not sit on its jury.
        # The sessions process starts 70 days back in time, and comes back for the report.
        await platform.restart("sessions", timedelta(days=-70))
        session = ok(
            await api.exam_sessions.exam_sessions_create_session.asyncio_detailed(
                client=centre,
                body=m.ExamSessionCreate(
                    centre_id=centre_a,
                    site_id=site,
                    rncp_code=TP,
                    kind=m.SessionKind.TITLE,
                    starts_at=_at(-10, 8),
                    ends_at=_at(-10, 18),
                    test_hours=8,
                    capacity=6,
                    manager=m.PersonWrite(full_name="Julien Bertrand"),
                ),
            ),
            m.ExamSessionRead,
            201,
        )
        problem(  # a draft is private
            await api.exam_sessions.exam_sessions_get_session.asyncio_detailed(
                session.id, client=partner_a
            ),
            m,
            404,
        )

        def jury(*members: uuid.UUID) -> Any:
            return m.JuryWrite(members=[m.JurySeatWrite(juror_id=j) for j in members])

        set_jury = api.exam_sessions.exam_sessions_set_jury
        ok(
            await set_jury.asyncio_detailed(
                session.id, client=centre, body=jury(*jurors[:2])
            ),
            m.ExamSessionRead,
        )
        scheduled = ok(
            await api.exam_sessions.exam_sessions_schedule_session.asyncio_detailed(
                session.id, client=centre
            ),
            m.ExamSessionRead,
        )
        assert scheduled.state == "SCHEDULED"
        register = api.registrations.registrations_register
        registration_body = m.RegistrationCreate(candidacy_id=candidacy.id)
        conflict = problem(
            await register.asyncio_detailed(
                session.id, client=partner_a, body=registration_body
            ),
            m,
            409,
        )
        assert conflict.code == "JUROR_CONFLICT_OF_INTEREST"
        assert conflict.additional_properties["rule"] == "TRAINER"
        ok(
            await set_jury.asyncio_detailed(
                session.id, client=centre, body=jury(jurors[0], jurors[2])
            ),
            m.ExamSessionRead,
        )
        registration = ok(
            await register.asyncio_detailed(
                session.id, client=partner_a, body=registration_body
            ),
            m.RegistrationRead,
            201,
        )
        stranger = problem(
            await register.asyncio_detailed(
                session.id, client=partner_b, body=registration_body
            ),
            m,
            404,
        )
        assert stranger.code == "CANDIDACY_NOT_FOUND"
        ok(
            await api.exam_sessions.exam_sessions_send_convocations.asyncio_detailed(
                session.id, client=centre
            ),
            m.ExamSessionRead,
        )

        # 5. After the session, the report.
        await platform.restart("sessions", timedelta(0))
        ok(
            await api.exam_sessions.exam_sessions_mark_held.asyncio_detailed(
                session.id, client=centre
            ),
            m.ExamSessionRead,
        )
        current = await api.exam_sessions.exam_sessions_get_session.asyncio_detailed(
            session.id, client=centre
        )
        ok(current, m.ExamSessionRead)
        # from_dict, not the enums' classes: their names depend on how the merge tells apart
        # the services' enums of the same name (Attendance, BlockResult).
        report = m.ReportWrite.from_dict(
            {
                "lines": [
                    {
                        "registration_id": str(registration.id),
                        "attendance": "PRESENT",
                        "blocks": [
                            {"block_code": f"{TP}BC01", "result": "VALIDATED"},
                            {"block_code": f"{TP}BC02", "result": "VALIDATED"},
                            {"block_code": f"{TP}BC03", "result": "NOT_VALIDATED"},
                        ],
                    }
                ]
            }
        )
        sign = api.reports.reports_sign_report
        problem(
            await sign.asyncio_detailed(
                session.id,
                client=other_centre,
                body=report,
                if_match=current.headers["etag"],
            ),
            m,
            403,
        )
        ok(
            await sign.asyncio_detailed(
                session.id,
                client=centre,
                body=report,
                if_match=current.headers["etag"],
            ),
            m.ReportRead,
            201,
        )

        # 6. The candidacy records the outcome and the ledger the blocks, with their expiry.
        get_candidacy = api.candidacies.candidacies_get_candidacy
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            read = ok(
                await get_candidacy.asyncio_detailed(candidacy.id, client=partner_a),
                m.CandidacyRead,
            )
            if read.state != "ADMISSIBLE":
                break
            await asyncio.sleep(0.3)
        assert (read.state, read.jury_result) == (
            "PARTIALLY_CERTIFIED",
            "PARTIAL_SUCCESS_OF_FULL_CERTIFICATION",
        )
        ledger = ok(
            await api.acquired_blocks.acquired_blocks_get_ledger.asyncio_detailed(
                candidate.id, client=partner_a
            ),
            m.LedgerRead,
        )
        assert {(b.block_code, b.expires_on) for b in ledger.blocks} == {
            (f"{TP}BC01", END_DATE + timedelta(days=1)),
            (f"{TP}BC02", END_DATE + timedelta(days=1)),
        }
        assert ledger.certifications[0].remaining_block_codes == [f"{TP}BC03"]

        # 7. A later candidacy aims only at the missing block.
        later = ok(
            await api.candidacies.candidacies_create_candidacy.asyncio_detailed(
                client=partner_a,
                body=m.CandidacyCreate(candidate_id=candidate.id, rncp_code=TP),
            ),
            m.CandidacyRead,
            201,
        )
        again = ok(
            await api.candidacies.candidacies_submit_candidacy.asyncio_detailed(
                later.id, client=partner_a
            ),
            m.CandidacyRead,
        )
        assert again.target_block_codes == [f"{TP}BC03"]
        assert again.snapshot.already_acquired_block_codes == [
            f"{TP}BC01",
            f"{TP}BC02",
        ]

        # Lists go page by page with the cursor.
        first = ok(
            await api.candidacies.candidacies_list_candidacies.asyncio_detailed(
                client=partner_a, limit=1
            ),
            m.PageCandidacyRead,
        )
        following = ok(
            await api.candidacies.candidacies_list_candidacies.asyncio_detailed(
                client=partner_a, limit=1, cursor=first.next_cursor
            ),
            m.PageCandidacyRead,
        )
        assert [c.id for c in first.items + following.items] == [
            candidacy.id,
            later.id,
        ]
        assert following.next_cursor is None

        # 8. Each role tries what it may not.
        session_draft = m.ExamSessionCreate(
            centre_id=centre_a,
            site_id=site,
            rncp_code=TP,
            kind=m.SessionKind.TITLE,
            starts_at=_at(60, 8),
            ends_at=_at(60, 18),
            test_hours=8,
            capacity=6,
            manager=m.PersonWrite(full_name="Julien Bertrand"),
        )
        candidates = api.candidates
        for status, answer in [
            (
                404,
                await candidates.candidates_get_candidate.asyncio_detailed(
                    candidate.id, client=partner_b
                ),
            ),
            (
                404,
                await get_candidacy.asyncio_detailed(
                    candidacy.id, client=other_certifier
                ),
            ),
            (
                404,
                await api.acquired_blocks.acquired_blocks_get_ledger.asyncio_detailed(
                    candidate.id, client=other_certifier
                ),
            ),
            (401, await get_candidacy.asyncio_detailed(candidacy.id, client=public)),
            (
                403,
                await candidates.candidates_create_candidate.asyncio_detailed(
                    client=centre,
                    body=m.CandidateCreate(
                        given_name="X", family_name="Y", department="69"
                    ),
                ),
            ),
            (
                403,
                await api.exam_sessions.exam_sessions_create_session.asyncio_detailed(
                    client=partner_a, body=session_draft
                ),
            ),
            (
                404,
                await api.registrations.registrations_candidate_convocation.asyncio_detailed(
                    session.id, registration.id, client=partner_b
                ),
            ),
            (
                401,
                await api.exam_centres.exam_centres_list_approvals.asyncio_detailed(
                    centre_a, client=public
                ),
            ),
            (
                403,
                await api.imports.imports_create_import.asyncio_detailed(
                    client=centre,
                    # bytes: the async httpx client refuses a file object as content.
                    body=generated.package.types.File(payload=b"<FICHES/>"),
                ),
            ),
            (
                403,
                await api.candidacies.candidacies_revoke_decision.asyncio_detailed(
                    candidacy.id,
                    client=certifier,
                    body=m.ReasonCreate(reason="Erreur matérielle"),
                ),
            ),
        ]:
            problem(answer, m, status)
        mine = ok(
            await api.registrations.registrations_list_registrations.asyncio_detailed(
                session.id, client=partner_b
            ),
            list,
        )
        assert mine == []
        theirs = ok(
            await api.exam_sessions.exam_sessions_get_session.asyncio_detailed(
                session.id, client=other_centre
            ),
            m.ExamSessionRead,
        )
        assert theirs.jury is None and theirs.manager is None


@pytest.mark.asyncio
async def test_a_list_links_to_its_next_page_on_the_gateway(
    platform: Platform, generated: GeneratedClient
) -> None:
    # Partners follow `Link: <…>; rel="next"` (docs/partners.md): it must lead back to the
    # gateway, the only host they can reach, never to the service behind it.
    api: Any = generated.api
    m: Any = generated.models
    anonymous, authenticated = _clients(generated, platform.gateway)
    async with authenticated(platform.admin_key) as admin, anonymous() as public:
        for code in ("RNCP970101", "RNCP970102"):
            ok(
                await api.certifications.certifications_create_certification.asyncio_detailed(
                    client=admin,
                    body=m.CertificationWrite(
                        rncp_code=code,
                        title=f"Titre professionnel Chaudronnier {code}",
                        kind=m.Kind.TITRE_PROFESSIONNEL,
                        level=3,
                        start_date=TODAY - timedelta(days=300),
                        end_date=END_DATE,
                        certifiers=[m.CertifierWrite(name="MINISTERE DU TRAVAIL")],
                    ),
                ),
                m.CertificationRead,
                201,
            )
        answer = await api.certifications.certifications_list_certifications.asyncio_detailed(
            client=public, q="chaudronnier", limit=1
        )
        page = ok(answer, m.PageCertificationSummary)

    assert len(page.items) == 1 and page.next_cursor
    link = answer.headers["link"]
    assert link.endswith('; rel="next"'), link
    # A relative reference (RFC 8288): resolved against the URL asked, the gateway's.
    target = httpx.URL(f"{platform.gateway}/v1/certifications").join(
        link.removeprefix("<").split(">;")[0]
    )
    assert str(target).startswith(f"{platform.gateway}/v1/certifications?"), target
    assert target.params["cursor"] == page.next_cursor, target


def _start_receiver(port: int, secret: str) -> ServiceProcess:
    """Runs docs/partners/verify_webhook.py as the guide shows it, until it listens."""
    receiver = ServiceProcess(
        "partner-receiver",
        [sys.executable, "verify_webhook.py"],
        env={"WEBHOOK_SECRET": secret, "PORT": str(port)},
        port=port,
        cwd=ROOT / "docs" / "partners",
    )
    deadline = time.monotonic() + 15
    while "listening" not in receiver.log.read_text():
        if receiver.process.poll() is not None or time.monotonic() > deadline:
            receiver.stop()
            pytest.fail(f"the receiver did not start:\n{receiver.log.read_text()}")
        time.sleep(0.05)
    return receiver


async def _wait_for_delivery(receiver: ServiceProcess, ending: str) -> None:
    """Waits until the receiver logs a verified delivery whose line ends so."""
    deadline = time.monotonic() + DELIVERY_SECONDS
    while time.monotonic() < deadline:
        lines = receiver.log.read_text().splitlines()
        if any(
            line.startswith("received ") and line.endswith(ending) for line in lines
        ):
            return
        await asyncio.sleep(0.2)
    pytest.fail(
        f"no verified delivery ending with {ending!r} within {DELIVERY_SECONDS} s; "
        f"the receiver logged:\n{receiver.log.read_text()}"
    )


def _run_client_example(client_folder: Path, gateway: str, key: str) -> list[str]:
    """Runs docs/partners/client_example.py as the guide shows it; returns its lines."""
    completed = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "partners" / "client_example.py")],
        env={
            **os.environ,
            "PYTHONPATH": str(client_folder),
            "VAE_GATEWAY_URL": gateway,
            "VAE_API_KEY": key,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.splitlines()
