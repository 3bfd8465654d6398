"""X-Skill-Platform: an explicit setting, else NEMO_SKILLS_PLATFORM, else where the code is installed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from nemo_skills import protocol


def install_paths(skill_name: str | None = None) -> tuple[Path, ...]:
    """Where the running code lives: this package, the script being run, and the skill's plugin module."""
    here = Path(__file__).resolve().parent
    paths = [here]
    if sys.argv and sys.argv[0]:
        paths.append(Path(sys.argv[0]).resolve())
    if skill_name:
        paths.extend(_plugin_paths(skill_name))
    return tuple(paths)


def _plugin_paths(skill_name: str) -> list[Path]:
    try:
        from nemo_skills.catalog import plugins
        from nemo_skills.catalog.registry import get_catalog

        catalog = get_catalog()
        if skill_name not in catalog:
            return []
        module = plugins.pm.get_plugin(catalog.plugin_of(skill_name))
    except Exception:  # a registry problem must not break the headers
        return []
    source = getattr(module, "__file__", None)
    return [Path(source).resolve()] if isinstance(source, str) else []


def detect_platform(
    explicit: str | None = None, paths: tuple[Path, ...] | None = None, *, skill_name: str | None = None
) -> str:
    """X-Skill-Platform: the explicit value, else NEMO_SKILLS_PLATFORM, else the install path rule."""
    if explicit:
        return explicit
    env = os.environ.get(protocol.ENV_PLATFORM)
    if env:
        return env
    for path in paths if paths is not None else install_paths(skill_name):
        text = str(path.expanduser())
        for prefix, platform in protocol.PLATFORM_INSTALL_DIRS:
            root = str(Path(prefix).expanduser())
            if text == root or text.startswith(root.rstrip("/") + "/"):
                return platform
    return protocol.PLATFORM_UNKNOWN
