"""Checks of what a user, a file or the network hands in: ids, tokens, URLs, prompts, numbers, shown text.

Each check either returns the value to use or raises the InputError a user
reads; the message never repeats a secret and shows other values shortened
and with control characters escaped, so a hostile value cannot take over a
terminal or flood it.

What is shown goes through one masking too: `redact` for known secrets and
bearer credentials, `mask_credentials` for the user and password of any URL
(in messages, JSON, progress, replies and, through `CredentialsFilter`, logs).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import PurePath

from nemo_skills.errors import InputError

MAX_PROMPT_CHARS = 20_000
MAX_URL_CHARS = 2_048
MAX_BATCH_LINES = 1_000
MAX_ID_CHARS = 128
SHOWN_CHARS = 80

# Session, render and job ids the backends and the journal issue: letters, digits, '-', '_', '.', ':'.
# A leading '.' is refused so an id can never name a parent folder in a URL path.
_ID = re.compile(r"[A-Za-z0-9_:-][A-Za-z0-9_.:-]{0,127}")
# Printable ASCII without space: what an HTTP header value can carry as a bearer token.
TOKEN_PATTERN = re.compile(r"[\x21-\x7e]{1,4096}")
# C0 and C1 controls and DEL, except newline and tab (kept for multi-line replies).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_ALL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def safe_text(text: str, *, keep_newlines: bool = True) -> str:
    """Text with terminal control characters (ESC, CR, BEL, ...) escaped as \\xNN; undecodable bytes too."""
    if _has_surrogates(text):
        text = _undecodable_shown(text)
    pattern = _CONTROL if keep_newlines else _CONTROL_ALL
    return pattern.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


_BEARER = re.compile(r"Bearer\s+[^\s'\"]+", re.IGNORECASE)

# The credentials of a URL: what stands before the last '@' of its authority. With a scheme
# (`https://user:password@host`), or without one (`user:password@host`), as a reply may quote a
# link; a password may hold '@', so the match runs to the last '@' before the host.
_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)[^\s/?#'\"<>]*@"
    r"|(?<![\w.%+-])(?!mailto:)[\w.~%!$&*+,;=-]+:[^\s/?#'\"<>]+@(?=[\w\[])",
    re.IGNORECASE,
)


def mask_credentials(text: str) -> str:
    """Text (a URL, or anything quoting URLs) with each URL's user and password shown as ***.

    The one masking of URL credentials: error lines, --json, progress, replies, logs and
    listings all show URLs through it, while the URL itself keeps working where it is used.
    """
    if "@" not in text:  # every credential ends with one: most texts skip the search
        return text
    return _URL_CREDENTIALS.sub(lambda m: f"{m.group('scheme') or ''}***@", text)


class CredentialsFilter(logging.Filter):
    """A logging filter that masks URL credentials in each record's message and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record with its text masked; every record passes."""
        message = record.getMessage()
        masked = mask_credentials(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_credentials(record.exc_text)
        return True


def mask_credentials_in_logs() -> None:
    """Have every handler of the root logger mask URL credentials (call after configuring logging)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, CredentialsFilter) for f in handler.filters):
            handler.addFilter(CredentialsFilter())


def redact(text: str, secrets: Iterable[str]) -> str:
    """Text with every secret (as given, or escaped as an error may quote it), any bearer credential and
    any URL's credentials as ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
            text = text.replace(safe_text(secret, keep_newlines=False), "***")
            text = text.replace(repr(secret.encode("utf-8", "replace"))[2:-1], "***")
    return mask_credentials(_BEARER.sub("Bearer ***", text))


def _undecodable_shown(text: str) -> str:
    # Undecodable bytes of a file name or argv arrive as lone surrogates, which cannot be printed:
    # shown as the bytes they stand for (b'bad\xff.jpg' reads bad\xff.jpg). Controls are escaped after.
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def shorten(text: str, limit: int = SHOWN_CHARS) -> str:
    """One line of at most `limit` characters, escaped, for quoting a value in a message."""
    text = safe_text(text, keep_newlines=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shorten_path(value: str, limit: int = SHOWN_CHARS) -> str:
    """A path shortened from the left (the file name is the part a user recognises), escaped."""
    text = safe_text(value, keep_newlines=False)
    return text if len(text) <= limit else "..." + text[3 - limit :]


def check_id(value: str, what: str) -> str:
    """A session, render or job id, or InputError before anything is sent with it."""
    if not _ID.fullmatch(value):
        raise InputError(
            f"{what} {shorten(value, 40)!s} is not a valid id "
            f"(letters, digits, '-', '_', '.', ':'; at most {MAX_ID_CHARS} characters).",
            action="Copy the id from `nemo-skills jobs` or from the output of the command that made it.",
        )
    return value


def check_token(value: str, where: str) -> str:
    """A bearer token (printable ASCII, no spaces); the error names where it came from, never the value."""
    if not TOKEN_PATTERN.fullmatch(value):
        raise InputError(
            f"{where} is not a usable token: only printable ASCII without spaces or line breaks is allowed.",
            action=f"Fix or unset {where}; it was not sent.",
        )
    return value


def shown_url(value: str) -> str:
    """A URL as a message may show it: user and password masked, shortened, escaped."""
    return shorten(mask_credentials(value), SHOWN_CHARS)


def check_prompt(text: str, *, what: str = "the request") -> str:
    """A prompt within the documented length, as valid text (bad UTF-8 is bad input, not a crash)."""
    if _has_surrogates(text):
        raise InputError(
            f"{what} is not valid UTF-8 text ({shorten(text, 40)}).", action="Save it as UTF-8 and try again."
        )
    if "\x00" in text:
        raise InputError(f"{what} holds NUL bytes: is it a binary file?")
    if len(text) > MAX_PROMPT_CHARS:
        raise InputError(
            f"{what} is {len(text):,} characters long; at most {MAX_PROMPT_CHARS:,} are accepted.",
            action="Shorten it, or put the material in a document (--file notes.md).",
        )
    return text


def check_name(value: str, what: str) -> str:
    """A file or folder name as text; one holding bytes that are not UTF-8 cannot be recorded or sent."""
    if _has_surrogates(value):
        raise InputError(
            f"{what} {shorten_path(value)} is not valid UTF-8, so it cannot be recorded or sent.",
            action="Use a name that is valid UTF-8 (rename the file, or copy it to such a name).",
        )
    return value


def relative_name(value: str, what: str) -> PurePath:
    """A path that stays inside a folder: relative, no '..', no '~'; else InputError."""
    path = PurePath(value)
    if not value or path.is_absolute() or value.startswith("~") or ".." in path.parts:
        raise InputError(
            f"{what} {shorten(value, 60)} must be a name inside the output folder "
            "(no absolute path, no '..', no '~')."
        )
    return path
