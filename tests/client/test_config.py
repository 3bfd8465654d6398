"""One settings model for both client faces and the public API: same arguments, same methods."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import nemo_skills
from nemo_skills import protocol
from nemo_skills.client import AsyncNemoClient, NemoClient
from nemo_skills.client.config import ClientConfig, SessionConfig
from tests.client_fakes import FAST, FakeGateway, on

# The sync face's names for async-only spellings, and what only the sync face has.
SYNC_NAME = {"aclose": "close"}
SYNC_ONLY = {"close", "async_client"}


def _public_methods(cls: type) -> dict[str, Callable[..., Any]]:
    return {
        name: member
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and callable(member) and not isinstance(member, type)
    }


def _api_methods(cls: type) -> dict[str, Callable[..., Any]]:
    # BaseClient's I/O-free helpers (headers, url, timeout, ...) are the async client's plumbing.
    from nemo_skills.client.base_client import BaseClient

    inherited = set(_public_methods(BaseClient))
    return {n: m for n, m in _public_methods(cls).items() if n not in inherited}


def _field_names(model: type) -> list[str]:
    return [f.name for f in dataclasses.fields(model)]


def _keywords(func: Callable[..., Any]) -> list[str]:
    params = inspect.signature(func).parameters.values()
    return [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]


def test_the_sync_client_has_every_method_of_the_async_one() -> None:
    async_methods = {SYNC_NAME.get(n, n) for n in _api_methods(AsyncNemoClient)}
    sync_methods = set(_public_methods(NemoClient)) - SYNC_ONLY
    assert "render_status" in sync_methods
    assert sync_methods == async_methods - {"close"}


@pytest.mark.parametrize("name", sorted(_api_methods(AsyncNemoClient)))
def test_sync_and_async_methods_take_the_same_parameters(name: str) -> None:
    async_method = getattr(AsyncNemoClient, name)
    sync_method = getattr(NemoClient, SYNC_NAME.get(name, name))
    a, s = inspect.signature(async_method), inspect.signature(sync_method)
    assert [(p.name, p.kind, p.default, p.annotation) for p in a.parameters.values()] == [
        (p.name, p.kind, p.default, p.annotation) for p in s.parameters.values()
    ]
    # Return types differ only by the async spelling (AsyncIterator, AsyncNemoClient).
    assert str(a.return_annotation).replace("Async", "") == str(s.return_annotation)
    assert not (inspect.iscoroutinefunction(sync_method) or inspect.isasyncgenfunction(sync_method))
    if name not in {"from_config"}:
        assert inspect.iscoroutinefunction(async_method) or inspect.isasyncgenfunction(async_method)


@pytest.mark.parametrize("entry", [AsyncNemoClient, NemoClient])
def test_each_client_takes_every_config_field_as_a_keyword(entry: type) -> None:
    assert _keywords(entry) == _field_names(ClientConfig)
    assert next(iter(inspect.signature(entry).parameters)) == "skill"


@pytest.mark.parametrize("entry", [nemo_skills.open_session, nemo_skills.open_session_sync])
def test_open_session_takes_the_client_keywords_and_the_session_ones(entry: Callable[..., Any]) -> None:
    assert _keywords(entry) == [*_field_names(ClientConfig), "session_id", "language_hint"]
    assert _field_names(SessionConfig) == _keywords(entry)


def test_an_unknown_keyword_is_a_type_error_naming_the_client() -> None:
    with pytest.raises(TypeError, match=r"NemoClient\(\): .*'base_urll'"):
        NemoClient("nemo-video-gen", base_urll="http://gw.test")  # type: ignore[call-arg]


def test_the_config_repr_never_shows_the_token() -> None:
    client = AsyncNemoClient("nemo-video-gen", token="tok-secret-123", base_url="http://gw.test")
    assert client.config.token == "tok-secret-123"
    assert "tok-secret-123" not in repr(client.config) and "tok-secret-123" not in repr(client)


@pytest.mark.parametrize(("env_token", "anonymous"), [(True, False), (False, True)])
def test_open_session_sync_passes_env_token_through(
    monkeypatch: pytest.MonkeyPatch, env_token: bool, anonymous: bool
) -> None:
    monkeypatch.setenv(protocol.ENV_TOKEN, "tok-from-env")
    gw = FakeGateway()
    with nemo_skills.open_session_sync(
        "nemo-video-gen",
        base_url="http://gw.test",
        transport=gw.transport(),
        options=FAST,
        env_token=env_token,
        session_id=None,
    ) as session:
        assert session.anonymous is anonymous
        assert session.config.env_token is env_token
    sent = gw.requests[-1].headers["Authorization"]
    assert sent == ("Bearer tok-anon-1" if anonymous else "Bearer tok-from-env")


def test_from_config_builds_the_same_client_on_either_face() -> None:
    config = ClientConfig(base_url="http://gw.test/", platform="cursor", options=FAST)
    with NemoClient.from_config("video-leonardo", config) as sync:
        assert (sync.base_url, sync.skill.name, sync.config) == ("http://gw.test", "video-leonardo", config)
        assert sync.async_client.attribution_headers()[protocol.HEADER_SKILL_PLATFORM] == "cursor"


def test_the_sync_client_looks_at_a_render() -> None:
    gw = FakeGateway(
        script=[
            on(
                protocol.render_status_path("render_7"),
                httpx.Response(
                    200,
                    headers={"Retry-After": "3"},
                    json={"success": True, "status": "processing", "progress": 40},
                ),
            )
        ]
    )
    with NemoClient.from_config(
        "nemo-video-gen", ClientConfig(base_url="http://gw.test", transport=gw.transport(), options=FAST)
    ) as client:
        progress, wait = client.render_status("render_7")
    assert (progress.render_id, progress.status, wait) == ("render_7", "processing", 3.0)
