"""The public API: `__all__` is complete and sorted, every name imports and is documented, import stays light."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import nemo_skills

ROOT = Path(__file__).resolve().parent.parent
# The API reference lives in docs/embedding.md; the README may carry it instead.
DOCS = (ROOT / "docs" / "embedding.md", ROOT / "README.md")
PUBLIC = [name for name in nemo_skills.__all__ if name != "__version__"]


def test_all_is_sorted_without_duplicates() -> None:
    assert nemo_skills.__all__ == sorted(set(nemo_skills.__all__))


def test_all_lists_every_exported_name() -> None:
    exported = set(nemo_skills._EXPORTS)
    assert exported - set(nemo_skills.__all__) == set(), "exported but missing from __all__"
    assert set(PUBLIC) - exported == set(), "in __all__ but not importable lazily"


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_imports_and_has_a_docstring(name: str) -> None:
    obj = getattr(nemo_skills, name)
    if inspect.isclass(obj):
        # Its own docstring, not one inherited from pydantic or Exception.
        assert (vars(obj).get("__doc__") or "").strip(), f"{name} has no docstring"
    elif callable(obj):
        assert (obj.__doc__ or "").strip(), f"{name} has no docstring"
    if inspect.isclass(obj) and obj.__module__.startswith("nemo_skills"):
        for attr, member in vars(obj).items():
            if attr.startswith("_") or not (inspect.isfunction(member) or isinstance(member, property)):
                continue
            func = member.fget if isinstance(member, property) else member
            assert (getattr(func, "__doc__", None) or "").strip(), f"{name}.{attr} has no docstring"


def test_every_public_name_is_in_the_api_reference() -> None:
    text = "\n".join(doc.read_text(encoding="utf-8") for doc in DOCS if doc.is_file())
    missing = [name for name in PUBLIC if f"`{name}`" not in text]
    assert missing == []


def test_names_are_the_library_objects() -> None:
    from nemo_skills.client import AsyncNemoClient
    from nemo_skills.errors import RenderTimeoutError

    assert nemo_skills.AsyncNemoClient is AsyncNemoClient
    assert nemo_skills.RenderTimeoutError is RenderTimeoutError
    assert "open_session" in dir(nemo_skills)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'NotAThing'"):
        nemo_skills.NotAThing  # noqa: B018


def test_importing_the_package_loads_no_client_or_server_code() -> None:
    code = (
        "import sys, nemo_skills; "
        "heavy = ['httpx', 'mcp', 'starlette', 'nemo_skills.client', 'nemo_skills.catalog.registry']; "
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_route_list_and_get_skill_honour_a_registry(tmp_path: Path) -> None:
    registry = tmp_path / "registry.yaml"
    registry.write_text("include_unlisted: false\nskills:\n  video-leonardo: {}\n", encoding="utf-8")
    assert [s.name for s in nemo_skills.list_skills(registry=registry)] == ["video-leonardo"]
    assert nemo_skills.route("a 5-second sunset", registry=registry).skill == "video-leonardo"
    with pytest.raises(nemo_skills.UnknownSkillError):
        nemo_skills.get_skill("nemo-video-gen", registry=registry)


def test_generate_skill_md_takes_a_name_or_a_skill() -> None:
    by_name = nemo_skills.generate_skill_md("video-leonardo")
    by_skill = nemo_skills.generate_skill_md(nemo_skills.get_skill("video-leonardo"))
    assert by_name == by_skill
    assert by_name.startswith("---\n") and "X-Skill-Source" in by_name and "video-leonardo" in by_name


def test_open_session_sync_chats_and_continues_a_session(local_backend: Any) -> None:
    from nemo_skills.client.settings import ClientOptions

    fast = ClientOptions(poll_initial=0.02, poll_max=0.1, settle_interval=0.05)
    with nemo_skills.open_session_sync("nemo-video-gen", base_url=local_backend.base_url, options=fast) as s:
        reply = s.send("a 5-second sunset over a city skyline")
        session_id = s.session_id
        assert reply.text and session_id
    with nemo_skills.open_session_sync(
        "nemo-video-gen", session_id=session_id, base_url=local_backend.base_url, options=fast
    ) as again:
        assert again.session_id == session_id
        assert again.state().draft.ready_to_export


def test_session_send_after_a_broken_stream_reports_what_the_state_shows(backend_factory: Any) -> None:
    from nemo_skills.client.settings import ClientOptions
    from nemo_skills.local import Faults

    fast = ClientOptions(poll_initial=0.02, poll_max=0.1, settle_interval=0.05)
    # Slow heartbeats: the drop comes only after the edit is applied.
    dropped = backend_factory(faults=Faults(drop_stream_after=3, empty_reply_share=0), heartbeat_interval=30)
    with nemo_skills.open_session_sync("nemo-video-gen", base_url=dropped.base_url, options=fast) as s:
        reply = s.send("a 5-second sunset")
        assert "broke off" in reply.text and "shows the request was applied" in reply.text
        assert s.state().timeline == "Timeline (1 track): 1. Video: sunset (0-5s)"
    failed = backend_factory(faults=Faults(stream_error_times=1, empty_reply_share=0))
    with nemo_skills.open_session_sync("nemo-video-gen", base_url=failed.base_url, options=fast) as s:
        with pytest.raises(nemo_skills.BackendError) as info:
            s.send("a 5-second sunset")
        assert not s.state().draft.ready_to_export
    assert "not applied" in info.value.user_message()
    assert dropped.chat_requests == 1 and failed.chat_requests == 1


def test_generate_skill_md_names_the_choices_for_a_bad_format() -> None:
    with pytest.raises(nemo_skills.InputError, match="formats: clawhub, agentskills"):
        nemo_skills.generate_skill_md("video-leonardo", format="markdown")


def test_tool_schemas_name_the_dialects_for_a_bad_one() -> None:
    with pytest.raises(nemo_skills.InputError, match="formats: openai, anthropic, mcp"):
        nemo_skills.tool_schemas("gemini")
