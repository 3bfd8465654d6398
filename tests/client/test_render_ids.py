"""Render ids: unique across clients, replaced when the backend says one is taken, kept across a dropped request."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from nemo_skills import protocol
from nemo_skills.client import ClientOptions
from nemo_skills.client.base_client import new_render_id
from nemo_skills.errors import BackendError, ExitCode, PlanTierError
from tests.client_fakes import DRAFT, FAST, FakeGateway, on

TAKEN_BODIES = [
    {"success": False, "error": "render id render_1 is already in use"},
    {"code": 409, "message": "render id already taken", "data": {}},
    {"code": 40901, "message": "render id already taken"},
]


def _posted_ids(gw: FakeGateway) -> list[str]:
    return [
        json.loads(body)["id"]
        for request, body in zip(gw.requests, gw.bodies, strict=True)
        if request.method == "POST" and request.url.path == protocol.PATH_RENDER
    ]


def test_ids_keep_prefix_and_millisecond_and_differ_within_one_millisecond() -> None:
    ids = {new_render_id(now=1_700_000_000.123) for _ in range(10_000)}
    assert len(ids) == 10_000
    for rid in ids:
        assert re.fullmatch(r"render_1700000000123_[0-9a-f]{12}", rid)


@pytest.mark.parametrize("body", TAKEN_BODIES)
async def test_a_taken_id_is_replaced_and_the_replacement_is_heard_before_it_is_sent(
    body: dict[str, object],
) -> None:
    heard: list[str] = []
    heard_when_sent: list[list[str]] = []

    def taken_once(request: httpx.Request) -> httpx.Response:
        heard_when_sent.append(list(heard))
        return httpx.Response(protocol.HTTP_RENDER_ID_TAKEN, json=body)

    def accepted(request: httpx.Request) -> httpx.Response:
        heard_when_sent.append(list(heard))
        return httpx.Response(200, json={"success": True, "data": {"status": "pending"}})

    gw = FakeGateway(
        draft=DRAFT, script=[on(protocol.PATH_RENDER, taken_once), on(protocol.PATH_RENDER, accepted)]
    )
    async with gw.client() as client:
        rid = await client.start_export(on_render_id=heard.append)
    first, second = _posted_ids(gw)
    assert first != second and rid == second
    assert heard == [first, second]
    # Each id was known to the caller before the request that used it.
    assert heard_when_sent == [[first], [first, second]]


async def test_a_callers_own_id_is_sent_first_and_only_replacements_are_heard() -> None:
    heard: list[str] = []
    gw = FakeGateway(
        draft=DRAFT,
        script=[on(protocol.PATH_RENDER, httpx.Response(409, json=TAKEN_BODIES[0]))],
    )
    gw.script.append(on(protocol.PATH_RENDER, httpx.Response(200, json={"success": True})))
    async with gw.client() as client:
        rid = await client.start_export(render_id="render_1_recorded", on_render_id=heard.append)
    assert _posted_ids(gw) == ["render_1_recorded", rid]
    assert heard == [rid]


async def test_a_dropped_export_request_is_sent_again_with_the_same_id() -> None:
    heard: list[str] = []

    answers: list[httpx.Response | Exception] = [
        httpx.ReadError("connection reset by peer"),
        httpx.Response(503, text="Service Unavailable"),
        httpx.Response(200, json={"success": True}),
    ]

    def flaky(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    gw = FakeGateway(draft=DRAFT, script=[on(protocol.PATH_RENDER, flaky)] * 3)
    async with gw.client(options=FAST.model_copy(update={"export_retry_wait": 0.0})) as client:
        rid = await client.start_export(on_render_id=heard.append)
    assert _posted_ids(gw) == [rid, rid, rid]
    assert heard == [rid]


async def test_ids_that_keep_being_taken_end_in_one_clear_error() -> None:
    gw = FakeGateway(
        draft=DRAFT,
        script=[on(protocol.PATH_RENDER, httpx.Response(409, json=TAKEN_BODIES[1]))] * 5,
    )
    options = FAST.model_copy(update={"render_id_retries": 2})
    async with gw.client(options=options) as client:
        with pytest.raises(BackendError) as info:
            await client.start_export()
    assert len(set(_posted_ids(gw))) == 3
    assert info.value.exit_code == ExitCode.BACKEND
    assert "taken" in info.value.message and "\n" not in info.value.message


async def test_other_refusals_are_not_retried() -> None:
    gw = FakeGateway(
        draft=DRAFT,
        script=[on(protocol.PATH_RENDER, httpx.Response(402, json={"success": False, "error": "free plan"}))],
    )
    async with gw.client() as client:
        with pytest.raises(PlanTierError):
            await client.start_export()
    assert len(_posted_ids(gw)) == 1


async def test_export_downloads_under_the_id_actually_used(tmp_path: Path) -> None:
    heard: list[str] = []
    gw = FakeGateway(
        draft=DRAFT,
        script=[
            on(protocol.PATH_RENDER, httpx.Response(409, json=TAKEN_BODIES[0])),
            on(protocol.PATH_RENDER, httpx.Response(200, json={"success": True})),
            on(
                protocol.PATH_RENDER + "/",
                httpx.Response(200, json={"status": "completed", "output": {"url": "/files/x.mp4"}}),
            ),
            on("/files/x.mp4", httpx.Response(200, content=b"movie")),
        ],
    )
    async with gw.client(options=ClientOptions(poll_max=0)) as client:
        result = await client.export(tmp_path, on_render_id=heard.append)
    assert result.render_id == heard[-1] == _posted_ids(gw)[-1]
    assert gw.paths()[-2] == protocol.render_status_path(result.render_id)
    assert result.path == tmp_path / f"{result.render_id}.mp4"
