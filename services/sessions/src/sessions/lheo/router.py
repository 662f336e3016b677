"""The endpoint of the LHEO export of the public calendar of exam sessions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import StreamingResponse

from common import (
    AuthenticationError,
    PermissionDeniedError,
    QueryDateTime,
    problem_responses,
)
from sessions.centre.schemas import Department, Region, RncpCode
from sessions.dependencies import AnyRole, Catalog, Now, ReadSessions, Rules
from sessions.errors import CatalogUnavailableError
from sessions.lheo import service as lheo_service
from sessions.lheo.writer import MEDIA_TYPE
from sessions.session.rules import SessionKind
from sessions.session.service import CalendarFilters

router = APIRouter(prefix="/v1/exam-sessions", tags=["exam-sessions"])

LHEO_EXAMPLE = """<?xml version='1.0' encoding='UTF-8'?>
<lheo xmlns="http://lheo.gouv.fr/2.3"><offres>
<formation numero="RNCP38077/0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c20">
<domaine-formation><code-FORMACODE>22454</code-FORMACODE><code-NSF>254</code-NSF><code-ROME>H2913</code-ROME></domaine-formation>
<intitule-formation>Validation des acquis de l'expérience (VAE) : Soudeur assembleur industriel</intitule-formation>
<objectif-formation>Obtenir par la validation des acquis de l'expérience (VAE) tout ou partie (blocs de compétences) de la certification « Soudeur assembleur industriel » (RNCP38077), devant un jury réuni en session d'examen.</objectif-formation>
<resultats-attendus>Décision du jury, consignée au procès-verbal de la session : pour chaque bloc de compétences évalué, validé ou non validé (validation totale, partielle ou refus).</resultats-attendus>
<contenu-formation>Session d'examen devant un jury de validation des acquis de l'expérience, tenue par un centre d'examen agréé pour la certification, sur les blocs de compétences indiqués pour chaque session.</contenu-formation>
<certifiante>1</certifiante>
<contact-formation><coordonnees></coordonnees></contact-formation>
<parcours-de-formation>2</parcours-de-formation>
<code-niveau-entree>1</code-niveau-entree>
<objectif-general-formation>6</objectif-general-formation>
<certification><code-RNCP>RNCP38077</code-RNCP></certification>
<code-niveau-sortie>13</code-niveau-sortie>
<url-formation><urlweb>https://www.francecompetences.fr/recherche/rncp/38077/</urlweb></url-formation>
<action numero="0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c31">
<rythme-formation>Épreuves aux dates de chaque session ; heures de début et de fin et durée des épreuves dans les extras de la session.</rythme-formation>
<code-public-vise ref="V10">83056</code-public-vise>
<info-public-vise>Candidats à la VAE dont la candidature a été déclarée recevable par le certificateur.</info-public-vise>
<niveau-entree-obligatoire>0</niveau-entree-obligatoire>
<modalites-alternance>Sans objet : session d'examen.</modalites-alternance>
<modalites-enseignement>0</modalites-enseignement>
<conditions-specifiques>Inscription d'une candidature VAE recevable par l'organisme qui accompagne le candidat, au plus tard 1 mois avant la session, dans la limite des places.</conditions-specifiques>
<prise-en-charge-frais-possible>0</prise-en-charge-frais-possible>
<lieu-de-formation><coordonnees><adresse><denomination>Plateau soudure</denomination><ligne>12 rue des Forges</ligne><codepostal>69200</codepostal><ville>Vénissieux</ville><departement>69</departement><region>84</region><pays>FR</pays></adresse></coordonnees></lieu-de-formation>
<modalites-entrees-sorties>0</modalites-entrees-sorties>
<session numero="0190c7f2-8a41-7c3e-9d55-2b8f4e6a1d40" datecrea="20261102" datemaj="20261110">
<periode><debut>20270315</debut><fin>20270316</fin></periode>
<adresse-inscription><adresse><denomination>Plateau soudure</denomination><ligne>12 rue des Forges</ligne><codepostal>69200</codepostal><ville>Vénissieux</ville><departement>69</departement><region>84</region><pays>FR</pays></adresse></adresse-inscription>
<modalites-inscription>Inscription par l'organisme qui accompagne le candidat (candidature VAE recevable), jusqu'au 14/02/2027 inclus.</modalites-inscription>
<etat-recrutement>1</etat-recrutement>
<blocs-competences><validation-blocs>2</validation-blocs><reference-certification><reference-code-RNCP>RNCP38077</reference-code-RNCP></reference-certification>
<bloc-competences><libelle-bloc>Souder à plat des ensembles métalliques</libelle-bloc><code-bloc>RNCP38077BC01</code-bloc></bloc-competences>
<bloc-competences><libelle-bloc>Souder en toutes positions des ensembles métalliques</libelle-bloc><code-bloc>RNCP38077BC02</code-bloc></bloc-competences>
</blocs-competences>
<extras info="session-examen"><extra info="nature">TITLE</extra><extra info="etat">SCHEDULED</extra><extra info="debut">2027-03-15T08:30:00+01:00</extra><extra info="fin">2027-03-16T17:00:00+01:00</extra><extra info="heures-epreuves">11.5</extra><extra info="capacite">8</extra><extra info="places-restantes">5</extra><extra info="cloture-inscriptions">2027-02-15T00:00:00+01:00</extra></extras>
</session>
</action>
<organisme-formation-responsable numero="0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c20">
<numero-activite>99999999999</numero-activite>
<SIRET-organisme-formation><SIRET>82422814200658</SIRET></SIRET-organisme-formation>
<nom-organisme>Centre AFPA de Lyon Vénissieux</nom-organisme>
<raison-sociale>Centre AFPA de Lyon Vénissieux</raison-sociale>
<coordonnees-organisme><coordonnees></coordonnees></coordonnees-organisme>
<contact-organisme><coordonnees></coordonnees></contact-organisme>
</organisme-formation-responsable>
</formation>
</offres></lheo>
"""


class LheoResponse(StreamingResponse):
    """An LHEO document, streamed."""

    media_type = MEDIA_TYPE


@router.get(
    "/lheo",
    response_class=LheoResponse,
    summary="Export the calendar of exam sessions as LHEO 2.3 (calendrier des sessions d'examen)",
    description="The public calendar (sessions d'examen scheduled and not cancelled, never "
    "drafts) in LHEO 2.3, the offer format of the Carif-Oref (namespace "
    "`http://lheo.gouv.fr/2.3`): one `formation` per certification and exam centre (centre "
    "d'examen, the `organisme-formation-responsable`: SIRET and name), one `action` per site, "
    "one `session` per exam session with its dates (`periode`), the site's address "
    "(`adresse-inscription`), whether registrations (inscriptions) are open "
    "(`etat-recrutement`) and the blocks of competences assessed (`blocs-competences`). LHEO "
    "has no element for seats: capacity and places left are in each session's "
    '`extras info="session-examen"`. No jury, staff or candidate is exported. Same filters '
    "as the calendar; streamed, in any size. 204 when no session matches (LHEO cannot hold an "
    "empty offer).",
    responses={
        status.HTTP_200_OK: {
            "description": "The LHEO document (UTF-8).",
            "content": {
                MEDIA_TYPE: {
                    "schema": {"type": "string"},
                    "examples": {
                        "calendar": {
                            "summary": "Une session d'examen d'un titre professionnel",
                            "description": "One certification at one exam centre (agréé "
                            "by the DREETS), one site, one session open to registrations.",
                            "value": LHEO_EXAMPLE,
                        }
                    },
                }
            },
        },
        status.HTTP_204_NO_CONTENT: {
            "description": "No public session matches the filters."
        },
        **problem_responses(
            AuthenticationError, PermissionDeniedError, CatalogUnavailableError
        ),
    },
)
async def export_calendar_lheo(
    principal: AnyRole,
    read_sessions: ReadSessions,
    catalog: Catalog,
    now: Now,
    rules: Rules,
    rncp_code: Annotated[RncpCode | None, Query()] = None,
    region: Annotated[Region | None, Query()] = None,
    department: Annotated[Department | None, Query()] = None,
    centre_id: Annotated[uuid.UUID | None, Query()] = None,
    kind: Annotated[
        SessionKind | None,
        Query(description="TITLE (session titre), CCP, CCS or DIPLOMA_JURY."),
    ] = None,
    starts_after: Annotated[QueryDateTime | None, Query()] = None,
    starts_before: Annotated[QueryDateTime | None, Query()] = None,
    with_seats_left: Annotated[bool, Query()] = False,
) -> Response:
    filters = CalendarFilters(
        rncp_code=rncp_code,
        region=region,
        department=department,
        centre_id=centre_id,
        kind=kind,
        starts_after=starts_after,
        starts_before=starts_before,
        with_seats_left=with_seats_left,
    )
    stream = await lheo_service.export_calendar(
        read_sessions, filters, catalog=catalog, now=now, rules=rules
    )
    if stream is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return LheoResponse(
        stream,
        headers={"Content-Disposition": 'inline; filename="sessions-examen-vae.xml"'},
    )
