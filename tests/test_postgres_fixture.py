"""The throwaway PostgreSQL server the tests start themselves (tests/postgres.py)."""

from __future__ import annotations

from typing import Any

import pytest

psycopg = pytest.importorskip("psycopg")


def test_server_url_connects(postgres_server: Any) -> None:
    with psycopg.connect(postgres_server.url(), connect_timeout=10) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        assert conn.execute("SELECT current_user").fetchone() == (postgres_server.user,)


def test_each_test_gets_its_own_database(postgres_server: Any, jobs_db_url: str) -> None:
    other = postgres_server.create_database("jobs_other_for_this_test")
    try:
        assert other != jobs_db_url
        with psycopg.connect(jobs_db_url, connect_timeout=10) as first:
            first.execute("CREATE TABLE marker (id int)")
            first.commit()
            (name,) = first.execute("SELECT current_database()").fetchone()
        assert name.startswith("jobs_")
        with psycopg.connect(other, connect_timeout=10) as second:
            assert second.execute("SELECT current_database()").fetchone() != (name,)
            assert second.execute("SELECT to_regclass('marker')").fetchone() == (None,)
    finally:
        postgres_server.drop_database("jobs_other_for_this_test")


def test_wrong_password_is_refused(postgres_server: Any) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(postgres_server.url(password="not-the-password"), connect_timeout=10)
