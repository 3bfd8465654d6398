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


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("http://user:s3cret@127.0.0.1:1", "http://***@127.0.0.1:1"),
        (
            "Cannot reach https://u:p@ss@host.example/x: refused",
            "Cannot reach https://***@host.example/x: refused",
        ),
        ("http://TOKEN@host/a?b=c@d", "http://***@host/a?b=c@d"),  # an '@' past the host is not a credential
        (
            "highlights from user:s3cret@example.com",
            "highlights from ***@example.com",
        ),  # quoted without scheme
        ('"ftp://a:b@[::1]:21/"', '"ftp://***@[::1]:21/"'),
        (
            "write to bob@example.com or mailto:bob@example.com",
            "write to bob@example.com or mailto:bob@example.com",
        ),
        ("https://medium.com/@user/post at 10:30@ noon", "https://medium.com/@user/post at 10:30@ noon"),
    ],
)
def test_a_urls_user_and_password_are_masked_wherever_text_quotes_it(text: str, shown: str) -> None:
    from nemo_skills.files.edge import mask_credentials, redact, shown_url

    assert mask_credentials(text) == shown
    assert redact(text, []) == shown
    assert "s3cret" not in shown_url(text)


def test_log_records_show_no_url_credentials(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from nemo_skills.files.edge import CredentialsFilter

    caplog.handler.addFilter(CredentialsFilter())
    log = logging.getLogger("nemo_skills.test")
    try:
        raise ValueError("bad http://me:s3cret@host/")
    except ValueError:
        log.exception("failed on %s", "https://me:s3cret@host/x")
    assert (
        "s3cret" not in caplog.text
        and "https://***@host/x" in caplog.text
        and "http://***@host/" in caplog.text
    )


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("", "it is empty"),
        ("http://a b.com/x", "spaces"),
        ("ftp://example.com/a", "not an http:// or https:// URL"),
        ("http://[::1", "cannot be read"),
        ("http://", "names no host"),
        ("http://:8000/", "names no host"),
        ("http://127.0.0.1:99999/", "port 99999 is not a number from 1 to 65535"),
        ("http://127.0.0.1:0/", "port 0 is not"),
        ("https://example.com:abc/", "port abc is not"),
        ("http://-bad-.com/", "-bad-.com is not a host name or IP address"),
        ("http://a..b/", "a..b is not a host name"),
        ("http://" + "a" * 64 + ".com/", "is not a host name"),
    ],
)
def test_a_link_names_its_problem(url: str, problem: str) -> None:
    from nemo_skills.files.links import check_link, is_link, link_problem

    found = link_problem(url)
    assert found is not None and problem in found
    assert not is_link(url)
    with pytest.raises(InputError, match="Not a usable link"):
        check_link(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000",
        "https://example.com:65535/a",
        "http://[::1]:8080/",
        "https://xn--bcher-kva.example/",
        "https://bücher.example/x",
        "http://my_service:8000/",
        "http://localhost./",
        "https://user:pw@example.com/a",
    ],
)
def test_usable_links_stay_usable(url: str) -> None:
    from nemo_skills.files.links import check_link, is_link

    assert is_link(url) and check_link(url) == url
