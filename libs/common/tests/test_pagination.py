"""Cursor pagination: opaque cursors, the page envelope and the Link header."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import orjson
import pytest
import pytest_asyncio
from fastapi import FastAPI, Query, Request, Response
from starlette.datastructures import URL

from common import (
    InvalidCursorError,
    Page,
    decode_cursor,
    encode_cursor,
    install_error_handlers,
    next_link,
)

KIND = "certifications:rncp_code"


def raw_cursor(payload: Any) -> str:
    """A cursor built by hand around any JSON payload."""
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


class TestEncodeCursor:
    def test_round_trips_the_position(self) -> None:
        values: list[Any] = ["RNCP34691", 5, None, 2.5, "Titre professionnel « agent »"]

        cursor = encode_cursor(KIND, values)

        assert decode_cursor(cursor, KIND) == values

    def test_is_safe_in_a_query_string(self) -> None:
        # Enough bytes to hit every base64 padding length and the +/ characters.
        for length in range(1, 12):
            cursor = encode_cursor(KIND, ["?" * length, "\xff" * length])

            assert set(cursor) <= set(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
            )
            assert decode_cursor(cursor, KIND) == ["?" * length, "\xff" * length]


class TestDecodeCursor:
    def test_rejects_a_cursor_of_another_kind(self) -> None:
        cursor = encode_cursor("certifications:-updated_at", ["2026-01-01", "RNCP1"])

        with pytest.raises(InvalidCursorError, match="another sort order") as raised:
            decode_cursor(cursor, KIND)

        assert raised.value.status_code == 422
        assert raised.value.code == "INVALID_CURSOR"

    @pytest.mark.parametrize(
        "cursor",
        [
            "not-a-cursor",
            "!!!!",
            "",
            "a",
            "é",
            base64.urlsafe_b64encode(b"\xff\xfe not json").decode(),
            raw_cursor("RNCP34691")[:-3],
        ],
    )
    def test_rejects_garbage(self, cursor: str) -> None:
        with pytest.raises(InvalidCursorError) as raised:
            decode_cursor(cursor, KIND)

        assert raised.value.status_code == 422
        assert raised.value.code == "INVALID_CURSOR"

    @pytest.mark.parametrize(
        "payload",
        [
            {"kind": KIND, "values": []},
            42,
            "RNCP34691",
            [KIND],
            [KIND, "RNCP34691"],
            [KIND, {"rncp_code": "RNCP34691"}],
            [KIND, [], "extra"],
        ],
    )
    def test_rejects_a_payload_that_is_not_a_kind_and_a_list(
        self, payload: Any
    ) -> None:
        with pytest.raises(InvalidCursorError, match="exactly as received"):
            decode_cursor(raw_cursor(payload), KIND)


def build_app() -> FastAPI:
    """A collection of 45 numbered items, 20 per page by default."""
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/v1/items")
    async def list_items(
        request: Request,
        response: Response,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        cursor: str | None = None,
    ) -> Page[int]:
        after = decode_cursor(cursor, KIND)[0] if cursor is not None else 0
        items = list(range(after + 1, min(after + limit, 45) + 1))
        next_cursor = encode_cursor(KIND, [items[-1]]) if items[-1] < 45 else None
        response.headers.update(next_link(request.url, next_cursor))
        return Page(items=items, next_cursor=next_cursor)

    return app


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


class TestNextLink:
    def test_points_at_the_next_page_keeping_the_other_parameters(self) -> None:
        url = URL("http://test/v1/certifications?level=5&limit=10")

        headers = next_link(url, "abc")

        assert headers == {
            "Link": '</v1/certifications?level=5&limit=10&cursor=abc>; rel="next"'
        }

    def test_replaces_the_current_cursor(self) -> None:
        url = URL("http://test/v1/certifications?cursor=old&limit=10")

        headers = next_link(url, "new")

        target = httpx.URL("http://test").join(
            headers["Link"].removeprefix("<").split(">;")[0]
        )
        assert sorted(target.params.multi_items()) == [
            ("cursor", "new"),
            ("limit", "10"),
        ]

    def test_is_empty_on_the_last_page(self) -> None:
        assert next_link(URL("http://test/v1/certifications"), None) == {}

    @pytest.mark.asyncio
    async def test_walks_a_collection_page_by_page(
        self, client: httpx.AsyncClient
    ) -> None:
        seen: list[int] = []
        url: str | None = "/v1/items?limit=20"

        while url is not None:
            response = await client.get(url)
            assert response.status_code == 200
            page = response.json()
            seen.extend(page["items"])
            link = response.links.get("next")
            url = link["url"] if link else None
            assert (page["next_cursor"] is None) == (url is None)

        assert seen == list(range(1, 46))

    @pytest.mark.asyncio
    async def test_an_invalid_cursor_answers_a_422_problem(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/v1/items", params={"cursor": "garbage!"})

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["code"] == "INVALID_CURSOR"
        assert body["type"] == "https://vae.example.org/problems/invalid-cursor"


class TestPage:
    def test_serialises_items_and_the_next_cursor(self) -> None:
        page = Page[str](items=["RNCP34691"], next_cursor="abc")

        assert page.model_dump(mode="json") == {
            "items": ["RNCP34691"],
            "next_cursor": "abc",
        }

    def test_has_no_next_cursor_by_default(self) -> None:
        assert Page[int](items=[]).next_cursor is None


class TestKeysetHelpers:
    def test_a_page_and_its_cursor_round_trip(self) -> None:
        from common import cursor_position, keyset_page

        rows = [1, 2, 3]
        items, cursor = keyset_page(rows, 2, "numbers", lambda n: [n])
        assert items == [1, 2]
        assert cursor is not None
        assert cursor_position(cursor, "numbers", lambda values: int(values[0])) == 2
        assert keyset_page(rows, 3, "numbers", lambda n: [n]) == (rows, None)
        assert cursor_position(None, "numbers", lambda values: values) is None

    def test_a_cursor_that_does_not_parse_is_invalid(self) -> None:
        import pytest

        from common import InvalidCursorError, cursor_position, encode_cursor

        with pytest.raises(InvalidCursorError):
            cursor_position(
                encode_cursor("numbers", []), "numbers", lambda v: int(v[0])
            )
        with pytest.raises(InvalidCursorError):
            cursor_position(encode_cursor("letters", [1]), "numbers", lambda v: v)
