"""pytest fixtures for skill authors: `nemo_local_backend`, a local backend for the test session.

Registered under the `pytest11` entry point. Nothing heavy is imported until a
fixture is used, so installing nemo-skills without the [local] extra leaves
pytest unaffected.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from nemo_skills.local.http.server import LocalBackend


@pytest.fixture(scope="session")
def nemo_local_backend() -> Iterator[LocalBackend]:
    """A running local backend (no faults) for the whole test session; its `base_url` is on 127.0.0.1."""
    try:
        from nemo_skills.local.http.server import LocalBackend
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        pytest.skip(f"the local backend needs nemo-skills[local]: {exc}")
    with LocalBackend() as backend:
        yield backend
