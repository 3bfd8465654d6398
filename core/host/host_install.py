"""`nemo-skills install HOST`: the generated skills in the host's skills folder, the MCP server in its config.

Nothing is overwritten that nemo-skills did not write: a JSON config is merged
(other servers and keys kept, a `.bak` copy of the previous file beside it), and
a record of what was added (in the user data folder) lets `--uninstall` remove
exactly that, leaving anything the user changed since.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from nemo_skills.catalog.skill import Skill
from nemo_skills.errors import InputError
from nemo_skills.files.atomic import atomic_write_text, data_dir
from nemo_skills.files.edge import mask_credentials
from nemo_skills.host.agent_hosts import AgentHost, HostLayout
from nemo_skills.skillmd.frontmatter import CLI_BINARY, CLI_PACKAGE
from nemo_skills.skillmd.generate import Mode, render_skill_md, skill_path

__all__ = ["InstallReport", "McpChange", "SkillChange", "describe", "install", "mcp_entry", "uninstall"]

SERVER_NAME = "nemo-skills"
RECORD_FILE = "installs.json"
BACKUP_SUFFIX = ".bak"


class SkillChange(BaseModel):
    """What happens to one SKILL.md."""

    path: Path
    action: Literal["write", "unchanged", "remove", "kept"]


class McpChange(BaseModel):
    """What happens to the host's MCP configuration file."""

    path: Path
    action: Literal["merge", "unchanged", "remove", "absent", "kept"]
    fragment: dict[str, Any] = Field(description="The JSON merged into (or removed from) the file.")
    backup: Path | None = None


class InstallReport(BaseModel):
    """What an install or uninstall did, or (dry run) would do."""

    host: AgentHost
    uninstall: bool
    dry_run: bool
    skills: list[SkillChange] = Field(default_factory=list)
    mcp: McpChange | None = None
    notes: list[str] = Field(default_factory=list)


class _Record(BaseModel):
    """What one install added, kept so uninstall removes exactly that."""

    skills: dict[str, str] = Field(default_factory=dict, description="SKILL.md path → sha256 written.")
    mcp_file: str | None = None
    servers_key: list[str] = Field(default_factory=list)
    entry: dict[str, Any] | None = None
    created_keys: int = Field(default=0, description="How many levels of servers_key the install created.")
    created_file: bool = False


def mcp_entry(backend: str) -> dict[str, Any]:
    """The server entry a host starts: this installation's `nemo-skills mcp --backend BACKEND`."""
    # Desktop hosts start servers without the user's shell PATH, so the command is an absolute path.
    found = shutil.which("nemo-skills") or str(Path(sys.executable).with_name("nemo-skills"))
    if Path(found).is_file():
        return {"command": str(Path(found).resolve()), "args": ["mcp", "--backend", backend]}
    return {"command": sys.executable, "args": ["-m", "nemo_skills", "mcp", "--backend", backend]}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from exc


def _records_path() -> Path:
    return data_dir() / RECORD_FILE


def _load_records() -> dict[str, _Record]:
    text = _read_text(_records_path())
    if not text:
        return {}
    try:
        raw = json.loads(text)
        return {k: _Record.model_validate(v) for k, v in raw.items()}
    except ValueError as exc:
        raise InputError(f"{_records_path()} is damaged ({exc}); move it away to start afresh") from exc


