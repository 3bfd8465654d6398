"""Links: the one check of an http(s) URL, and finding links in free text.

Used for user links (router, uploads by URL), backend base URLs (the client, `--backend`) and the local
agent's reading of a prompt, so "what counts as a link" is decided here only.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from nemo_skills.errors import InputError
from nemo_skills.files.edge import MAX_URL_CHARS, shorten, shown_url

# A link inside free text ends at whitespace, quotes or angle brackets; trailing punctuation is dropped.
LINK_IN_TEXT = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}"
MAX_PORT = 65_535
MAX_HOST_CHARS = 253
MAX_LABEL_CHARS = 63


def find_links(text: str) -> list[str]:
    """http(s) URLs in free text, without trailing punctuation, in order."""
    if "://" not in text:  # every link has it: most texts skip the search
        return []
    return [m.group(0).rstrip(_TRAILING) for m in LINK_IN_TEXT.finditer(text)]


def link_problem(value: str) -> str | None:
    """Why a value is not one usable http(s) URL (None when it is): scheme, host, port, characters."""
    if not value.strip():
        return "it is empty"
    if any(c.isspace() for c in value):
        return "it holds spaces or line breaks"
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unbalanced '[' read as an IPv6 host
        return "it cannot be read as a URL"
    if parts.scheme.lower() not in ("http", "https"):
        return "it is not an http:// or https:// URL"
    host = parts.hostname
    if not host:
        return "it names no host"
    if LINK_IN_TEXT.fullmatch(value) is None:
        return "it holds quotes or angle brackets"
    if not _is_host(host):
        return f"{shorten(host, 40)} is not a host name or IP address"
    try:
        port = parts.port
    except ValueError:  # not a number, or past 65535
        port = -1
    if port is not None and not 1 <= port <= MAX_PORT:
        shown = parts.netloc.rpartition(":")[2]
        return f"port {shorten(shown, 12)} is not a number from 1 to {MAX_PORT}"
    return None


def _is_host(host: str) -> bool:
    """An IP address, or a name of dot-separated labels (letters, digits, '-', '_') of 1-63 characters."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return True
    # A trailing dot is a fully qualified name; '_' is not in the standard but some private networks use it.
    labels = host.removesuffix(".").split(".")
    return len(host) <= MAX_HOST_CHARS and all(
        0 < len(label) <= MAX_LABEL_CHARS
        and all(c.isalnum() or c in "-_" for c in label)
        and not label.startswith("-")
        and not label.endswith("-")
        for label in labels
    )


def is_link(value: str) -> bool:
    """Whether a value is one http(s) URL with a valid host (and port), and no whitespace."""
    return link_problem(value) is None


def check_link(value: str) -> str:
    """A user's link, stripped; InputError when it is not an http(s) URL with a valid host and port."""
    url = value.strip()
    if len(url) > MAX_URL_CHARS:
        raise InputError(
            f"Link {shown_url(url)} is {len(url):,} characters long; at most {MAX_URL_CHARS:,} are accepted."
        )
    problem = link_problem(url)
    if problem is not None:
        raise InputError(
            f"Not a usable link: '{shown_url(value)}' ({problem}; expected an http:// or https:// URL)."
        )
    return url


def check_base_url(value: str, *, action: str | None = None, what: str = "API base URL") -> str:
    """An API base URL: http(s), a valid host and port, no query or fragment; without a trailing slash.

    InputError otherwise, naming `what` was given (`--backend`, `NEMO_API_BASE`) and the problem.
    """
    url = value.strip()
    problem = link_problem(url)
    if problem is not None:
        raise InputError(
            f"Not a usable {what}: '{shown_url(value)}' ({problem}; expected http(s)://host[:port]).",
            action=action or "Use an http:// or https:// URL such as http://127.0.0.1:8000.",
        )
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        raise InputError(f"A {what} takes no query or fragment: {shown_url(value)}", action=action)
    return url.rstrip("/")
