"""Error mapping and retries: every documented code, odd bodies, and no token in anything shown."""

from __future__ import annotations

import logging

import httpx
import pytest

from nemo_skills import protocol
from nemo_skills.errors import (
    AuthError,
    BackendError,
    ExitCode,
    FileTooLargeError,
    MissingClientIdError,
    NoCreditsError,
    PlanTierError,
    RateLimitedError,
    SessionNotFoundError,
    UnsupportedFileError,
)
from tests.client_fakes import FAST, FakeGateway, fail, ok, on

SECRET = "tok-SECRET-abc123"


@pytest.mark.parametrize(
    ("response", "error", "text"),
    [
        (httpx.Response(502, html="<html><body>Bad Gateway</body></html>"), BackendError, "HTTP 502"),
        (httpx.Response(200, text="<!DOCTYPE html><html>login</html>"), BackendError, "HTML page"),
        (httpx.Response(200, text='{"code": 0, "data": {"avail'), BackendError, "truncated JSON"),
        (httpx.Response(200, text=""), BackendError, "empty answer"),
        (httpx.Response(200, json=[1, 2]), BackendError, "not an object"),
        (httpx.Response(200, json={"code": "zero"}), BackendError, "malformed code"),
        (
            httpx.Response(200, json={"code": 0, "data": {"available": "lots"}}),
            BackendError,
            "credit balance",
        ),
        (fail(2001, "insufficient credits", {"bind_id": "b-77"}), NoCreditsError, "?bind=b-77"),
        (httpx.Response(402, json={"message": "plan"}), PlanTierError, "upgrade your plan"),
        (fail(9999, "mystery"), BackendError, "mystery"),
    ],
)
async def test_bad_answers_become_clear_errors(
    response: httpx.Response, error: type[Exception], text: str
) -> None:
    gw = FakeGateway(script=[on(protocol.PATH_CREDITS, response)])
    async with gw.client() as client:
        with pytest.raises(error) as info:
            await client.credits()
    shown = getattr(info.value, "user_message", lambda: str(info.value))()
    assert text in shown
    assert "Traceback" not in shown


async def test_plan_tier_is_not_called_a_credit_problem() -> None:
    gw = FakeGateway(script=[on(protocol.PATH_CREDITS, httpx.Response(402))])
    async with gw.client() as client:
        with pytest.raises(PlanTierError) as info:
            await client.credits()
    assert "credit" not in info.value.user_message().lower()
    assert info.value.exit_code == ExitCode.PLAN_TIER


async def test_no_credits_for_a_registered_user_says_top_up() -> None:
    gw = FakeGateway(script=[on(protocol.PATH_CREDITS, fail(2001, "no credits"))])
    async with gw.client(token="registered-token") as client:
        with pytest.raises(NoCreditsError) as info:
            await client.credits()
    assert not info.value.anonymous
    assert "Top up credits" in info.value.user_message()
    assert "register" not in info.value.user_message().lower()


async def test_no_credits_uses_the_sessions_bind_id_when_the_error_has_none() -> None:
    gw = FakeGateway(script=[on(protocol.PATH_RUN_SSE, fail(2001, "no credits"))])
    async with gw.client() as client:
        await client.connect()
        with pytest.raises(NoCreditsError) as info:
            await client.send("make a video")
    assert info.value.anonymous and info.value.bind_id == "bind-1"
    assert "?bind=bind-1" in info.value.user_message()


