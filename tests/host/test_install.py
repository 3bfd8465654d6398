"""`nemo-skills install HOST`: skills where each host looks, the MCP server merged into its config, undone exactly."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from nemo_skills.catalog.registry import get_catalog
from nemo_skills.cli import cli
from nemo_skills.cli.output import run_cli
from nemo_skills.errors import ExitCode
from nemo_skills.host import agent_hosts
from nemo_skills.host.agent_hosts import AgentHost, layout
from nemo_skills.skillmd import frontmatter

NAMES = {s.name for s in get_catalog().skills()}
HOST_VARS = (
    "XDG_CONFIG_HOME",
    "APPDATA",
    "CLAUDE_CONFIG_DIR",
    "OPENCLAW_HOME",
    "OPENCLAW_STATE_DIR",
    "OPENCLAW_CONFIG_PATH",
)
# Each host's MCP file, as its documentation places it under HOME (Linux), and the key of its server table.
MCP_FILES = {
    "claude-desktop": (".config/Claude/claude_desktop_config.json", ("mcpServers",)),
    "claude-code": (".claude.json", ("mcpServers",)),
    "cursor": (".cursor/mcp.json", ("mcpServers",)),
}
SKILL_DIRS = {"openclaw": ".openclaw/skills", "claude-code": ".claude/skills", "cursor": ".cursor/skills"}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary HOME with none of the hosts' overrides set, on the Linux layout."""
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in HOST_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(agent_hosts.sys, "platform", "linux")
    return tmp_path


