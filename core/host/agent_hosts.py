"""Where each agent host looks for skills and for its MCP servers, by its documented locations.

Every path starts from the user's home (or the host's own environment override),
so a temporary HOME moves them all.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from nemo_skills.skillmd.context import Format

__all__ = ["AgentHost", "HostLayout", "layout"]

# The key under which every supported host's MCP file lists its servers.
MCP_SERVERS_KEY = "mcpServers"


class AgentHost(StrEnum):
    """The hosts `nemo-skills install` knows."""

    OPENCLAW = "openclaw"
    CLAUDE_DESKTOP = "claude-desktop"
    CLAUDE_CODE = "claude-code"
    CURSOR = "cursor"


class HostLayout(BaseModel):
    """One host's skills folder, MCP configuration file and the key path of its server table."""

    model_config = ConfigDict(frozen=True)

    host: AgentHost
    skills_dir: Path | None
    skill_format: Format
    mcp_file: Path | None
    servers_key: tuple[str, ...]
    mcp_by_default: bool


# OpenClaw's own names for its state folder and config file, the first that exists winning.
OPENCLAW_STATE_NAMES = (".openclaw", ".clawdbot")
OPENCLAW_CONFIG_NAMES = ("openclaw.json", "clawdbot.json")


def _home(env: dict[str, str]) -> Path:
    return Path(env["HOME"]) if env.get("HOME") else Path.home()


def _expand(value: str, home: Path) -> Path:
    """`value` with a leading `~` read as `home` (the environment given, not this process's), made absolute."""
    if value == "~" or value.startswith(("~/", "~\\")):
        value = str(home) + value[1:]
    return Path(os.path.abspath(value))


def _env_path(env: dict[str, str], name: str, home: Path | None = None) -> Path | None:
    value = env.get(name, "").strip()
    return _expand(value, home if home is not None else _home(env)) if value else None


def _first_existing(folder: Path, names: tuple[str, ...]) -> Path:
    return next((folder / n for n in names if (folder / n).exists()), folder / names[0])


def _openclaw_paths(env: dict[str, str]) -> tuple[Path, Path]:
    """OpenClaw's state folder and config file, resolved the way OpenClaw resolves them."""
    # OPENCLAW_HOME replaces HOME for every OpenClaw path, `~` in its overrides included.
    home = _env_path(env, "OPENCLAW_HOME") or _home(env)
    state = _env_path(env, "OPENCLAW_STATE_DIR", home) or _first_existing(home, OPENCLAW_STATE_NAMES)
    config = _env_path(env, "OPENCLAW_CONFIG_PATH", home) or _first_existing(state, OPENCLAW_CONFIG_NAMES)
    return state, config


def _claude_desktop_file(env: dict[str, str]) -> Path:
    home = _home(env)
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "Claude" / "claude_desktop_config.json"
    if sys.platform == "win32":
        appdata = _env_path(env, "APPDATA") or home / "AppData" / "Roaming"
        return appdata / "Claude" / "claude_desktop_config.json"
    # Linux builds follow the XDG config folder.
    xdg = _env_path(env, "XDG_CONFIG_HOME") or home / ".config"
    return xdg / "Claude" / "claude_desktop_config.json"


def layout(
    host: AgentHost, *, workspace: Path | None = None, env: dict[str, str] | None = None
) -> HostLayout:
    """Where `host` keeps skills and MCP servers, honouring its environment overrides."""
    env = dict(os.environ) if env is None else env
    home = _home(env)
    if host is AgentHost.OPENCLAW:
        state, config = _openclaw_paths(env)
        # A workspace's skills/ folder wins over the managed one in OpenClaw's lookup order.
        skills = (workspace / "skills") if workspace is not None else state / "skills"
        return HostLayout(
            host=host,
            skills_dir=skills,
            skill_format=Format.CLAWHUB,
            mcp_file=config,
            servers_key=("mcp", "servers"),
            mcp_by_default=False,
        )
    if host is AgentHost.CLAUDE_CODE:
        base = _env_path(env, "CLAUDE_CONFIG_DIR")
        return HostLayout(
            host=host,
            skills_dir=(base or home / ".claude") / "skills",
            skill_format=Format.AGENTSKILLS,
            # User-scope MCP servers live in ~/.claude.json, or inside CLAUDE_CONFIG_DIR when it is set.
            mcp_file=(base / ".claude.json") if base is not None else home / ".claude.json",
            servers_key=(MCP_SERVERS_KEY,),
            mcp_by_default=True,
        )
    if host is AgentHost.CURSOR:
        return HostLayout(
            host=host,
            skills_dir=home / ".cursor" / "skills",
            skill_format=Format.AGENTSKILLS,
            mcp_file=home / ".cursor" / "mcp.json",
            servers_key=(MCP_SERVERS_KEY,),
            mcp_by_default=True,
        )
    return HostLayout(
        host=host,
        skills_dir=None,  # Claude Desktop takes skills as uploads in its settings, not from a folder
        skill_format=Format.AGENTSKILLS,
        mcp_file=_claude_desktop_file(env),
        servers_key=(MCP_SERVERS_KEY,),
        mcp_by_default=True,
    )
