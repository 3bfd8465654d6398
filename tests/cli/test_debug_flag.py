"""An unexpected failure: one line pointing at --debug, and --debug (or NEMO_SKILLS_DEBUG=1) shows the traceback."""

from __future__ import annotations

import json

import click
import pytest

from nemo_skills.cli.output import run_cli


@click.group()
@click.option("--debug", is_flag=True, envvar="NEMO_SKILLS_DEBUG", expose_value=False)
def broken() -> None:
    """A CLI whose one command fails in a way nobody planned for."""


@broken.command()
@click.option("--json", "as_json", is_flag=True)
def boom(as_json: bool) -> None:
    """Fail unexpectedly."""
    raise RuntimeError("disk on fire")


def test_an_unexpected_failure_is_one_line_with_a_pointer_to_debug(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_cli(broken, ["boom", "--json"]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "disk on fire" in lines[0] and "--debug" in lines[0]
    assert json.loads(out)["error"]["code"] == "internal"


@pytest.mark.parametrize("how", ["flag", "env"])
def test_debug_shows_the_traceback(
    how: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["boom"]
    if how == "flag":
        argv.insert(0, "--debug")
    else:
        monkeypatch.setenv("NEMO_SKILLS_DEBUG", "1")
    assert run_cli(broken, argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: disk on fire" in err
    assert err.strip().splitlines()[-1].startswith("Error:")
