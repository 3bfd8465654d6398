"""The session store in the shared database: runs at once lose nothing; a foreign file is never overwritten."""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from nemo_skills.jobs.database import StateStoreError
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
    path = tmp_path / "state.db"
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
    path = tmp_path / "state.db"
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
    path = tmp_path / "state.db"
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


def test_the_database_is_private_to_the_user(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "deep" / "state.db")
    store.save(SessionRecord(skill="nemo-video-gen", session_id="s1", base_url="local"))
    assert store.path.stat().st_mode & 0o077 == 0


def test_store_defaults_to_the_data_dir_and_imports_the_old_json_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEMO_SKILLS_DATA_DIR", str(tmp_path))
    old = {"version": 1, "sessions": [{"skill": "a", "session_id": "old1", "base_url": "local"}]}
    (tmp_path / "sessions.json").write_text(json.dumps(old))
    store = SessionStore()
    store.save(SessionRecord(skill="a", session_id="s1", base_url="http://x"))
    assert store.path == tmp_path / "nemo-skills.db"
    assert {r.session_id for r in SessionStore().records()} == {"old1", "s1"}
    assert not (tmp_path / "sessions.json").exists()
    assert (tmp_path / "sessions.json.imported").exists()  # kept, never deleted


@pytest.mark.parametrize("content", [b'{"sessions": [{"skill": ', b"SQLite format 3\x00" + b"\x07" * 200])
def test_a_damaged_or_foreign_file_is_kept_and_reported_never_overwritten(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(content)
    with pytest.raises(StateStoreError, match=r"kept as state\.db\.unreadable-") as caught:
        SessionStore(path).records()
    assert "Run the command again" in caught.value.user_message()
    backups = list(tmp_path.glob("state.db.unreadable-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == content
    store = SessionStore(path)
    store.save(SessionRecord(skill="a", session_id="s1", base_url="http://x"))
    assert store.get("s1") is not None


def test_a_database_of_another_program_is_not_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT)")
    conn.execute("INSERT INTO accounts (owner) VALUES ('someone')")
    conn.commit()
    conn.close()
    with pytest.raises(StateStoreError, match="holds other tables"):
        SessionStore(path).records()
    backup = next(tmp_path.glob("state.db.unreadable-*"))
    assert sqlite3.connect(backup).execute("SELECT owner FROM accounts").fetchall() == [("someone",)]


def test_store_saves_finds_and_updates_records(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "state.db")
    store.save(SessionRecord(skill="a", session_id="s1", base_url="http://x", created=1, updated=1))
    store.save(SessionRecord(skill="a", session_id="s2", base_url="http://y/", created=2, updated=2))
    store.save(SessionRecord(skill="b", session_id="s3", base_url="http://x", created=3, updated=3))
    last = store.last("a")
    assert last is not None and last.session_id == "s2"
    last_x = store.last("a", "http://x")
    assert last_x is not None and last_x.session_id == "s1"
    store.set_pending_render("s1", "render_5")
    got = store.get("s1")
    assert got is not None and got.pending_render == "render_5" and got.created == 1
    assert store.last("a") is not None and store.last("a").session_id == "s1"  # type: ignore[union-attr]
    store.set_last_output("s1", "/tmp/x.mp4")
    got = store.get("s1")
    assert got is not None and got.last_output == "/tmp/x.mp4" and got.pending_render is None
    assert store.get("nope") is None
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_the_last_session_on_a_backend_is_one_look_up_in_its_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SessionStore(tmp_path / "state.db")
    pairs = [("a", "http://x"), ("a", "http://x/"), ("a", "http://y"), ("b", "http://x")]
    for i, (skill, url) in enumerate(pairs):
        store.save(SessionRecord(skill=skill, session_id=f"s{i}", base_url=url))
    asked: list[tuple[str, tuple[object, ...]]] = []
    read = store.db.read

    def recording(sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        asked.append((sql, params))
        return read(sql, params)

    monkeypatch.setattr(store.db, "read", recording)
    last = store.last("a", "http://x")
    assert last is not None and last.session_id == "s1"  # a trailing slash names the same backend
    assert len(asked) == 1
    sql, params = asked[0]
    plan = " ".join(str(row["detail"]) for row in read(f"EXPLAIN QUERY PLAN {sql}", params))
    assert "USING INDEX sessions_by_backend" in plan and "TEMP B-TREE" not in plan, plan
    last_any = store.last(None, "http://x/")
    assert last_any is not None and last_any.session_id == "s3"