def _save_records(records: dict[str, _Record]) -> None:
    data = {k: v.model_dump(mode="json") for k, v in records.items()}
    atomic_write_text(_records_path(), json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _load_config(path: Path) -> tuple[dict[str, Any], str | None]:
    text = _read_text(path)
    if text is None or not text.strip():
        return {}, text
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(
            f"{path} is not plain JSON ({exc}); it was left as it is",
            action="Add the server by hand, or fix the file and run install again.",
        ) from exc
    if not isinstance(data, dict):
        raise InputError(f"{path} does not hold a JSON object; it was left as it is")
    return data, text


def _write_config(
    path: Path, data: dict[str, Any], before: str | None, *, keep_backup: bool = False
) -> Path | None:
    """Write the merged config, keeping the previous content (and file mode) in PATH.bak.

    With `keep_backup`, a PATH.bak already there is left alone: it holds the file from before the install.
    """
    mode = (path.stat().st_mode & 0o777) if before is not None else 0o600
    backup = None
    try:
        if before is not None:
            backup = path.with_name(path.name + BACKUP_SUFFIX)
            if not (keep_backup and backup.exists()):
                atomic_write_text(backup, before, mode=mode)
        atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n", mode=mode)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return backup


def _nest(keys: list[str], leaf: dict[str, Any]) -> dict[str, Any]:
    fragment: dict[str, Any] = leaf
    for key in reversed(keys):
        fragment = {key: fragment}
    return fragment


def _servers(
    data: dict[str, Any], keys: list[str], path: Path, *, create: bool
) -> tuple[dict[str, Any], int]:
    """The server table inside `data`, and how many of its levels had to be created."""
    node, created = data, 0
    for key in keys:
        child = node.get(key)
        if child is None and create:
            child, created = {}, created + 1
            node[key] = child
        if not isinstance(child, dict):
            if child is None:
                return {}, 0
            raise InputError(f"{path}: {'.'.join(keys)} is not a JSON object; it was left as it is")
        node = child
    return node, created


def _install_skills(
    layout: HostLayout, texts: dict[Path, str], record: _Record, force: bool, report: InstallReport
) -> None:
    for path, text in texts.items():
        current = _read_text(path)
        if current == text:
            report.skills.append(SkillChange(path=path, action="unchanged"))
        else:
            ours = current is None or record.skills.get(str(path)) == _sha(current)
            if not (ours or force):
                raise InputError(
                    f"{path} exists and was not written by nemo-skills",
                    action="Move it away, or pass --force to replace it.",
                )
            report.skills.append(SkillChange(path=path, action="write"))
            if not report.dry_run:
                try:
                    atomic_write_text(path, text)
                except OSError as exc:
                    raise InputError(f"cannot write {path}: {exc.strerror or exc}") from exc
        record.skills[str(path)] = _sha(text)


def _not_on_path_note(host: AgentHost) -> str:
    # Hosts look the binary up on PATH: a virtualenv's nemo-skills is invisible until its bin/ is on PATH.
    note = (
        f"{CLI_BINARY} is not on PATH, and these skills run it: add {Path(sys.executable).parent} to PATH, "
        f"or install {CLI_PACKAGE} with `uv tool install {CLI_PACKAGE}` or pip."
    )
    if host is AgentHost.OPENCLAW:
        note += " Until then OpenClaw lists them as needing setup."
    return note


def _install_mcp(
    layout: HostLayout, entry: dict[str, Any], record: _Record, force: bool, report: InstallReport
) -> None:
    assert layout.mcp_file is not None
    path, keys = layout.mcp_file, list(layout.servers_key)
    data, before = _load_config(path)
    servers, created = _servers(data, keys, path, create=True)
    fragment = _nest(keys, {SERVER_NAME: entry})
    current = servers.get(SERVER_NAME)
    if current == entry:
        report.mcp = McpChange(path=path, action="unchanged", fragment=fragment)
        return
    if current is not None and current != record.entry and not force:
        raise InputError(
            f"{path} already has an MCP server named {SERVER_NAME!r} that nemo-skills did not add",
            action="Remove or rename it, or pass --force to replace it.",
        )
    servers[SERVER_NAME] = entry
    backup = None if report.dry_run else _write_config(path, data, before)
    if record.mcp_file is None:
        record.created_keys, record.created_file = created, before is None
    record.mcp_file, record.servers_key, record.entry = str(path), keys, entry
    report.mcp = McpChange(path=path, action="merge", fragment=fragment, backup=backup)


def install(
    layout: HostLayout,
    skills: list[Skill],
    *,
    mode: Mode,
    backend: str,
    with_skills: bool = True,
    with_mcp: bool | None = None,
    dry_run: bool = False,
    force: bool = False,
) -> InstallReport:
    """Write the skills where the host looks for them and register the MCP server in its config."""
    texts: dict[Path, str] = {}
    if with_skills and layout.skills_dir is not None:
        # Each SKILL.md is rendered once, for the check and the writing alike.
        texts = {
            skill_path(layout.skills_dir, skill): render_skill_md(
                skill, format=layout.skill_format, mode=mode
            )
            for skill in skills
        }
    mcp = (layout.mcp_by_default if with_mcp is None else with_mcp) and layout.mcp_file is not None
    if not dry_run:
        # A conflict or an unreadable config stops the install before it writes anything.
        _install(
            layout, texts, backend, mode=mode, with_skills=with_skills, mcp=mcp, dry_run=True, force=force
        )
    return _install(
        layout, texts, backend, mode=mode, with_skills=with_skills, mcp=mcp, dry_run=dry_run, force=force
    )


def _install(
    layout: HostLayout,
    texts: dict[Path, str],
    backend: str,
    *,
    mode: Mode,
    with_skills: bool,
    mcp: bool,
    dry_run: bool,
    force: bool,
) -> InstallReport:
    """One pass of `install`: a dry run reports what the real one would do, and writes nothing."""
    report = InstallReport(host=layout.host, uninstall=False, dry_run=dry_run)
    records = _load_records()
    record = records.get(layout.host.value, _Record())
    if with_skills and layout.skills_dir is not None:
        _install_skills(layout, texts, record, force, report)
        if mode is Mode.CLI and shutil.which(CLI_BINARY) is None:
            report.notes.append(_not_on_path_note(layout.host))
    elif with_skills:
        report.notes.append(
            f"{layout.host} loads no skills from a folder; its MCP server carries the skills."
        )
    if mcp:
        _install_mcp(layout, mcp_entry(backend), record, force, report)
        if importlib.util.find_spec("mcp") is None:
            report.notes.append('The MCP server needs the mcp extra: pip install "nemo-skills[mcp]".')
    if not dry_run:
        records[layout.host.value] = record
        _save_records(records)
    return report


def _uninstall_mcp(record: _Record, report: InstallReport) -> None:
    assert record.mcp_file is not None and record.entry is not None
    path, keys = Path(record.mcp_file), record.servers_key
    fragment = _nest(keys, {SERVER_NAME: record.entry})
    data, before = _load_config(path)
    servers, _ = _servers(data, keys, path, create=False)
    if before is None or SERVER_NAME not in servers:
        report.mcp = McpChange(path=path, action="absent", fragment=fragment)
        return
    if servers[SERVER_NAME] != record.entry:
        report.mcp = McpChange(path=path, action="kept", fragment=fragment)
        report.notes.append(f"{path}: the {SERVER_NAME!r} server was changed since install; it was kept.")
        return
    del servers[SERVER_NAME]
    # The levels the install created go too, once nothing else lives in them.
    for depth in range(len(keys), len(keys) - record.created_keys, -1):
        parent, _ = _servers(data, keys[: depth - 1], path, create=False)
        if parent.get(keys[depth - 1]) == {}:
            del parent[keys[depth - 1]]
    backup = None
    if not report.dry_run:
        if record.created_file and not data:
            path.unlink()  # the install created it, and nothing else was added since
        else:
            backup = _write_config(path, data, before, keep_backup=True)
    report.mcp = McpChange(path=path, action="remove", fragment=fragment, backup=backup)


def uninstall(host: AgentHost, *, dry_run: bool = False) -> InstallReport:
    """Remove what `install` added for the host: its SKILL.md files and its MCP server entry."""
    report = InstallReport(host=host, uninstall=True, dry_run=dry_run)
    records = _load_records()
    record = records.get(host.value)
    if record is None:
        report.notes.append(f"nothing was installed into {host} by nemo-skills.")
        return report
    for name, sha in record.skills.items():
        path = Path(name)
        current = _read_text(path)
        if current is None:
            continue
        if _sha(current) != sha:
            report.skills.append(SkillChange(path=path, action="kept"))
            report.notes.append(f"{path} was changed since install; it was kept.")
            continue
        report.skills.append(SkillChange(path=path, action="remove"))
        if not dry_run:
            path.unlink()
            if not any(path.parent.iterdir()):
                path.parent.rmdir()
    if record.mcp_file is not None and record.entry is not None:
        _uninstall_mcp(record, report)
    if not dry_run:
        del records[host.value]
        _save_records(records)
    return report


def describe(report: InstallReport) -> list[str]:
    """The report as lines a person reads; a dry run shows the exact JSON it would merge."""
    verbs = {
        "write": "write",
        "remove": "remove",
        "merge": "merge into",
        "unchanged": "unchanged:",
        "absent": "not found in",
        "kept": "keep (changed since install)",
    }
    would = "would " if report.dry_run else ""
    lines = []
    for change in report.skills:
        verb = verbs[change.action]
        lines.append(f"{would if change.action in ('write', 'remove') else ''}{verb} {change.path}")
    if report.mcp is not None:
        mcp = report.mcp
        if mcp.action in ("merge", "remove"):
            verb = "merge into" if mcp.action == "merge" else "remove from"
            lines.append(f"{would}{verb} {mcp.path}:")
            # The entry is written whole (the server must reach the backend), but shown masked.
            lines.append(mask_credentials(json.dumps(mcp.fragment, indent=2, ensure_ascii=False)))
            if mcp.backup is not None:
                lines.append(f"previous {mcp.path.name} kept as {mcp.backup}")
        else:
            lines.append(f"{verbs[mcp.action]} {mcp.path} ({SERVER_NAME})")
    lines += report.notes
    return lines
