"""What routing keeps between requests never hides a change: registry edits, plugins, shared rows, file checks."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from nemo_skills import Claim, RouteRequest, Skill, hookimpl, route
from nemo_skills.catalog import plugins
from nemo_skills.files import media

SORA = "ai-video-maker-sora"


def test_an_edited_registry_is_read_again_at_the_next_request(tmp_path: Path) -> None:
    registry = tmp_path / "registry.yaml"
    registry.write_text("version: 1\n", encoding="utf-8")
    assert route("use video leonardo", registry=registry).skill == "video-leonardo"
    registry.write_text("version: 1\nskills:\n  video-leonardo: {enabled: false}\n", encoding="utf-8")
    stat = registry.stat()
    os.utime(registry, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a coarse clock may not tick
    result = route("use video leonardo", registry=registry)
    assert result.skill == "nemo-video-gen"
    assert "video-leonardo" not in [row.skill for row in result.scores]


class _Zebras:
    """Claims requests about zebras for Sora, above every built-in rule."""

    @hookimpl
    def route_input(self, request: RouteRequest) -> Claim | None:
        """A hook that takes only the request."""
        if "zebra" in request.text:
            return Claim(skill=SORA, score=500.0, reason="zebras are Sora's")
        return None


class _Doubter:
    """Wraps every other route_input hook and adds a claim of its own to their answers."""

    @hookimpl(wrapper=True)
    def route_input(
        self, request: RouteRequest, skills: dict[str, Skill]
    ) -> Generator[None, list[object], list[object]]:
        """Let the others claim, then outbid them when the text says 'doubt'."""
        results = yield
        if "doubt" in request.text:
            results.append(Claim(skill="generator-by-link", score=999.0, reason="doubted"))
        return results


@pytest.fixture
def registered() -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for name in names:
        plugins.unregister_plugin(name)


def test_a_plugin_registered_on_the_manager_itself_claims_at_the_next_request(registered: list[str]) -> None:
    assert route("a zebra at dawn").skill == "nemo-video-gen"
    plugins.load_plugins().register(_Zebras(), name="zebras")  # straight on the manager, as a host may
    registered.append("zebras")
    result = route("a zebra at dawn")
    assert (result.skill, result.reason) == (SORA, "zebras are Sora's")
    plugins.unregister_plugin("zebras")
    registered.clear()
    assert route("a zebra at dawn").skill == "nemo-video-gen"


def test_a_wrapper_hook_sees_and_changes_every_answer(registered: list[str]) -> None:
    plugins.register_plugin(_Doubter(), name="doubter")
    registered.append("doubter")
    assert route("I doubt this sunset").skill == "generator-by-link"
    assert route("use video leonardo").skill == "video-leonardo"


def test_results_with_the_same_claims_share_no_list_and_their_rows_cannot_change() -> None:
    first, second = route("a sunset"), route("a harbour at night")
    assert first.scores == second.scores
    first.scores.pop()
    assert len(second.scores) == 5
    with pytest.raises(ValidationError):
        second.scores[0].score = 0.0


def test_a_file_is_checked_with_one_stat_and_one_read_of_its_first_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + bytes(1_000_000))
    stats: list[object] = []
    real_stat = os.stat

    def counted(path: object, *args: object, **kwargs: object) -> os.stat_result:
        stats.append(path)
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", counted)
    check = media.check_file(photo)
    assert check.usable and check.size == 1_000_004
    assert len(stats) == 1


def test_a_host_monitoring_hook_calls_sees_every_route_input_call() -> None:
    pm = plugins.load_plugins()
    seen: list[str] = []
    route("a sunset")  # the plain path first, so turning monitoring on must be noticed

    def before(name: str, impls: object, kwargs: object) -> None:
        seen.append(name)

    undo = pm.add_hookcall_monitoring(before, lambda *args: None)
    try:
        assert route("a sunset").skill == "nemo-video-gen"
    finally:
        undo()
    assert seen == ["route_input"]
    route("a sunset")
    assert seen == ["route_input"]