@pytest.mark.parametrize(("code", "error"), [(4001, UnsupportedFileError), (4002, FileTooLargeError)])
async def test_server_side_upload_codes_carry_the_actions(
    code: int, error: type[Exception], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    gw = FakeGateway(script=[on(protocol.PATH_UPLOAD_PREFIX, fail(code, "rejected"))])
    async with gw.client() as client:
        with pytest.raises(error) as info:
            await client.upload_file(clip)
    message = info.value.user_message()  # type: ignore[attr-defined]
    assert ("mp4, mov" in message) if code == 4001 else ("compress" in message.lower())


@pytest.mark.parametrize("rejection", [fail(1001, "bad token"), fail(1010), fail(1011), httpx.Response(401)])
async def test_rejected_anonymous_token_is_replaced_and_the_call_retried_once(
    rejection: httpx.Response,
) -> None:
    gw = FakeGateway(script=[on(protocol.PATH_CREDITS, rejection)])
    async with gw.client() as client:
        credits = await client.credits()
    assert credits.available == 90
    assert gw.tokens_issued == 2
    assert gw.paths().count(protocol.PATH_CREDITS) == 2


async def test_token_rejected_twice_fails_with_a_clear_auth_error() -> None:
    gw = FakeGateway(script=[on(protocol.PATH_CREDITS, fail(1001)), on(protocol.PATH_CREDITS, fail(1001))])
    async with gw.client() as client:
        with pytest.raises(AuthError) as info:
            await client.credits()
    assert gw.paths().count(protocol.PATH_CREDITS) == 2
    assert info.value.exit_code == ExitCode.AUTH


async def test_rejected_nemo_token_is_not_swapped_for_an_anonymous_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEMO_TOKEN", SECRET)
    gw = FakeGateway(script=[on(protocol.PATH_CREDITS, fail(1001, f"token {SECRET} expired"))])
    async with gw.client() as client:
        with pytest.raises(AuthError) as info:
            await client.credits()
    assert "NEMO_TOKEN" in info.value.user_message()
    assert gw.tokens_issued == 0
    assert SECRET not in info.value.user_message()


async def test_token_provider_is_asked_again_after_a_rejection() -> None:
    issued = iter(["provided-1", "provided-2"])
    gw = FakeGateway(script=[on(protocol.PATH_CREDITS, fail(1001))])
    async with gw.client(token_provider=lambda: next(issued)) as client:
        await client.credits()
    auth = [r.headers["Authorization"] for r in gw.requests]
    assert auth == ["Bearer provided-1", "Bearer provided-2"]


@pytest.mark.parametrize(
    "body",
    [{"message": "client id"}, {"code": 400, "message": "missing X-Client-Id"}],
    ids=["plain", "status-as-code"],
)
async def test_missing_client_id_regenerates_the_id_once(tmp_path, body) -> None:  # type: ignore[no-untyped-def]
    gw = FakeGateway(script=[on(protocol.PATH_ANON_TOKEN, httpx.Response(400, json=body))])
    async with gw.client(config_dir=tmp_path) as client:
        await client.credits()
    ids = [
        r.headers[protocol.HEADER_CLIENT_ID] for r in gw.requests if r.url.path == protocol.PATH_ANON_TOKEN
    ]
    assert len(ids) == 2 and ids[0] != ids[1]


async def test_missing_client_id_twice_is_an_auth_failure() -> None:
    bad = httpx.Response(400, json={"message": "client id"})
    gw = FakeGateway(script=[on(protocol.PATH_ANON_TOKEN, bad), on(protocol.PATH_ANON_TOKEN, bad)])
    async with gw.client() as client:
        with pytest.raises(MissingClientIdError) as info:
            await client.credits()
    assert info.value.exit_code == ExitCode.AUTH


async def test_429_waits_and_retries_once() -> None:
    limited = httpx.Response(429, headers={"Retry-After": "0"}, json={"message": "slow down"})
    gw = FakeGateway(script=[on(protocol.PATH_CREDITS, limited)])
    async with gw.client() as client:
        assert (await client.credits()).total == 100
    assert gw.paths().count(protocol.PATH_CREDITS) == 2


async def test_429s_slow_the_call_down_and_it_goes_through() -> None:
    limited = httpx.Response(429, headers={"Retry-After": "0"})
    gw = FakeGateway(script=[on(protocol.PATH_CREDITS, limited), on(protocol.PATH_CREDITS, limited)])
    async with gw.client() as client:
        assert (await client.credits()).total == 100
    assert gw.paths().count(protocol.PATH_CREDITS) == 3


async def test_429s_past_the_patience_fail_saying_what_was_done() -> None:
    limited = httpx.Response(429, headers={"Retry-After": "0.05"})
    gw = FakeGateway(script=[on(protocol.PATH_CREDITS, limited)] * 5)
    options = FAST.model_copy(update={"rate_limit_patience": 0.12})
    async with gw.client(options=options) as client:
        with pytest.raises(RateLimitedError) as info:
            await client.credits()
    assert info.value.exit_code == ExitCode.RATE_LIMITED
    assert "Requests were slowed down first" in info.value.message
    assert "anonymous tokens" not in info.value.user_message()
    assert gw.paths().count(protocol.PATH_CREDITS) == 3


async def test_429_asking_for_days_fails_at_once_instead_of_sleeping() -> None:
    limited = httpx.Response(429, headers={"Retry-After": str(7 * 24 * 3600)})
    gw = FakeGateway(script=[on(protocol.PATH_CREDITS, limited)])
    async with gw.client() as client:
        with pytest.raises(RateLimitedError):
            await client.credits()
    assert gw.paths().count(protocol.PATH_CREDITS) == 1


async def test_lost_session_on_state_is_reported() -> None:
    gw = FakeGateway(script=[on(protocol.PATH_STATE_PREFIX, fail(1002, "session not found"))])
    async with gw.client() as client:
        await client.connect()
        with pytest.raises(SessionNotFoundError) as info:
            await client.state()
    assert "timeline is gone" in info.value.user_message()


async def test_connection_refused_is_a_backend_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    gw = FakeGateway(script=[refuse])
    async with gw.client() as client:
        with pytest.raises(BackendError, match="Cannot reach"):
            await client.credits()


class _BreaksOff(httpx.AsyncByteStream):
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        yield b'{"code": 0, "data": {"avail'
        raise self.error


@pytest.mark.parametrize(
    "error", [httpx.ReadError("connection reset"), httpx.ReadTimeout("timed out")], ids=["reset", "timeout"]
)
async def test_a_body_that_breaks_off_is_a_backend_error(error: Exception) -> None:
    broken = httpx.Response(200, headers={"content-type": "application/json"}, stream=_BreaksOff(error))
    gw = FakeGateway(script=[on(protocol.PATH_CREDITS, broken)])
    async with gw.client() as client:
        with pytest.raises(BackendError, match=r"backend at http://gw\.test"):
            await client.credits()


async def test_token_never_appears_in_reprs_errors_or_logs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    gw = FakeGateway(
        token=SECRET,
        script=[
            on(protocol.PATH_CREDITS, fail(1001)),
            on(protocol.PATH_CREDITS, fail(9999, f"your token {SECRET} is odd")),
        ],
    )
    async with gw.client(config_dir=tmp_path) as client:
        with pytest.raises(BackendError) as info:
            await client.credits()
        shown = [
            repr(client),
            str(client),
            repr(client._api),
            repr(client._api.auth),
            info.value.user_message(),
            repr(info.value),
        ]
    shown.append(caplog.text)
    for text in shown:
        assert SECRET not in text
    assert "***" in info.value.user_message()
    # The token is sent, of course: it just never shows.
    assert gw.requests[-1].headers["Authorization"] == f"Bearer {SECRET}"


async def test_success_envelope_with_null_data_is_empty() -> None:
    gw = FakeGateway(script=[on(protocol.PATH_STATE_PREFIX, ok(None))])
    async with gw.client() as client:
        await client.connect()
        state = await client.state()
    assert state.timeline == "Timeline (0 tracks): empty"
