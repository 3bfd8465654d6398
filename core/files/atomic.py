"""Small file-system helpers: atomic writes and the user's config and data folders."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import platformdirs

APP_DIR_NAME = "nemo-skills"
ENV_CONFIG_DIR = "NEMO_SKILLS_CONFIG_DIR"
ENV_DATA_DIR = "NEMO_SKILLS_DATA_DIR"
DEFAULT_FILE_MODE = 0o644


def config_dir() -> Path:
    """The user's nemo-skills config folder (NEMO_SKILLS_CONFIG_DIR, else the platform's)."""
    env = os.environ.get(ENV_CONFIG_DIR)
    return Path(env) if env else Path(platformdirs.user_config_dir(APP_DIR_NAME))


def data_dir() -> Path:
    """The user's nemo-skills data folder (NEMO_SKILLS_DATA_DIR, else the platform's)."""
    env = os.environ.get(ENV_DATA_DIR)
    return Path(env) if env else Path(platformdirs.user_data_dir(APP_DIR_NAME))


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, mode: int = DEFAULT_FILE_MODE) -> None:
    """Write a file so readers see the old or the new content, never a mix; `mode` applies from the start."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file 0600, so a secret is never readable by others, even briefly.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            if mode != 0o600:
                os.fchmod(fh.fileno(), mode)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(
    path: str | os.PathLike[str], text: str, *, mode: int = DEFAULT_FILE_MODE, encoding: str = "utf-8"
) -> None:
    """Write a text file atomically (see atomic_write_bytes)."""
    atomic_write_bytes(path, text.encode(encoding), mode=mode)
