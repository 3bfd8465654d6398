"""Tokens, client ids, attribution headers, platform detection and session creation."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from nemo_skills import protocol
from nemo_skills.catalog.registry import get_catalog
from nemo_skills.client.auth import CachedToken, TokenCache, token_expiry
from nemo_skills.client.base_client import detect_platform
from nemo_skills.errors import InputError, LocalStateError, RateLimitedError
from tests.client_fakes import FakeGateway, fail, on


async def test_anonymous_token_is_cached_0600_and_reused_by_the_next_client(tmp_path: Path) -> None:
    gw = FakeGateway()
    async with gw.client(config_dir=tmp_path) as client:
        await client.credits()
    auth_file = tmp_path / "auth.json"
    assert stat.S_IMODE(auth_file.stat().st_mode) == 0o600
    saved = json.loads(auth_file.read_text())
    assert saved["tokens"]["http://gw.test"]["token"] == gw.token
    async with gw.client(config_dir=tmp_path) as client:
        await client.credits()
    assert gw.tokens_issued == 1
    first_id = gw.requests[0].headers[protocol.HEADER_CLIENT_ID]
    assert first_id == saved["client_id"]


async def test_config_dir_defaults_to_the_env_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEMO_SKILLS_CONFIG_DIR", str(tmp_path / "cfg"))
    async with FakeGateway().client() as client:
        await client.credits()
    assert (tmp_path / "cfg" / "auth.json").exists()


async def test_a_token_about_to_lapse_is_replaced_before_use(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    gw = FakeGateway()
    async with gw.client(config_dir=tmp_path) as client:
        await client.credits()
    data = json.loads(cache.path.read_text())
    data["tokens"]["http://gw.test"]["expires_at"] = time.time() + 10
    cache.path.write_text(json.dumps(data))
    gw.token = "tok-anon-2"
    async with gw.client(config_dir=tmp_path) as client:
        await client.credits()
    assert gw.tokens_issued == 2
    assert gw.requests[-1].headers["Authorization"] == "Bearer tok-anon-2"


async def test_nemo_token_wins_and_no_anonymous_token_is_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEMO_TOKEN", "registered")
    gw = FakeGateway()
    async with gw.client() as client:
        await client.credits()
        assert not client.anonymous
    assert gw.tokens_issued == 0
    assert gw.requests[0].headers["Authorization"] == "Bearer registered"


async def test_a_damaged_token_cache_is_replaced_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "auth.json").write_text(json.dumps({"client_id": "not-a-uuid", "tokens": ["x"]}))
    gw = FakeGateway()
    async with gw.client(config_dir=tmp_path) as client:
        assert (await client.credits()).total == 100
    saved = json.loads((tmp_path / "auth.json").read_text())
    assert saved["tokens"]["http://gw.test"]["token"] == gw.token


async def test_an_empty_folder_in_place_of_the_token_cache_is_replaced_by_the_cache(tmp_path: Path) -> None:
    (tmp_path / "auth.json").mkdir()
    gw = FakeGateway()
    async with gw.client(config_dir=tmp_path) as client:
        assert (await client.credits()).total == 100
    saved = json.loads((tmp_path / "auth.json").read_text())
    assert saved["tokens"]["http://gw.test"]["token"] == gw.token


async def test_a_folder_with_files_in_place_of_the_token_cache_is_left_alone_and_named(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "auth.json"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    gw = FakeGateway()
    async with gw.client(config_dir=tmp_path) as client:
        with pytest.raises(LocalStateError, match="is a folder with files in it") as info:
            await client.credits()
    assert str(folder) in info.value.message and "Move that folder" in (info.value.action or "")
    assert (folder / "keep.txt").read_text() == "mine"
    assert gw.tokens_issued == 0


def test_token_expiry_reads_each_shape() -> None:
    now = 1_700_000_000.0
    assert token_expiry({"expires_at": now + 5}, now=now) == now + 5
    assert token_expiry({"expiresAt": (now + 5) * 1000}, now=now) == now + 5
    assert token_expiry({"expires_at": "2023-11-14T22:13:25Z"}, now=now) == 1_700_000_005.0
    assert token_expiry({"expires_in": 60}, now=now) == now + 60
    assert token_expiry({}, now=now) == now + protocol.ANON_TOKEN_TTL_SECONDS


async def test_every_request_carries_the_attribution_headers_with_registry_overrides(tmp_path: Path) -> None:
    registry = tmp_path / "registry.yaml"
    registry.write_text("skills:\n  video-leonardo:\n    overrides:\n      version: 9.9.9\n")
    gw = FakeGateway()
    async with gw.client("video-leonardo", registry=registry, platform="cursor") as client:
        await client.connect()
        await client.credits()
        await client.state()
    assert len(gw.requests) == 4
    for request in gw.requests:
        assert request.headers[protocol.HEADER_SKILL_SOURCE] == "video-leonardo"
        assert request.headers[protocol.HEADER_SKILL_VERSION] == "9.9.9"
        assert request.headers[protocol.HEADER_SKILL_PLATFORM] == "cursor"


def test_platform_detection_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    clawhub = tmp_path / ".clawhub" / "skills" / "nemo-video-gen" / "SKILL.md"
    cursor = tmp_path / ".cursor" / "skills" / "x"
    elsewhere = tmp_path / "projects" / "x"
    assert detect_platform(None, (clawhub,)) == "clawhub"
    assert detect_platform(None, (cursor,)) == "cursor"
    assert detect_platform(None, (elsewhere,)) == "unknown"
    # ~/.cursor alone (not its skills folder) is not an install location.
    assert detect_platform(None, (tmp_path / ".cursor" / "extensions",)) == "unknown"
    monkeypatch.setenv("NEMO_SKILLS_PLATFORM", "openclaw")
    assert detect_platform(None, (clawhub,)) == "openclaw"
    assert detect_platform("mine", (clawhub,)) == "mine"


@pytest.mark.parametrize(
    ("skill", "hint", "language"),
    [("nemo-video-gen", "", "en"), ("ai-video-maker-sora", "", None)],
)
async def test_session_is_created_with_the_skills_language_behaviour(
    skill: str, hint: str, language: str | None
) -> None:
    gw = FakeGateway()
    async with gw.client(skill) as client:
        info = await client.connect(language_hint=hint)
    assert info.session_id == "sess-1" and info.bind_id == "bind-1" and info.task_id == "task-1"
    body = json.loads(gw.bodies[-1])
    assert body == protocol.session_body(get_catalog().get(skill).session_language(hint))
    assert body.get("language") == language


async def test_reconnecting_to_a_lost_session_starts_a_new_one_and_says_so() -> None:
    gw = FakeGateway(script=[on(protocol.PATH_STATE_PREFIX, fail(1002, "session not found"))])
    async with gw.client() as client:
        info = await client.connect("old-session")
    assert info.session_id == "sess-1"
    assert info.replaced == "old-session"


async def test_reconnecting_to_a_live_session_keeps_it() -> None:
    gw = FakeGateway()
    async with gw.client() as client:
        info = await client.connect("kept")
    assert info.session_id == "kept" and info.replaced is None
    assert gw.sessions_created == 0


def test_bad_base_url_is_refused() -> None:
    from nemo_skills.client import AsyncNemoClient

    with pytest.raises(InputError, match="base URL"):
        AsyncNemoClient("nemo-video-gen", base_url="ftp://example")


def test_base_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from nemo_skills.client import NemoClient

    monkeypatch.setenv("NEMO_API_BASE", "http://127.0.0.1:9/")
    with NemoClient("nemo-video-gen") as client:
        assert client.base_url == "http://127.0.0.1:9"
    monkeypatch.delenv("NEMO_API_BASE")
    with NemoClient("nemo-video-gen") as client:
        assert client.base_url == protocol.DEFAULT_BASE_URL


def test_secret_file_is_never_world_readable_even_while_written(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.client_id()
    assert stat.S_IMODE(os.stat(cache.path).st_mode) == 0o600
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "auth.json"]
    assert leftovers == []


def test_a_plugin_installed_under_clawhub_is_detected(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sixth_skill: str
) -> None:
    from nemo_skills.catalog import plugins

    monkeypatch.setenv("HOME", str(tmp_path))
    module = plugins.pm.get_plugin("sixth_skill")
    fake = tmp_path / ".clawhub" / "skills" / sixth_skill / "plugin.py"
    monkeypatch.setattr(module, "__file__", str(fake))
    assert detect_platform(skill_name=sixth_skill) == "clawhub"
    assert detect_platform(skill_name="nemo-video-gen") == "unknown"


async def test_an_early_refresh_refused_with_429_keeps_the_still_valid_token(tmp_path: Path) -> None:
    gw = FakeGateway()
    async with gw.client(config_dir=tmp_path) as client:
        await client.credits()
    cache = TokenCache(tmp_path)
    data = json.loads(cache.path.read_text())
    data["tokens"]["http://gw.test"]["expires_at"] = time.time() + 60  # inside the refresh margin
    cache.path.write_text(json.dumps(data))
    limited = httpx.Response(429, headers={"Retry-After": "600000"}, json={"message": "one token per client"})
    gw.script.append(on(protocol.PATH_ANON_TOKEN, limited))
    async with gw.client(config_dir=tmp_path) as client:
        assert (await client.credits()).total == 100
    assert gw.requests[-1].headers["Authorization"] == f"Bearer {gw.token}"


async def test_a_rejected_token_is_replaced_by_the_one_another_process_just_stored(tmp_path: Path) -> None:
    from nemo_skills.client.auth import Authenticator

    issued: list[str] = []

    async def fetch(client_id: str) -> tuple[str, float]:
        # One token per client at a time: a second fetch while the first stands is refused.
        if issued:
            raise RateLimitedError("one token per client at a time")
        issued.append("tok-fresh")
        return "tok-fresh", time.time() + 3600

    first = Authenticator("http://gw.test", fetch, cache=TokenCache(tmp_path), env_token=False)
    second = Authenticator("http://gw.test", fetch, cache=TokenCache(tmp_path), env_token=False)
    TokenCache(tmp_path).put(
        "http://gw.test", CachedToken(token=SecretStr("tok-old"), expires_at=time.time() + 3600)
    )
    assert await first.token() == await second.token() == "tok-old"

    await second.refresh(rejected="tok-old")  # another process is told first, and stores a fresh token
    await first.refresh(rejected="tok-old")
    assert await first.token() == "tok-fresh" and issued == ["tok-fresh"]
