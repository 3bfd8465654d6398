"""The one file lock: held across open files (as across processes), polled on an event loop, owner-only."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

from nemo_skills.files.locks import file_lock, file_lock_async


def test_a_waiter_on_the_event_loop_gets_the_lock_only_once_it_is_let_go(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "x.lock"
    got: list[str] = []

    async def scenario() -> None:
        async def waiter() -> None:
            async with file_lock_async(path):
                got.append("waiter")

        with file_lock(path):
            task = asyncio.create_task(waiter())
            await asyncio.sleep(0)  # the waiter tries once, is refused, and polls again later
            assert not task.done() and got == []
        await task
        assert got == ["waiter"]

    asyncio.run(scenario())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_lock_is_let_go_when_the_holder_fails(tmp_path: Path) -> None:
    path = tmp_path / "y.lock"
    try:
        with file_lock(path):
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with file_lock(path):  # would wait for ever if the failure had kept it
        pass
