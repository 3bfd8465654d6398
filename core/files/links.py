"""Links: the one check of an http(s) URL, and finding links in free text.

Used for user links (router, uploads by URL), backend base URLs (the client, `--backend`) and the local
agent's reading of a prompt, so "what counts as a link" is decided here only.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from nemo_skills.errors import InputError
from nemo_skills.files.edge import MAX_URL_CHARS, shown_url

# A link inside free text ends at whitespace, quotes or angle brackets; trailing punctuation is dropped.
LINK_IN_TEXT = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}"


def find_links(text: str) -> list[str]:
    """http(s) URLs in free text, without trailing punctuation, in order."""
    if "://" not in text:  # every link has it: most texts skip the search
        return []
    return [m.group(0).rstrip(_TRAILING) for m in LINK_IN_TEXT.finditer(text)]


def is_link(value: str) -> bool:
    """Whether a value is one http(s) URL with a host and no whitespace."""
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unbalanced '[' read as an IPv6 host
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not any(c.isspace() for c in value)
        and LINK_IN_TEXT.fullmatch(value) is not None
    )


def check_link(value: str) -> str:
    """A user's link, stripped; InputError when it is not an http(s) URL with a host."""
    url = value.strip()
    if len(url) > MAX_URL_CHARS:
        raise InputError(
            f"Link {shown_url(url)} is {len(url):,} characters long; at most {MAX_URL_CHARS:,} are accepted."
        )
    if not is_link(url):
        raise InputError(f"Not a usable link: '{shown_url(value)}' (expected an http:// or https:// URL).")
    return url


def check_base_url(value: str, *, action: str | None = None) -> str:
    """An API base URL: http(s), a host, no query or fragment, no trailing slash; InputError otherwise."""
    url = value.strip()
    if not is_link(url):
        raise InputError(
            f"Not a usable API base URL: {shown_url(value)} (expected http(s)://host[:port]).",
            action=action or "Use an http:// or https:// URL such as http://127.0.0.1:8000.",
        )
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        raise InputError(f"An API base URL takes no query or fragment: {shown_url(value)}", action=action)
    return url.rstrip("/")
