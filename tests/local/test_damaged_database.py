"""A local backend database file that is damaged or not a database is set aside with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from nemo_skills.errors import LocalStateError
from nemo_skills.local.db import DB_FILE, Database


def test_a_file_that_is_not_a_database_is_kept_aside_and_the_next_start_begins_anew(tmp_path: Path) -> None:
    path = tmp_path / DB_FILE
    path.write_bytes(b"this is not SQLite, just text someone saved here " * 100)

    with pytest.raises(LocalStateError, match=r"was not a local backend database .* it was kept as") as err:
        Database(path)
    assert err.value.action is not None and "Run the command again" in err.value.action
    kept = list(tmp_path.glob(f"{DB_FILE}.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_bytes().startswith(b"this is not SQLite")

    again = Database(path)
    try:
        with again.read() as conn:
            assert conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("1",)
    finally:
        again.close()
