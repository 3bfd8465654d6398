"""The one local check of a file before it is sent or read: 4001 and 4002 are caught here.

`files.media.check_file` says what is wrong with a file; `require_file` turns
that into the error a user reads. The client's upload and a job's inputs both
call it, so a refused file reads the same wherever it is refused.
"""

from __future__ import annotations

import os
from pathlib import Path

from nemo_skills.errors import FileTooLargeError, InputError, UnsupportedFileError, accepted_formats_text
from nemo_skills.files.media import FileCheck, FileIssue, InputKind, check_file

# Issues that are about the file's format, not about the path or its size.
_FORMAT_ISSUES = frozenset({FileIssue.UNSUPPORTED, FileIssue.MISMATCH})


def require_file(
    path: str | os.PathLike[str],
    *,
    max_bytes: int | None,
    limit_of: str = "",
    documents: bool = False,
) -> FileCheck:
    """A usable file's check, or the error a user reads: InputError, UnsupportedFileError, FileTooLargeError.

    `max_bytes` is the upload limit (documents are exempt), `limit_of` names whose
    limit it is, and `documents` allows TXT, MD, DOCX and PDF, which are read
    locally rather than uploaded.
    """
    p = Path(path)
    check = check_file(p, max_bytes=max_bytes)
    if check.issue is FileIssue.MISSING:
        raise InputError(f"{p}: no such file.")
    if check.issue is None and check.kind is InputKind.DOCUMENT and not documents:
        raise UnsupportedFileError(_with_formats(f"{p.name}: unsupported file type (.{check.extension})"))
    if check.issue is FileIssue.TOO_LARGE:
        owner = f" of {limit_of}" if limit_of else ""
        raise FileTooLargeError(f"{check.problem}{owner}.")
    if check.issue in _FORMAT_ISSUES:
        raise UnsupportedFileError(_with_formats(check.problem or f"{p.name}: unsupported file type"))
    if check.problem is not None or check.kind is None:
        raise InputError(f"{check.problem or f'{p.name}: unusable file'}.")
    return check


def _with_formats(problem: str) -> str:
    return f"{problem}. Supported formats: {accepted_formats_text()}."
