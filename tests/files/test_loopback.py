"""The loopback Host and Origin checks shared by serve-local and `mcp --http`."""

from __future__ import annotations

import pytest

from nemo_skills.files.loopback import host_allowed, host_names, origin_allowed


@pytest.mark.parametrize(
    "header",
    ["localhost", "localhost:8080", "LocalHost:1", "127.0.0.1", "127.0.0.1:65535", "[::1]", "[::1]:80"],
)
def test_loopback_names_pass_with_or_without_a_port(header: str) -> None:
    assert host_allowed(header, host_names("127.0.0.1"))


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "evil.example",
        "evil.example:8080",
        "localhost.evil.example",
        "127.0.0.1.nip.io",
        "127.0.0.2",
        "::1",
        "localhost:80:80",
        "localhost:http",
        "user@localhost",
        "localhost/x",
        "[::2]:80",
    ],
)
def test_anything_else_is_refused(header: str | None) -> None:
    assert not host_allowed(header, host_names("127.0.0.1"))


def test_the_bound_address_is_a_name_too_but_never_a_wildcard() -> None:
    assert host_allowed("127.0.0.5:9", host_names("127.0.0.5"))
    assert host_allowed("[::1]:9", host_names("::1"))
    assert host_names("0.0.0.0") == host_names("::") == host_names(None)


@pytest.mark.parametrize(
    "origins",
    [
        [],
        ["http://localhost"],
        ["http://localhost:5173"],
        ["https://127.0.0.1:8443"],
        ["http://[::1]:80"],
        ["HTTP://LocalHost:1"],
    ],
)
def test_no_origin_or_a_loopback_origin_passes(origins: list[str]) -> None:
    assert origin_allowed(origins, host_names("127.0.0.1"))


@pytest.mark.parametrize(
    "origins",
    [
        ["https://evil.example"],
        ["http://localhost.evil.example"],
        ["http://127.0.0.1.nip.io:80"],
        ["null"],
        [""],
        ["file://"],
        ["ftp://localhost"],
        ["http://localhost/path"],
        ["http://user@localhost"],
        ["http://localhost:80:80"],
        ["http://[::2]"],
        ["http://localhost", "https://evil.example"],
    ],
)
def test_any_other_origin_is_refused(origins: list[str]) -> None:
    assert not origin_allowed(origins, host_names("127.0.0.1"))
