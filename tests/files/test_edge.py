"""How names and text holding bytes that are not UTF-8 are shown and refused."""

from __future__ import annotations

import os

import pytest

from nemo_skills.errors import InputError
from nemo_skills.files.edge import check_name, safe_text, shorten_path


def test_undecodable_bytes_are_shown_as_the_bytes_they_were() -> None:
    name = os.fsdecode(b"bad\xff.jpg")
    assert safe_text(name) == "bad\\xff.jpg"
    assert safe_text(name).encode("ascii")  # printable anywhere


def test_bytes_that_join_into_a_terminal_control_are_still_escaped() -> None:
    # 0xC2 0x9B is the UTF-8 of CSI, which a terminal obeys like ESC [.
    shown = safe_text(os.fsdecode(b"x\xc2\x9b2Jy\xff"))
    assert "\x9b" not in shown and shown == "x\\x9b2Jy\\xff"


def test_a_name_that_is_not_utf8_is_refused_showing_its_end() -> None:
    path = "/very/long/" + "folder/" * 20 + os.fsdecode(b"clip\xfe.mp4")
    with pytest.raises(InputError, match=r"clip\\xfe\.mp4 is not valid UTF-8"):
        check_name(path, "the file name")
    assert check_name("/ok/caf\u00e9.mp4", "the file name") == "/ok/caf\u00e9.mp4"
    assert shorten_path(path).startswith("...") and len(shorten_path(path)) == 80


def test_redact_hides_a_secret_as_given_escaped_or_in_a_bearer_header() -> None:
    from nemo_skills.files.edge import redact

    secret = "abc\r\nX-Evil: 1"
    shown = redact(
        f"Illegal header value {secret.encode()!r}; raw {secret}; Authorization: Bearer tok-123", [secret]
    )
    assert "abc" not in shown and "tok-123" not in shown and shown.count("***") == 3