def nemo(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run_cli(cli, list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def servers(path: Path, keys: tuple[str, ...]) -> dict[str, Any]:
    node: Any = json.loads(path.read_text(encoding="utf-8"))
    for key in keys:
        node = node[key]
    assert isinstance(node, dict)
    return node


def other_config(keys: tuple[str, ...]) -> dict[str, Any]:
    """A config a user already has: another server, and settings of the host's own."""
    table: dict[str, Any] = {"github": {"command": "gh-mcp", "env": {"GH_TOKEN": "ghp_secret"}}}
    for key in reversed(keys):
        table = {key: table}
    return {"theme": "dark", **table}


@pytest.mark.parametrize("host", sorted(MCP_FILES))
def test_merge_keeps_other_servers_backs_up_and_uninstall_restores_the_file(
    host: str, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rel, keys = MCP_FILES[host]
    config = home / rel
    config.parent.mkdir(parents=True, exist_ok=True)
    original = json.dumps(other_config(keys), indent=4) + "\n"
    config.write_text(original, encoding="utf-8")
    config.chmod(0o600)

    code, _out, err = nemo(capsys, "install", host, "--backend", "local")
    assert code == 0, err
    table = servers(config, keys)
    assert table["github"] == {"command": "gh-mcp", "env": {"GH_TOKEN": "ghp_secret"}}
    entry = table["nemo-skills"]
    assert entry["args"][-3:] == ["mcp", "--backend", "local"] and Path(entry["command"]).is_file()
    assert json.loads(config.read_text())["theme"] == "dark"
    assert (config.parent / (config.name + ".bak")).read_text(encoding="utf-8") == original
    # A file that may hold other servers' secrets stays private, and so does its backup.
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE((config.parent / (config.name + ".bak")).stat().st_mode) == 0o600
    if host in SKILL_DIRS:
        assert {p.parent.name for p in (home / SKILL_DIRS[host]).glob("*/SKILL.md")} == NAMES

    code, _out, err = nemo(capsys, "install", host, "--uninstall")
    assert code == 0, err
    assert json.loads(config.read_text()) == json.loads(original)
    # The backup still holds the file as it was before the install, byte for byte.
    assert (config.parent / (config.name + ".bak")).read_text(encoding="utf-8") == original
    if host in SKILL_DIRS:
        assert list((home / SKILL_DIRS[host]).iterdir()) == []


def test_dry_run_prints_the_exact_json_it_would_merge_and_changes_nothing(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = nemo(capsys, "install", "claude-desktop", "--dry-run", "--backend", "local")
    assert code == 0, err
    config = home / MCP_FILES["claude-desktop"][0]
    assert f"would merge into {config}:" in out
    shown = json.loads(out.split(f"would merge into {config}:\n", 1)[1].split("\n}\n", 1)[0] + "\n}")
    assert list(shown) == ["mcpServers"] and shown["mcpServers"]["nemo-skills"]["args"][-1] == "local"
    assert not config.exists() and not (home / "data").exists()

    assert nemo(capsys, "install", "claude-desktop", "--backend", "local")[0] == 0
    assert json.loads(config.read_text()) == shown  # exactly what the dry run showed


def test_a_file_the_install_created_goes_on_uninstall(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert nemo(capsys, "install", "cursor")[0] == 0
    config = home / ".cursor" / "mcp.json"
    assert list(json.loads(config.read_text())["mcpServers"]) == ["nemo-skills"]
    assert nemo(capsys, "install", "cursor", "--uninstall")[0] == 0
    assert not config.exists() and not (home / ".cursor" / "mcp.json.bak").exists()


def test_openclaw_cli_mode_writes_five_skills_that_declare_their_install(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = nemo(capsys, "install", "openclaw", "--mode", "cli")
    assert code == 0, err
    files = sorted((home / ".openclaw" / "skills").glob("*/SKILL.md"))
    assert {p.parent.name for p in files} == NAMES
    for path in files:
        head, body = frontmatter.split(path.read_text(encoding="utf-8"))
        claw = yaml.safe_load(head)["metadata"]["openclaw"]
        # Gated on the binary; without it OpenClaw offers this install entry.
        assert claw["requires"]["bins"] == ["nemo-skills"]
        assert claw["install"][0]["package"] == "nemo-skills" and "nemo-skills run" in body
    # OpenClaw's skills need no MCP server, so its JSON5 config is not touched.
    assert not (home / ".openclaw" / "openclaw.json").exists()


def test_openclaw_honours_its_state_dir_and_a_workspace(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENCLAW_STATE_DIR", str(home / "state"))
    assert nemo(capsys, "install", "openclaw")[0] == 0
    assert len(list((home / "state" / "skills").glob("*/SKILL.md"))) == len(NAMES)
    assert nemo(capsys, "install", "openclaw", "--workspace", str(home / "ws"))[0] == 0
    assert len(list((home / "ws" / "skills").glob("*/SKILL.md"))) == len(NAMES)


def test_uninstall_keeps_what_the_user_changed_since(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert nemo(capsys, "install", "claude-code")[0] == 0
    edited = home / ".claude" / "skills" / "video-leonardo" / "SKILL.md"
    edited.write_text("my own notes\n", encoding="utf-8")
    config = home / ".claude.json"
    data = json.loads(config.read_text())
    data["mcpServers"]["nemo-skills"]["args"].append("--verbose")
    config.write_text(json.dumps(data), encoding="utf-8")

    code, out, err = nemo(capsys, "install", "claude-code", "--uninstall")
    assert code == 0, err
    assert edited.read_text() == "my own notes\n"
    assert [p.parent.name for p in (home / ".claude" / "skills").glob("*/SKILL.md")] == ["video-leonardo"]
    assert "--verbose" in json.loads(config.read_text())["mcpServers"]["nemo-skills"]["args"]
    assert "changed since install; it was kept" in out


def test_nothing_is_written_when_the_config_cannot_be_merged(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = home / ".cursor" / "mcp.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("// my servers\n{}", encoding="utf-8")
    code, _out, err = nemo(capsys, "install", "cursor")
    assert code == ExitCode.BAD_INPUT
    assert len(err.strip().splitlines()) <= 2 and "not plain JSON" in err and "Traceback" not in err
    assert config.read_text() == "// my servers\n{}" and not (home / ".cursor" / "skills").exists()


def test_a_server_or_skill_nemo_skills_did_not_write_is_never_replaced_without_force(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = home / ".cursor" / "mcp.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"mcpServers": {"nemo-skills": {"command": "mine"}}}), encoding="utf-8")
    code, _, err = nemo(capsys, "install", "cursor")
    assert code == ExitCode.BAD_INPUT and "did not add" in err
    # One line, the reason and the next step as two sentences.
    assert err.count("Error:") == 1 and "did not add. Remove or rename it" in err
    assert json.loads(config.read_text())["mcpServers"]["nemo-skills"] == {"command": "mine"}
    assert nemo(capsys, "install", "cursor", "--force")[0] == 0
    assert json.loads(config.read_text())["mcpServers"]["nemo-skills"]["command"] != "mine"


def test_uninstall_with_nothing_installed_says_so(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = nemo(capsys, "install", "cursor", "--uninstall")
    assert code == 0 and "nothing was installed into cursor" in out


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("darwin", {}, "Library/Application Support/Claude/claude_desktop_config.json"),
        ("win32", {"APPDATA": "/roaming"}, "/roaming/Claude/claude_desktop_config.json"),
        ("linux", {"XDG_CONFIG_HOME": "/xdg"}, "/xdg/Claude/claude_desktop_config.json"),
    ],
)
def test_claude_desktop_config_follows_the_platform(
    platform: str, env: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(agent_hosts.sys, "platform", platform)
    found = layout(AgentHost.CLAUDE_DESKTOP, env={"HOME": "/h", **env}).mcp_file
    assert found is not None and found.as_posix().endswith(expected)
    assert found.is_absolute()


def test_claude_code_follows_its_config_dir() -> None:
    found = layout(AgentHost.CLAUDE_CODE, env={"HOME": "/h", "CLAUDE_CONFIG_DIR": "/cc"})
    assert (found.skills_dir, found.mcp_file) == (Path("/cc/skills"), Path("/cc/.claude.json"))


@pytest.mark.parametrize(
    ("env", "skills", "config"),
    [
        ({}, "h/.openclaw/skills", "h/.openclaw/openclaw.json"),
        # OPENCLAW_HOME moves every OpenClaw path, and `~` in its overrides means that home, not HOME.
        ({"OPENCLAW_HOME": "{t}/oc"}, "oc/.openclaw/skills", "oc/.openclaw/openclaw.json"),
        ({"OPENCLAW_HOME": "~/oc"}, "h/oc/.openclaw/skills", "h/oc/.openclaw/openclaw.json"),
        ({"OPENCLAW_HOME": "{t}/oc", "OPENCLAW_STATE_DIR": "~/st"}, "oc/st/skills", "oc/st/openclaw.json"),
        ({"OPENCLAW_STATE_DIR": "~/st", "OPENCLAW_CONFIG_PATH": "~/c.json"}, "h/st/skills", "h/c.json"),
    ],
)
def test_openclaw_paths_follow_its_own_resolution(
    env: dict[str, str], skills: str, config: str, tmp_path: Path
) -> None:
    found = layout(
        AgentHost.OPENCLAW,
        env={"HOME": str(tmp_path / "h")} | {k: v.replace("{t}", str(tmp_path)) for k, v in env.items()},
    )
    assert (found.skills_dir, found.mcp_file) == (tmp_path / skills, tmp_path / config)


def test_openclaw_keeps_using_its_legacy_state_folder_and_config(tmp_path: Path) -> None:
    legacy = tmp_path / ".clawdbot"
    (legacy / "clawdbot.json").parent.mkdir()
    (legacy / "clawdbot.json").write_text("{}", encoding="utf-8")
    found = layout(AgentHost.OPENCLAW, env={"HOME": str(tmp_path)})
    assert (found.skills_dir, found.mcp_file) == (legacy / "skills", legacy / "clawdbot.json")
    # Once the current folder exists it wins, as it does in OpenClaw.
    (tmp_path / ".openclaw").mkdir()
    found = layout(AgentHost.OPENCLAW, env={"HOME": str(tmp_path)})
    assert found.skills_dir == tmp_path / ".openclaw" / "skills"


def test_cli_skills_warn_when_nemo_skills_is_not_on_path(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # OpenClaw gates cli-mode skills on the binary; a virtualenv not on PATH makes all five "needs setup".
    monkeypatch.setenv("PATH", str(home / "empty"))
    code, out, err = nemo(capsys, "install", "openclaw", "--mode", "cli")
    assert code == 0, err
    assert "nemo-skills is not on PATH" in out and "OpenClaw lists them as needing setup" in out
    assert "uv tool install nemo-skills" in out

    bin_dir = home / "bin"
    bin_dir.mkdir()
    (bin_dir / "nemo-skills").write_text("#!/bin/sh\n", encoding="utf-8")
    (bin_dir / "nemo-skills").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    _code, out, _err = nemo(capsys, "install", "openclaw", "--mode", "cli")
    assert "not on PATH" not in out
    # api-mode skills call curl, not nemo-skills, so they need no such warning.
    monkeypatch.setenv("PATH", str(home / "empty"))
    _code, out, _err = nemo(capsys, "install", "cursor", "--mode", "api", "--no-mcp")
    assert "not on PATH" not in out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["cursor", "--workspace", "{home}/ws"], "--workspace is for openclaw"),
        (["claude-code", "--workspace", "{home}/ws", "--dry-run"], "--workspace is for openclaw"),
        (["cursor", "--no-skills", "--no-mcp"], "nothing to install into cursor"),
        (["claude-desktop", "--no-mcp"], "it takes no skills folder"),
        (["openclaw", "--no-skills"], "the MCP server needs --mcp"),
    ],
)
def test_flags_that_would_install_nothing_or_be_ignored_are_refused(
    args: list[str], says: str, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = nemo(capsys, "install", *[a.replace("{home}", str(home)) for a in args])
    assert code == ExitCode.BAD_INPUT and says in err and out == ""
    assert list(home.rglob("*")) == []


def test_an_unknown_host_is_named_as_host(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = nemo(capsys, "install", "vscode")
    assert code == ExitCode.BAD_INPUT
    assert "Invalid value for 'HOST': 'vscode' is not one of 'openclaw'" in err


def test_each_skill_md_is_rendered_once_and_the_backend_password_is_written_not_shown(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from nemo_skills.host import host_install

    rendered: list[str] = []
    render = host_install.render_skill_md

    def counting(skill: Any, **kwargs: Any) -> str:
        rendered.append(skill.name)
        return render(skill, **kwargs)

    monkeypatch.setattr(host_install, "render_skill_md", counting)
    backend = "http://me:pa55word@127.0.0.1:8000"
    code, out, err = nemo(capsys, "install", "cursor", "--backend", backend)
    assert code == 0, err
    assert sorted(rendered) == sorted(NAMES)  # once each: the check before writing reuses the text
    # The host starts the server with the URL whole; what is printed never holds the password.
    entry = servers(home / ".cursor" / "mcp.json", ("mcpServers",))["nemo-skills"]
    assert entry["args"][-1] == backend
    assert "pa55word" not in out + err and "http://***@127.0.0.1:8000" in out
