"""Examples of the catalog's OpenAPI document: one per request body and per successful answer.

The examples are plain data checked against the models by the tests, and the LHEO example is
written by the export's own writer, so the documentation cannot drift from the code.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Final

from pydantic import BaseModel

from catalog.lheo.writer import (
    OfferBlock,
    OfferCertification,
    OfferCertifier,
    write_document,
)

_CERTIFIER_ID: Final = "7a3f0b52-7c5e-5f7e-9a55-1d6e3f1b2c40"

BLOCK_EXAMPLE: Final[dict[str, Any]] = {
    "rncp_code": "RNCP38362",
    "code": "RNCP38362BC01",
    "title": "Développer la relation client et assurer la vente conseil",
    "competences": [
        "Assurer la veille informationnelle",
        "Réaliser des études commerciales",
        "Vendre",
    ],
    "competences_text": "Assurer la veille informationnelle  Réaliser des études commerciales  Vendre",
    "evaluation_modalities": "Épreuve ponctuelle orale, 30 minutes ; en VAE, entretien avec le jury.",
}

CERTIFICATION_EXAMPLE: Final[dict[str, Any]] = {
    "rncp_code": "RNCP38362",
    "title": "BTS - Management commercial opérationnel",
    "kind": "DIPLOME",
    "level": 5,
    "abbreviation": {"code": "BTS", "label": "Brevet de technicien supérieur"},
    "registration_type": "BY_RIGHT",
    "fiche_state": "Publiée",
    "source": "RNCP_EXPORT",
    "certif_info_id": 990006,
    "registration": {
        "start_date": "2023-09-01",
        "end_date": "2028-08-31",
        "delivery_deadline_date": "2031-08-31",
        "decision_date": None,
    },
    "rncp_active": True,
    "active": True,
    "as_of": "2026-11-27",
    "vae_eligible": True,
    "vae_jury_composition": "Jury présidé par un enseignant-chercheur, composé à parts égales d'enseignants et de professionnels.",
    "retention": {"policy": "FIXED_YEARS", "years": 5, "source": "DEFAULT"},
    "nsf_codes": [{"code": "312", "label": "Commerce, vente"}],
    "rome_codes": [
        {"code": "D1502", "label": "Management/gestion de rayon produits alimentaires"}
    ],
    "formacodes": [{"code": "34566", "label": "Vente conseil"}],
    "certifiers": [
        {
            "id": _CERTIFIER_ID,
            "name": "MINISTERE DE L'ENSEIGNEMENT SUPERIEUR ET DE LA RECHERCHE",
            "siret": "11004401300040",
            "active": True,
        }
    ],
    "blocks": [BLOCK_EXAMPLE],
    "activities": "Le titulaire du BTS MCO prend en charge la relation client et l'animation d'une unité commerciale.",
    "capabilities": "Développer la relation client ; animer et dynamiser l'offre commerciale ; gérer l'unité commerciale.",
    "sectors": "Commerce de détail, grande distribution, prestation de services.",
    "job_types": "Manager adjoint, chef de rayon, responsable de petite unité commerciale.",
    "description_urls": ["https://www.education.gouv.fr/"],
    "statistics": [
        {
            "year": 2024,
            "certified": 25120,
            "certified_by_vae": 412,
            "employment_rate_6_months": 61,
            "job_employment_rate_2_years": None,
        }
    ],
    "partners_count": 0,
    "previous_codes": ["RNCP34031"],
    "next_codes": [],
    "version": 3,
    "created_at": "2026-08-17T02:14:09.120000Z",
    "updated_at": "2026-11-27T09:30:00Z",
}

SUMMARY_PAGE_EXAMPLE: Final[dict[str, Any]] = {
    "items": [
        {
            "rncp_code": "RNCP38362",
            "title": "BTS - Management commercial opérationnel",
            "kind": "DIPLOME",
            "level": 5,
            "abbreviation_code": "BTS",
            "active": True,
            "vae_eligible": True,
            "end_date": "2028-08-31",
            "certif_info_id": 990006,
        }
    ],
    "next_cursor": "eyJrIjoiMmZhYjg0IiwidiI6WyJSTkNQMzgzNjIiXX0",
}

PARTNERS_EXAMPLE: Final[list[dict[str, Any]]] = [
    {
        "name": "AFPA",
        "siret": "82422814200658",
        "habilitation": "TRAIN_AND_ASSESS",
        "state": "ACTIVE",
    }
]

LINEAGE_EXAMPLE: Final[dict[str, Any]] = {
    "rncp_code": "RNCP38362",
    "predecessors": [
        {
            "rncp_code": "RNCP34031",
            "title": "BTS - Management des unités commerciales",
            "active": False,
            "vae_eligible": True,
            "distance": 1,
        }
    ],
    "successors": [],
    "correspondences": [
        {
            "declared_by": "RNCP38362",
            "source_block_codes": ["RNCP38362BC01"],
            "destination_rncp_code": "RNCP34031",
            "destination_block_codes": ["RNCP34031BC01"],
        }
    ],
}

CERTIFIER_EXAMPLE: Final[dict[str, Any]] = {
    "id": _CERTIFIER_ID,
    "name": "MINISTERE DE L'ENSEIGNEMENT SUPERIEUR ET DE LA RECHERCHE",
    "siret": "11004401300040",
    "website": "https://www.enseignementsup-recherche.gouv.fr",
    "certifications_count": 1349,
}

IMPORT_JOB_EXAMPLE: Final[dict[str, Any]] = {
    "id": "019a6c1e-5b1f-7c3e-9f0a-2d4b6e8f1a3c",
    "status": "SUCCEEDED",
    "file_name": "export-fiches-rncp-v4-1-2026-08-16.zip",
    "progress": {
        "fiches_read": 30475,
        "bytes_read": 41_943_040,
        "total_bytes": 41_943_040,
        "percent": 100.0,
    },
    "report": {
        "version": "4.1",
        "fiches_read": 30475,
        "created": 12,
        "updated": 341,
        "unchanged": 30121,
        "skipped": 1,
        "skipped_fiches": [
            {
                "rncp_code": "RNCP12345",
                "reason": "DATE_FIN_ENREGISTREMENT '31/02/2028' is not a date JJ/MM/AAAA",
            }
        ],
        "duration_seconds": 184.2,
    },
    "error": None,
    "created_at": "2026-08-17T02:10:00Z",
    "started_at": "2026-08-17T02:10:01Z",
    "finished_at": "2026-08-17T02:13:05Z",
}

CERTIF_INFO_CSV_EXAMPLE: Final = (
    "Code_Diplome;Libelle_Diplome;Code_RNCP;Code_Scolarité\n"
    "990006;BTS management commercial opérationnel;38362;32031213\n"
    "990001;DE éducateur spécialisé;37676;\n"
    "54321;Certificat hors RNCP;;\n"
)

RNCP_EXPORT_XML_EXAMPLE: Final = (
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
    "<FICHES><VERSION_FLUX>4.1</VERSION_FLUX><FICHE><ID_FICHE>24208</ID_FICHE>"
    "<NUMERO_FICHE>RNCP37674</NUMERO_FICHE><INTITULE>Développeur web et web mobile</INTITULE>"
    "<ETAT_FICHE>Publiée</ETAT_FICHE><SI_JURY_VAE><ACTIF>Oui</ACTIF></SI_JURY_VAE>"
    "<ACTIF>Oui</ACTIF></FICHE></FICHES>\n"
)

LHEO_EXAMPLE: Final = write_document(
    [
        OfferCertification(
            rncp_code="RNCP38362",
            title="BTS - Management commercial opérationnel",
            level=5,
            certif_info_id=990006,
            start_date=date(2023, 9, 1),
            end_date=date(2028, 8, 31),
            capabilities="Développer la relation client ; animer et dynamiser l'offre commerciale ; gérer l'unité commerciale.",
            description_urls=(),
            created_at=datetime(2026, 8, 17, tzinfo=UTC),
            updated_at=datetime(2026, 11, 27, tzinfo=UTC),
            formacodes=("34566",),
            nsf_codes=("312",),
            rome_codes=("D1502",),
            blocks=(
                OfferBlock(
                    "RNCP38362BC01",
                    "Développer la relation client et assurer la vente conseil",
                ),
            ),
            certifiers=(
                OfferCertifier(
                    "MINISTERE DE L'ENSEIGNEMENT SUPERIEUR ET DE LA RECHERCHE",
                    "11004401300040",
                    "https://www.enseignementsup-recherche.gouv.fr",
                    True,
                ),
            ),
        )
    ],
    generated_on=date(2026, 11, 27),
).decode()


def model_example(model: type[BaseModel]) -> Any:
    """Returns the first example a model declares in its JSON schema."""
    extra = model.model_config.get("json_schema_extra")
    assert isinstance(extra, dict), f"{model.__name__} declares no example"
    examples = extra["examples"]
    assert isinstance(examples, list)
    return examples[0]


def example_responses(
    status: int,
    example: Any,
    *,
    media_type: str = "application/json",
    description: str | None = None,
) -> dict[int | str, dict[str, Any]]:
    """Documents a successful answer with an example (a model, whose first example is taken,
    or the value itself)."""
    if isinstance(example, type) and issubclass(example, BaseModel):
        example = model_example(example)
    response: dict[str, Any] = {"content": {media_type: {"example": example}}}
    if description is not None:
        response["description"] = description
    return {status: response}


def body_examples(summary: str, value: Any) -> dict[str, dict[str, Any]]:
    """Named examples of a JSON request body (FastAPI's ``openapi_examples``)."""
    return {"default": {"summary": summary, "value": value}}
