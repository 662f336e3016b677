"""Request and response models of the API-client administration."""

from __future__ import annotations

import uuid
from datetime import datetime

from limits import parse
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    field_validator,
    model_validator,
)

from common import Role


class ApiClientCreate(BaseModel):
    """A new API client; its key is answered once."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Carif-Oref Occitanie",
                    "role": "partner",
                    "organisation_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c10",
                    "rate_limit": "600/minute",
                }
            ]
        },
    )

    name: str = Field(min_length=2, max_length=200, description="Who the client is.")
    role: Role = Field(
        description="admin, certifier (bound to a certifier id), exam_centre or partner."
    )
    organisation_id: str | None = Field(
        default=None,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="The certifier, exam centre or organisation the client acts for (required except for admin).",
    )
    scopes: list[str] = Field(default_factory=list, max_length=50)
    rate_limit: str | None = Field(
        default=None,
        description="Requests allowed, e.g. `600/minute` or `10/second`; the gateway's default if omitted.",
    )

    @field_validator("rate_limit")
    @classmethod
    def _parse_rate_limit(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse(value)
            except ValueError as error:
                raise ValueError(
                    "rate_limit must look like 600/minute or 10/second"
                ) from error
        return value

    @model_validator(mode="after")
    def _organisation_for_bound_roles(self) -> ApiClientCreate:
        if self.role is not Role.ADMIN and not self.organisation_id:
            raise ValueError(
                f"organisation_id is required for the role {self.role.value}"
            )
        return self


_CLIENT_EXAMPLE: dict[str, JsonValue] = {
    "id": "0190c7f2-9b1e-7d4a-8c3f-5e6a7b8c9d01",
    "name": "Carif-Oref Occitanie",
    "role": "partner",
    "organisation_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c10",
    "scopes": [],
    "rate_limit": "600/minute",
    "key_id": "k7Qp2xWm",
    "active": True,
    "created_at": "2026-11-02T09:15:00Z",
    "rotated_at": "2026-11-20T14:02:11Z",
    "revoked_at": None,
}


class ApiClientRead(BaseModel):
    """An API client (never its key)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CLIENT_EXAMPLE]})

    id: uuid.UUID
    name: str
    role: Role
    organisation_id: str | None
    scopes: list[str]
    rate_limit: str | None
    key_id: str = Field(
        description="Public part of the current key, to recognise it in logs."
    )
    active: bool
    created_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None


class ApiClientWithKey(ApiClientRead):
    """An API client with its new key, shown only in this answer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _CLIENT_EXAMPLE
                | {"api_key": "vae_k7Qp2xWm_Yt3vN8sLq0RzH5cJw1bXe6dKf9gMa4uPi2o"}
            ]
        }
    )

    api_key: str = Field(
        description="Send it as `Authorization: Bearer <api_key>`. It is shown once: store it now."
    )
