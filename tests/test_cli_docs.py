"""docs/cli.md and the commands' --help tell the same story as the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from nemo_skills.cli import cli
from nemo_skills.errors import IO_ERROR, ExitCode, error_codes
from nemo_skills.files.edge import MAX_BATCH_LINES, MAX_PROMPT_CHARS, MAX_URL_CHARS

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "cli.md"


@pytest.mark.parametrize("doc", [DOC, ROOT / "README.md"], ids=["docs/cli.md", "README.md"])
def test_exit_code_table_matches_the_code(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    block = text.split("<!-- exit-codes:", 1)[1].split("<!-- /exit-codes -->", 1)[0]
    rows = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", block, re.MULTILINE))
    assert {int(k): v for k, v in rows.items()} == ExitCode.DESCRIPTIONS


def test_every_error_code_is_documented_with_its_exit_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- error-codes:", 1)[1].split("<!-- /error-codes -->", 1)[0]
    rows = {name: int(code) for name, code in re.findall(r"^\| `([a-z_]+)` \| (\d+) \|", block, re.MULTILINE)}
    expected = {name: cls.exit_code for name, cls in error_codes().items()}
    expected[IO_ERROR] = ExitCode.FAILURE
    assert rows == expected


def test_run_and_main_help_list_every_exit_code() -> None:
    runner = CliRunner()
    for args in (["--help"], ["run", "--help"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
        for code, text in ExitCode.DESCRIPTIONS.items():
            assert re.search(rf"^\s*{code}\s+{re.escape(text)}$", result.output, re.MULTILINE), (args, code)


def test_every_documented_command_exists_with_its_options() -> None:
    runner = CliRunner()
    expected = {
        "run": ["--file", "--url", "--output", "--backend", "--session", "--continue", "--no-export", "--force",
                "--json", "--batch", "--each", "--deadline", "--progress"],
        "chat": ["--backend", "--session", "--continue", "--output"],
        "credits": ["--backend", "--json"],
        "state": ["--session", "--continue", "--backend", "--json"],
        "export": ["--session", "--continue", "--output", "--render", "--deadline", "--backend", "--json"],
        "resume": ["--session", "--output", "--backend"],
    }  # fmt: skip
    for command, options in expected.items():
        result = runner.invoke(cli, [command, "--help"])
        assert result.exit_code == 0, result.output
        for option in options:
            assert option in result.output, (command, option)
            assert option in DOC.read_text(encoding="utf-8"), (command, option)


def test_run_help_states_the_limits_docs_cli_md_documents() -> None:
    result = CliRunner().invoke(cli, ["run", "--help"])
    assert result.exit_code == 0, result.output
    limits = DOC.read_text(encoding="utf-8").split("### Limits checked before anything is sent", 1)[1]
    for value, unit in (
        (MAX_PROMPT_CHARS, "characters"),
        (MAX_URL_CHARS, "characters"),
        (MAX_BATCH_LINES, "requests"),
    ):
        shown = f"{value:,} {unit}"
        assert shown in result.output, shown
        assert shown in limits, shown
