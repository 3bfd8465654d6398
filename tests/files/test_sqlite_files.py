"""The shared SQLite helpers: a transaction commits whole or not at all, and says why it could not begin."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from nemo_skills.files.sqlite_files import connect, transaction


def test_a_transaction_commits_on_success_and_rolls_back_on_any_error(tmp_path: Path) -> None:
    conn = connect(tmp_path / "t.db", rows_by_name=True)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with transaction(conn):
        conn.execute("CREATE TABLE t (x INTEGER)")
        conn.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(KeyboardInterrupt), transaction(conn):
        conn.execute("INSERT INTO t VALUES (2)")
        raise KeyboardInterrupt
    assert [row["x"] for row in conn.execute("SELECT x FROM t")] == [1]
    assert not conn.in_transaction


def test_a_transaction_that_cannot_begin_raises_the_callers_error(tmp_path: Path) -> None:
    conn = connect(tmp_path / "t.db")
    conn.execute("BEGIN")  # already in one: a second BEGIN fails

    class Refused(Exception):
        pass

    with pytest.raises(Refused), transaction(conn, refused=lambda exc: Refused(str(exc))):
        pass
    conn.execute("ROLLBACK")


def test_a_file_not_known_to_be_ours_keeps_its_journal_mode(tmp_path: Path) -> None:
    path = tmp_path / "theirs.db"
    sqlite3.connect(path).execute("CREATE TABLE a (x)").connection.commit()
    conn = connect(path, wal=False)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
