"""SKILL.md frontmatter for ClawHub/OpenClaw and for the Agent Skills specification.

Built as data and dumped as block-style YAML whose every scalar reads the same
in a lenient parser (PyYAML) and a strict one (strictyaml, the reference
validator's parser).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from nemo_skills import protocol
from nemo_skills.catalog.skill import Skill
from nemo_skills.errors import InputError
from nemo_skills.skillmd.context import Format, Mode

CLI_BINARY = "nemo-skills"
# The PyPI package that provides CLI_BINARY.
CLI_PACKAGE = "nemo-skills"
# Hand-driven API calls use curl's syntax (`-F "files=@/path"`).
API_BINARY = "curl"
# The Agent Skills specification's limits.
MAX_DESCRIPTION = 1024
MAX_COMPATIBILITY = 500
DELIMITER = "---"


def description(skill: Skill) -> str:
    """One-line description: the skill's summary and when to use it, within the spec's 1024 characters."""
    text = f"{skill.description.strip()} Use it when someone brings {skill.input_noun} and wants a video."
    # The reference parser splits the file on '---', so the frontmatter must not contain one.
    text = re.sub(r"\s+", " ", text).replace(DELIMITER, "—")
    if len(text) > MAX_DESCRIPTION:
        text = text[: MAX_DESCRIPTION - 1].rsplit(" ", 1)[0] + "…"
    return text


def _token_note() -> str:
    days = protocol.ANON_TOKEN_TTL_SECONDS // 86400
    return (
        f"Optional NemoVideo API token. Without it an anonymous token ({protocol.ANON_TOKEN_CREDITS} free "
        f"credits, valid {days} days) is fetched on first use."
    )


def _binary(mode: Mode) -> str:
    return CLI_BINARY if mode is Mode.CLI else API_BINARY


def install_spec() -> list[dict[str, Any]]:
    """OpenClaw's install entries for cli mode: the Python package and the binary it puts on PATH."""
    return [
        {
            "id": "uv",
            "kind": "uv",
            "package": CLI_PACKAGE,
            "bins": [CLI_BINARY],
            "label": f"Install {CLI_PACKAGE} (uv)",
        }
    ]


def clawhub(skill: Skill, mode: Mode) -> dict[str, Any]:
    """Frontmatter as ClawHub/OpenClaw read it; NEMO_TOKEN is declared optional, never under requires.env."""
    data: dict[str, Any] = {"name": skill.name, "description": description(skill), "version": skill.version}
    if skill.homepage:
        data["homepage"] = skill.homepage
    if skill.license:
        data["license"] = skill.license
    openclaw: dict[str, Any] = {
        "emoji": skill.emoji,
        "primaryEnv": protocol.ENV_TOKEN,
        "requires": {"bins": [_binary(mode)]},
        "envVars": [
            {"name": protocol.ENV_TOKEN, "required": False, "description": _token_note()},
            {
                "name": protocol.ENV_API_BASE,
                "required": False,
                "description": f"API base URL; defaults to {protocol.DEFAULT_BASE_URL}.",
            },
        ],
    }
    if mode is Mode.CLI:
        openclaw["install"] = install_spec()
    # Listings title-case the name ("Ai Video Maker Sora") unless they find the declared title.
    data["metadata"] = {"title": skill.title, "openclaw": openclaw}
    return data


def compatibility(mode: Mode) -> str:
    """The spec's `compatibility` line: what must be installed and reachable."""
    needs = f"the {CLI_BINARY} command (Python package {CLI_BINARY})" if mode is Mode.CLI else API_BINARY
    text = (
        f"Requires {needs} and network access to {protocol.DEFAULT_BASE_URL}. "
        f"{protocol.ENV_TOKEN} is optional: an anonymous token is fetched when it is absent."
    )
    return text[:MAX_COMPATIBILITY]


def agentskills(skill: Skill, mode: Mode) -> dict[str, Any]:
    """Frontmatter with only the Agent Skills specification's fields; metadata values are strings."""
    data: dict[str, Any] = {"name": skill.name, "description": description(skill)}
    if skill.license:
        data["license"] = skill.license
    data["compatibility"] = compatibility(mode)
    metadata = {
        "title": skill.title,
        "version": skill.version,
        "emoji": skill.emoji,
        "primary-env": protocol.ENV_TOKEN,
    }
    if skill.homepage:
        metadata["homepage"] = skill.homepage
    data["metadata"] = metadata
    data["allowed-tools"] = f"Bash({_binary(mode)}:*)"
    return data


def build(skill: Skill, *, format: Format, mode: Mode) -> dict[str, Any]:
    """The frontmatter mapping for a format."""
    return agentskills(skill, mode) if format is Format.AGENTSKILLS else clawhub(skill, mode)


def dump(data: dict[str, Any]) -> str:
    """Block-style YAML between '---' lines, keys in the order given."""
    text = yaml.safe_dump(
        data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1_000_000, indent=2
    )
    if DELIMITER in text:
        # Readers find the end of the frontmatter by the first '---' after the opening one.
        raise InputError(f"a frontmatter value contains {DELIMITER!r}, which would end the frontmatter early")
    return f"{DELIMITER}\n{text}{DELIMITER}\n"


def split(document: str) -> tuple[str, str]:
    """A SKILL.md split into its frontmatter YAML and its body; ValueError when there is none."""
    if not document.startswith(DELIMITER + "\n"):
        raise ValueError("no frontmatter: the file does not start with '---'")
    end = document.find(f"\n{DELIMITER}\n", len(DELIMITER))
    if end < 0:
        raise ValueError("frontmatter is not closed with '---'")
    return document[len(DELIMITER) + 1 : end + 1], document[end + len(DELIMITER) + 2 :]
