"""The session store shared by runs at once: no run loses another's records."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from nemo_skills.jobs import session_store as store_module
from nemo_skills.jobs.session_store import SessionRecord, SessionStore

# Each child saves its records only once the parent says go, so the two really overlap.
CHILD = """
import sys
from pathlib import Path
from nemo_skills.jobs.session_store import SessionRecord, SessionStore

path, prefix, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
store = SessionStore(path)
print("ready", flush=True)
sys.stdin.readline()
for i in range(count):
    store.save(SessionRecord(skill="nemo-video-gen", session_id=f"{prefix}-{i}", base_url="local"))
    store.set_pending_render(f"{prefix}-{i}", f"render-{prefix}-{i}")
"""


def saved_ids(path: Path) -> set[str]:
    return {r.session_id for r in SessionStore(path).records()}


def test_two_processes_saving_at_once_lose_no_record(tmp_path: Path) -> None:
    path = tmp_path / "sessions.json"
    count = 60
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), name, str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.close()
    for child in children:
        assert child.wait(timeout=60) == 0
    records = SessionStore(path).records()
    assert {r.session_id for r in records} == {f"{p}-{i}" for p in ("a", "b") for i in range(count)}
    assert all(r.pending_render == f"render-{r.session_id}" for r in records)


def test_threads_with_their_own_store_objects_lose_no_record(tmp_path: Path) -> None:
    path = tmp_path / "sessions.json"
    threads, count = 4, 40
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def work(n: int) -> None:
        store = SessionStore(path)
        start.wait()
        try:
            for i in range(count):
                store.save(SessionRecord(skill="nemo-video-gen", session_id=f"t{n}-{i}", base_url="local"))
        except BaseException as exc:  # surfaced below: a thread's exception would vanish
            failures.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert failures == []
    assert saved_ids(path) == {f"t{n}-{i}" for n in range(threads) for i in range(count)}


def test_one_record_changed_by_two_writers_keeps_both_changes(tmp_path: Path) -> None:
    path = tmp_path / "sessions.json"
    SessionStore(path).save(
        SessionRecord(skill="nemo-video-gen", session_id="s1", base_url="local", created=5)
    )
    SessionStore(path).set_pending_render("s1", "render_1")
    SessionStore(path).set_last_output("s1", "/videos/a.mp4")
    record = SessionStore(path).get("s1")
    assert record is not None
    assert (record.pending_render, record.last_output, record.created) == (None, "/videos/a.mp4", 5)
    assert SessionStore(path).modify("nope", lambda r: r) is None
    assert saved_ids(path) == {"s1"}


def test_without_fcntl_the_store_still_works_unlocked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "fcntl", None)
    store = SessionStore(tmp_path / "sessions.json")
    store.save(SessionRecord(skill="nemo-video-gen", session_id="s1", base_url="local"))
    assert saved_ids(store.path) == {"s1"}
    assert not store.lock_path.exists()


def test_the_lock_is_a_private_sibling_file(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "deep" / "sessions.json")
    store.save(SessionRecord(skill="nemo-video-gen", session_id="s1", base_url="local"))
    assert store.lock_path == tmp_path / "deep" / "sessions.json.lock"
    assert store.lock_path.stat().st_mode & 0o077 == 0
