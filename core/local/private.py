"""Owner-only permissions for everything the backend keeps: folders 0700, files 0600.

Uploads and renders are a user's media and the database holds their sessions, so
nobody else on the machine may read them. Modes are set explicitly after creating,
whatever the umask, and tightened again on start for a folder an older version left
readable.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create a folder (and missing parents) if needed and make it owner-only."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    # A folder another user made (a data folder shared between accounts) stays as that user set it.
    with contextlib.suppress(PermissionError):
        os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create an empty file if it is missing and make it owner-only (an existing file keeps its bytes)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        with contextlib.suppress(PermissionError):
            os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path


def tighten(folder: Path) -> None:
    """Make a folder the backend keeps, and everything in it, owner-only; links are left alone."""
    if not folder.is_dir() or folder.is_symlink():
        return
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            item = Path(root) / name
            with contextlib.suppress(OSError):
                mode = item.lstat().st_mode
                if stat.S_ISDIR(mode):
                    os.chmod(item, DIR_MODE)
                elif stat.S_ISREG(mode):
                    os.chmod(item, FILE_MODE)


# What shows a folder is the backend's own, so tightening it takes nothing from anyone.
_BACKEND_ENTRIES = ("backend.db", "uploads", "renders", "state.json")


def claim_data_dir(folder: Path) -> Path:
    """Create the data folder owner-only; tighten an existing one that is empty or already the backend's.

    A folder holding other things keeps its mode: the backend's own files and
    folders in it are owner-only anyway.
    """
    if not folder.exists():
        return private_dir(folder)
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is not a folder")
    entries = {entry.name for entry in folder.iterdir()}
    if not entries or entries & set(_BACKEND_ENTRIES):
        private_dir(folder)
    return folder
