"""Gateway endpoints of the local backend over loopback: tokens, sessions, credits, state, bad input."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from nemo_skills import protocol
from nemo_skills.local import Faults
from tests.local.helpers import Api


def test_anonymous_token_grants_100_credits_for_7_days(local_backend: Any) -> None:
    r = httpx.post(
        local_backend.base_url + protocol.PATH_ANON_TOKEN, headers={"X-Client-Id": str(uuid.uuid4())}
    )
    body = r.json()
    assert r.status_code == 200 and body["code"] == 0
    assert body["data"]["credits"] == 100
    assert body["data"]["token"]
    assert 7 * 24 * 3600 - 60 < body["data"]["expires_in"] <= 7 * 24 * 3600


def test_token_without_client_id_is_http_400(local_backend: Any) -> None:
    r = httpx.post(local_backend.base_url + protocol.PATH_ANON_TOKEN)
    assert r.status_code == 400
    assert "X-Client-Id" in r.json()["message"]


def test_second_token_for_a_client_is_rate_limited_until_the_first_expires(backend_factory: Any) -> None:
    backend = backend_factory(faults=Faults(expire_token_after=1))
    url, client = backend.base_url + protocol.PATH_ANON_TOKEN, {"X-Client-Id": "client-a"}
    token = httpx.post(url, headers=client).json()["data"]["token"]
    again = httpx.post(url, headers=client)
    assert again.status_code == 429
    assert int(again.headers["Retry-After"]) > 0
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.get(backend.base_url + protocol.PATH_CREDITS, headers=auth).json()["code"] == 0
    # The fault expires the token after one call: a new one is then allowed, and the balance is kept.
    assert httpx.get(backend.base_url + protocol.PATH_CREDITS, headers=auth).json()["code"] == 1001
    fresh = httpx.post(url, headers=client)
    assert fresh.status_code == 200 and fresh.json()["data"]["token"] != token


def test_session_carries_ids_and_records_language(local_backend: Any) -> None:
    api = Api(local_backend.base_url)
    r = api.http.post(
        protocol.PATH_CREATE_SESSION, headers=api.headers, json={"task_name": "project", "language": "zh"}
    )
    data = r.json()["data"]
    assert data["session_id"] and data["task_id"] and data["bind_id"]
    assert data["language"] == "zh"
    # ai-video-maker-sora sends no language at all.
    r = api.http.post(protocol.PATH_CREATE_SESSION, headers=api.headers, json={"task_name": "project"})
    assert r.json()["code"] == 0 and r.json()["data"]["language"] is None


@pytest.mark.parametrize("auth", [None, "Bearer nope", "Basic abc", "Bearer"])
def test_bad_tokens_get_1001(local_backend: Any, auth: str | None) -> None:
    headers = {"Authorization": auth} if auth else {}
    r = httpx.get(local_backend.base_url + protocol.PATH_CREDITS, headers=headers)
    assert r.status_code == 200
    assert r.json()["code"] == 1001


def test_auth_http_401_switch(backend_factory: Any) -> None:
    backend = backend_factory(auth_http_401=True)
    r = httpx.get(backend.base_url + protocol.PATH_CREDITS, headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json()["code"] == 1001


def test_unknown_session_is_1002_everywhere(local_backend: Any) -> None:
    api = Api(local_backend.base_url)
    api.session_id = "sess_unknown"
    assert api.http.get(protocol.state_path("sess_unknown"), headers=api.headers).json()["code"] == 1002
    assert api.chat_raw("hello").json()["code"] == 1002
    r = api.http.post(
        protocol.upload_path("sess_unknown"), headers=api.headers, json={"urls": ["https://a.b/c"]}
    )
    assert r.json()["code"] == 1002
    r = api.http.post(
        protocol.PATH_RENDER, headers=api.headers, json=protocol.render_body("r1", "sess_unknown", {"t": []})
    )
    assert r.json()["success"] is False and r.json()["code"] == 1002


def test_sessions_belong_to_their_user(local_backend: Any) -> None:
    alice, bob = Api.connect(local_backend.base_url), Api(local_backend.base_url)
    bob.session_id = alice.session_id
    r = bob.http.get(protocol.state_path(alice.session_id), headers=bob.headers)
    assert r.json()["code"] == 1002


def test_lost_session_fault(backend_factory: Any) -> None:
    backend = backend_factory(faults=Faults(lose_session_after=2))
    api = Api.connect(backend.base_url)
    api.state()
    api.state()
    r = api.http.get(protocol.state_path(api.session_id), headers=api.headers)
    assert r.json()["code"] == 1002
    # Lost for good: a new session is needed.
    assert api.chat_raw("hello").json()["code"] == 1002


def test_lose_session_on_demand(local_backend: Any) -> None:
    api = Api.connect(local_backend.base_url)
    assert local_backend.lose_session(api.session_id)
    assert api.http.get(protocol.state_path(api.session_id), headers=api.headers).json()["code"] == 1002


def test_rate_limit_fault_answers_429_n_times(backend_factory: Any) -> None:
    backend = backend_factory(faults=Faults(rate_limit=2, rate_limit_retry_after=3))
    url = backend.base_url + protocol.PATH_ANON_TOKEN
    answers = [httpx.post(url, headers={"X-Client-Id": str(uuid.uuid4())}) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "3"


def test_rate_limit_can_target_one_path(backend_factory: Any) -> None:
    backend = backend_factory(faults=Faults(rate_limit=1, rate_limit_paths=(protocol.PATH_CREDITS,)))
    api = Api.connect(backend.base_url)
    assert api.http.get(protocol.PATH_CREDITS, headers=api.headers).status_code == 429
    assert api.http.get(protocol.PATH_CREDITS, headers=api.headers).json()["code"] == 0


def test_credits_and_registered_tokens(backend_factory: Any) -> None:
    backend = backend_factory(registered_tokens={"reg-token-123": 500})
    r = httpx.get(backend.base_url + protocol.PATH_CREDITS, headers={"Authorization": "Bearer reg-token-123"})
    data = r.json()["data"]
    assert (data["available"], data["frozen"], data["total"]) == (500, 0, 500)
    assert data["anonymous"] is False
    assert "reg-token-123" not in repr(backend.settings) and "reg-token-123" not in str(backend.settings)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b"", "empty"),
        (b'{"session_id": 5}', "session_id"),
        (b'{"session_id": "s"}', "new_message"),
        (b'{"session_id": "s", "new_message": {"parts": [{"image": 1}]}}', "no text"),
    ],
)
def test_malformed_chat_bodies_get_400_with_a_clear_message(
    local_backend: Any, body: bytes, needle: str
) -> None:
    api = Api.connect(local_backend.base_url)
    r = api.http.post(
        protocol.PATH_RUN_SSE, headers={**api.headers, "content-type": "application/json"}, content=body
    )
    assert r.status_code == 400
    assert needle in r.json()["message"]


def test_unknown_paths_and_methods_answer_in_the_envelope(local_backend: Any) -> None:
    r = httpx.get(local_backend.base_url + "/api/nothing")
    assert r.status_code == 404 and r.json()["code"] == 404
    r = httpx.get(local_backend.base_url + protocol.PATH_RUN_SSE)
    assert r.status_code == 405 and "GET" in r.json()["message"]


def test_health_says_rule_based(local_backend: Any) -> None:
    data = httpx.get(local_backend.base_url + "/healthz").json()["data"]
    assert data == {"backend": "local", "agent": "rule-based", "generative": False}
