"""Subscriptions through the API: secrets shown once and encrypted, ownership, ETags, checks."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from webhooks_factories import (
    PUBLIC_URL,
    REPORT_SIGNED,
    SUBMITTED,
    Clock,
    TokenFactory,
    create_subscription,
    running_app,
)

from common import Role
from webhooks.config import Settings
from webhooks.db import IdempotencyKey
from webhooks.subscription.models import WebhookSubscription

pytestmark = pytest.mark.asyncio

PARTNER = str(uuid.uuid4())


class TestCreate:
    async def test_secret_is_shown_once_and_encrypted_at_rest(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        headers = auth(Role.PARTNER, PARTNER)
        created = await create_subscription(
            client, headers, PUBLIC_URL, [SUBMITTED], description="SI"
        )
        secret = created["secret"]
        assert secret.startswith("whsec_")
        assert created["owner"] == {
            "client_id": f"test-partner-{PARTNER}",
            "role": "partner",
            "organisation_id": PARTNER,
        }
        assert created["event_types"] == [SUBMITTED]
        assert created["enabled"] is True

        read = await client.get(
            f"/v1/webhook-subscriptions/{created['id']}", headers=headers
        )
        assert read.status_code == 200
        assert "secret" not in read.json()
        assert secret not in read.text
        listed = await client.get("/v1/webhook-subscriptions", headers=headers)
        assert secret not in listed.text

        async with sessionmaker() as db:
            row = await db.get(WebhookSubscription, uuid.UUID(created["id"]))
            assert row is not None
            assert row.secret_ciphertext != secret
            assert secret not in row.secret_ciphertext
            assert secret.removeprefix("whsec_") not in row.secret_ciphertext

    async def test_idempotent_replay_shows_the_same_secret_never_stored_in_clear(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        headers = auth(Role.PARTNER, PARTNER) | {"Idempotency-Key": str(uuid.uuid4())}
        body = {"url": PUBLIC_URL, "event_types": [SUBMITTED]}
        first = await client.post(
            "/v1/webhook-subscriptions", json=body, headers=headers
        )
        replay = await client.post(
            "/v1/webhook-subscriptions", json=body, headers=headers
        )
        assert first.status_code == replay.status_code == 201
        assert replay.headers.get("idempotent-replayed") == "true"
        assert replay.json()["secret"] == first.json()["secret"]
        assert replay.json()["id"] == first.json()["id"]
        async with sessionmaker() as db:
            stored = (await db.scalars(select(IdempotencyKey))).one()
            assert stored.response_body is not None
            assert first.json()["secret"].encode() not in stored.response_body
            assert b"whsec_" not in stored.response_body

    @pytest.mark.parametrize(
        ("role", "types", "code", "named"),
        [
            (Role.PARTNER, [REPORT_SIGNED], "EVENT_TYPES_NOT_ALLOWED", REPORT_SIGNED),
            (
                Role.EXAM_CENTRE,
                [SUBMITTED, "fr.vae.catalog.certification-created.v1"],
                "EVENT_TYPES_NOT_ALLOWED",
                SUBMITTED,
            ),
            (Role.CERTIFIER, ["fr.vae.nothing.v1"], "UNKNOWN_EVENT_TYPES", "nothing"),
        ],
    )
    async def test_refuses_types_the_role_never_receives(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        role: Role,
        types: list[str],
        code: str,
        named: str,
    ) -> None:
        response = await client.post(
            "/v1/webhook-subscriptions",
            json={"url": PUBLIC_URL, "event_types": types},
            headers=auth(role, str(uuid.uuid4())),
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == code
        assert named in problem["detail"]
        assert "/v1/webhook-event-types" in problem["detail"]

    @pytest.mark.parametrize(
        ("url", "said"),
        [
            ("https://user:secret@hooks.partner.example/vae", "credentials"),
            ("https://does-not-exist.invalid/vae", "does not resolve"),
            ("https://10.0.0.7/vae", "10.0.0.7"),
        ],
    )
    async def test_refuses_urls_that_are_not_allowed(
        self, client: httpx.AsyncClient, auth: TokenFactory, url: str, said: str
    ) -> None:
        response = await client.post(
            "/v1/webhook-subscriptions",
            json={"url": url, "event_types": [SUBMITTED]},
            headers=auth(Role.PARTNER, PARTNER),
        )
        assert response.status_code == 422
        assert response.json()["code"] == "WEBHOOK_URL_NOT_ALLOWED"
        assert said in response.json()["detail"]

    async def test_refuses_loopback_and_http_when_not_allowed(
        self,
        make_settings: Callable[..., Settings],
        auth: TokenFactory,
        clock: Clock,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        strict = make_settings(allow_http=False, allowed_networks=[])
        async with running_app(strict, clock=clock) as (_, client):
            for url, said in [
                ("https://localhost:8443/hook", "127.0.0.1"),
                ("https://127.0.0.1:8443/hook", "127.0.0.1"),
                ("https://[::1]:8443/hook", "::1"),
                ("http://hooks.partner.example/vae", "https"),
            ]:
                response = await client.post(
                    "/v1/webhook-subscriptions",
                    json={"url": url, "event_types": [SUBMITTED]},
                    headers=auth(Role.ADMIN),
                )
                assert response.status_code == 422, url
                assert response.json()["code"] == "WEBHOOK_URL_NOT_ALLOWED"
                assert said in response.json()["detail"], url

    async def test_validation_errors_are_problems(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        response = await client.post(
            "/v1/webhook-subscriptions",
            json={"url": PUBLIC_URL, "event_types": []},
            headers=auth(Role.PARTNER, PARTNER),
        )
        assert response.status_code == 422
        assert response.json()["code"] == "VALIDATION_FAILED"
        assert "event_types" in response.json()["detail"]

    async def test_needs_a_bound_principal(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        anonymous = await client.get("/v1/webhook-subscriptions")
        assert anonymous.status_code == 401
        unbound = await client.get(
            "/v1/webhook-subscriptions", headers=auth(Role.PARTNER, None)
        )
        assert unbound.status_code == 403


class TestOwnership:
    async def test_other_clients_get_404_and_admin_sees_all(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        mine = auth(Role.PARTNER, PARTNER)
        other = auth(Role.PARTNER, str(uuid.uuid4()))
        same_org_other_client = auth(Role.PARTNER, PARTNER, client_id="another-client")
        created = await create_subscription(client, mine, PUBLIC_URL, [SUBMITTED])
        theirs = await create_subscription(client, other, PUBLIC_URL, [SUBMITTED])
        path = f"/v1/webhook-subscriptions/{created['id']}"

        for stranger in (other, same_org_other_client):
            for method, url in [
                ("GET", path),
                ("DELETE", path),
                ("POST", f"{path}/secret-rotations"),
                ("POST", f"{path}/pings"),
                ("GET", f"{path}/deliveries"),
                ("GET", f"{path}/deliveries/{uuid.uuid4()}"),
            ]:
                response = await client.request(method, url, headers=stranger)
                assert response.status_code == 404, (method, url)
                assert response.json()["code"] == "WEBHOOK_SUBSCRIPTION_NOT_FOUND"
            patched = await client.patch(
                path, json={"enabled": False}, headers=stranger
            )
            assert patched.status_code == 404

        listed = await client.get("/v1/webhook-subscriptions", headers=mine)
        assert [s["id"] for s in listed.json()["items"]] == [created["id"]]
        everything = await client.get(
            "/v1/webhook-subscriptions", headers=auth(Role.ADMIN)
        )
        assert {s["id"] for s in everything.json()["items"]} == {
            created["id"],
            theirs["id"],
        }
        assert (await client.get(path, headers=auth(Role.ADMIN))).status_code == 200

    async def test_list_pages_with_a_cursor(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        headers = auth(Role.PARTNER, PARTNER)
        ids = [
            (await create_subscription(client, headers, PUBLIC_URL, [SUBMITTED]))["id"]
            for _ in range(3)
        ]
        first = await client.get(
            "/v1/webhook-subscriptions", params={"limit": 2}, headers=headers
        )
        assert [s["id"] for s in first.json()["items"]] == ids[:2]
        assert 'rel="next"' in first.headers["link"]
        second = await client.get(
            "/v1/webhook-subscriptions",
            params={"limit": 2, "cursor": first.json()["next_cursor"]},
            headers=headers,
        )
        assert [s["id"] for s in second.json()["items"]] == ids[2:]
        assert second.json()["next_cursor"] is None
        bad = await client.get(
            "/v1/webhook-subscriptions", params={"cursor": "nope"}, headers=headers
        )
        assert bad.status_code == 422
        assert bad.json()["code"] == "INVALID_CURSOR"


class TestUpdate:
    async def test_stale_if_match_is_412_and_current_one_wins(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        headers = auth(Role.PARTNER, PARTNER)
        created = await create_subscription(client, headers, PUBLIC_URL, [SUBMITTED])
        path = f"/v1/webhook-subscriptions/{created['id']}"
        etag = (await client.get(path, headers=headers)).headers["etag"]
        assert etag == '"1"'

        changed = await client.patch(
            path,
            json={"description": "v2"},
            headers=headers | {"If-Match": etag},
        )
        assert changed.status_code == 200
        assert changed.headers["etag"] == '"2"'
        assert changed.json()["description"] == "v2"

        stale = await client.patch(
            path, json={"description": "v3"}, headers=headers | {"If-Match": etag}
        )
        assert stale.status_code == 412
        assert stale.json()["code"] == "WEBHOOK_SUBSCRIPTION_VERSION_MISMATCH"
        assert (await client.get(path, headers=headers)).json()["description"] == "v2"
        stale_delete = await client.delete(path, headers=headers | {"If-Match": etag})
        assert stale_delete.status_code == 412

    async def test_changes_types_and_url_with_the_owners_rules(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        headers = auth(Role.PARTNER, PARTNER)
        created = await create_subscription(client, headers, PUBLIC_URL, [SUBMITTED])
        path = f"/v1/webhook-subscriptions/{created['id']}"
        changed = await client.patch(
            path,
            json={
                "event_types": [
                    "fr.vae.sessions.session-scheduled.v1",
                    SUBMITTED,
                    SUBMITTED,
                ],
                "url": "https://hooks.partner.example/v2",
            },
            headers=headers,
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["event_types"] == [
            SUBMITTED,
            "fr.vae.sessions.session-scheduled.v1",
        ]
        assert changed.json()["url"] == "https://hooks.partner.example/v2"
        # An administrator edits it, but the partner's rights still decide.
        refused = await client.patch(
            path, json={"event_types": [REPORT_SIGNED]}, headers=auth(Role.ADMIN)
        )
        assert refused.status_code == 422
        assert refused.json()["code"] == "EVENT_TYPES_NOT_ALLOWED"
        private = await client.patch(
            path, json={"url": "https://10.0.0.1/x"}, headers=headers
        )
        assert private.status_code == 422
        empty = await client.patch(path, json={}, headers=headers)
        assert empty.status_code == 422
        null_url = await client.patch(path, json={"url": None}, headers=headers)
        assert null_url.status_code == 422

    async def test_disable_then_enable_clears_the_reason(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        headers = auth(Role.PARTNER, PARTNER)
        created = await create_subscription(client, headers, PUBLIC_URL, [SUBMITTED])
        path = f"/v1/webhook-subscriptions/{created['id']}"
        disabled = await client.patch(path, json={"enabled": False}, headers=headers)
        assert disabled.json()["enabled"] is False
        assert f"test-partner-{PARTNER}" in disabled.json()["disabled_reason"]
        ping = await client.post(f"{path}/pings", headers=headers)
        assert ping.status_code == 409
        assert ping.json()["code"] == "WEBHOOK_SUBSCRIPTION_DISABLED"
        enabled = await client.patch(path, json={"enabled": True}, headers=headers)
        assert enabled.json()["enabled"] is True
        assert enabled.json()["disabled_reason"] is None
        assert enabled.json()["disabled_at"] is None

    async def test_delete(self, client: httpx.AsyncClient, auth: TokenFactory) -> None:
        headers = auth(Role.PARTNER, PARTNER)
        created = await create_subscription(client, headers, PUBLIC_URL, [SUBMITTED])
        path = f"/v1/webhook-subscriptions/{created['id']}"
        deleted = await client.delete(path, headers=headers | {"If-Match": '"1"'})
        assert deleted.status_code == 204
        assert (await client.get(path, headers=headers)).status_code == 404


class TestEventTypes:
    async def test_lists_types_with_roles(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        response = await client.get(
            "/v1/webhook-event-types", headers=auth(Role.PARTNER, PARTNER)
        )
        assert response.status_code == 200
        by_type = {item["type"]: item for item in response.json()["items"]}
        assert len(by_type) == 19
        assert by_type[REPORT_SIGNED]["you_may_subscribe"] is False
        assert by_type[REPORT_SIGNED]["roles"] == ["admin", "certifier", "exam_centre"]
        assert by_type[SUBMITTED]["you_may_subscribe"] is True
        assert "recevabilité" in by_type[SUBMITTED]["description"]
