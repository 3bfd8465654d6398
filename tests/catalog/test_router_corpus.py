"""Routing decisions stay identical over a corpus of requests recorded before routing was made faster."""

from __future__ import annotations

from pathlib import Path

from tests.catalog import route_corpus


def test_every_decision_of_the_corpus_is_the_recorded_one(tmp_path: Path) -> None:
    recorded = route_corpus.DIGESTS.read_text(encoding="utf-8").splitlines()
    assert route_corpus.digests(tmp_path) == recorded
