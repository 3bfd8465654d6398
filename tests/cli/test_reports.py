"""How replies and errors are printed: a reply once its MP4 is saved, an error with its action."""

from __future__ import annotations

from nemo_skills.cli.reports import reply_block

REPLY = (
    'Done! I generated a 5-second 16:9 scene: "snow". Say "status" to preview it, then say "export" when '
    "you're happy.\n\nTimeline (1 track): 1. Video: snow (0-5s)"
)


def test_after_an_export_the_reply_no_longer_asks_for_one() -> None:
    shown = reply_block(
        REPLY, ["duration is now 5s (was 0s)"], "Timeline (1 track): 1. Video: snow (0-5s)", exported=True
    )
    assert 'say "export"' not in shown.lower()
    assert shown.startswith('Done! I generated a 5-second 16:9 scene: "snow".\n\nTimeline (1 track)')
    assert "duration is now 5s" in shown


def test_without_an_export_the_advice_stays() -> None:
    shown = reply_block(REPLY, [], "Timeline (1 track): 1. Video: snow (0-5s)")
    assert 'then say "export" when you\'re happy.' in shown


def test_an_error_and_its_action_read_as_two_sentences_on_one_line() -> None:
    from nemo_skills.cli.output import one_line

    assert one_line("it was left as it is\nFix the file.") == "it was left as it is. Fix the file."
    assert one_line("Render failed.\n\nExport again.") == "Render failed. Export again."
    assert one_line("no credits left: https://example.com/r?bind=1\nTop up.") == (
        "no credits left: https://example.com/r?bind=1 Top up."
    )
