"""Shared fixtures: every test runs with its own config and data folders, offline."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nemo_skills.catalog import plugins

SEEDS = Path(__file__).parent / "data" / "seeds"
# The five published skills, named here rather than read from the catalog the tests check.
BUILTIN_SKILLS = frozenset(
    {"nemo-video-gen", "generator-by-link", "ai-video-maker-sora", "free-generator-editor", "video-leonardo"}
)

# A suite a shell starts in the background (`pytest &`) inherits SIGINT ignored, and so would every command
# the tests start: the Ctrl-C tests would then see no Ctrl-C. Their children get the usual disposition back.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep tokens, sessions and settings of tests out of the user's real folders."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("NEMO_SKILLS_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("NEMO_SKILLS_DATA_DIR", str(home / "data"))
    # A worker pool a test starts exits soon after its jobs end, not a minute later.
    monkeypatch.setenv("NEMO_SKILLS_POOL_IDLE", "1")
    for var in (
        "NEMO_TOKEN",
        "NEMO_API_BASE",
        "NEMO_SKILLS_REGISTRY",
        "NEMO_SKILLS_PLUGINS",
        "NEMO_SKILLS_PLATFORM",
        "NEMO_SKILLS_JOBS_URL",
        "NEMO_SKILLS_WORKERS",
    ):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def sixth_skill() -> Iterator[str]:
    """Register the third-party test plugin for one test; yields its skill name."""
    from tests.plugins import sixth_skill as module

    plugins.register_plugin(module, name="sixth_skill")
    try:
        yield module.SKILL.name
    finally:
        plugins.unregister_plugin("sixth_skill")


# --- local backend fixtures -------------------------------------------------------------------


@pytest.fixture(scope="session")
def local_backend() -> Iterator[Any]:
    """A local backend (no faults) shared by the whole test session, on 127.0.0.1."""
    from nemo_skills.local import LocalBackend

    with LocalBackend() as backend:
        yield backend


@pytest.fixture
def backend_factory() -> Iterator[Callable[..., Any]]:
    """Start local backends with faults or settings for one test: backend_factory(faults=Faults(...), **kw)."""
    from nemo_skills.local import LocalBackend

    started: list[Any] = []

    def start(**kwargs: Any) -> Any:
        backend = LocalBackend(**kwargs).start()
        started.append(backend)
        return backend

    try:
        yield start
    finally:
        for backend in reversed(started):
            backend.stop()


@pytest.fixture(scope="session")
def sample_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of tiny real media: photo.jpg, photo2.png, clip.mp4, clip2.mp4, music.wav, music.mp3."""
    from nemo_skills.local.samples import make_samples

    folder = tmp_path_factory.mktemp("sample_media")
    make_samples(folder)
    return folder


# --- PostgreSQL fixtures ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """A throwaway PostgreSQL server (tests/postgres.py) shared by the whole test session; skips the test
    when PostgreSQL's server binaries or psycopg are missing."""
    from tests.postgres import Postgres, available

    reason = available()
    if reason is not None:
        pytest.skip(reason)
    with Postgres() as server:
        yield server


@pytest.fixture
def jobs_db_url(postgres_server: Any) -> Iterator[str]:
    """The URL of a fresh, empty database on the session's PostgreSQL server, dropped after the test."""
    import secrets

    name = f"jobs_{secrets.token_hex(6)}"
    url: str = postgres_server.create_database(name)
    try:
        yield url
    finally:
        postgres_server.drop_database(name)
