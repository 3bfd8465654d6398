"""How the CLI reports: errors on stderr with their exit code, JSON on stdout."""

from __future__ import annotations

import errno
import json
import os
import sys
import traceback
from typing import Any

import click

from nemo_skills import protocol
from nemo_skills.errors import (
    ExitCode,
    InputError,
    JobStillRunning,
    LocalStateError,
    NemoSkillsError,
    error_code_of,
    protocol_code_of,
)
from nemo_skills.files.edge import mask_credentials, safe_text, shorten
from nemo_skills.files.edge import redact as edge_redact

_json_printed = False
_SENTENCE_ENDS = (".", "!", "?", ":", ";", "。", "！", "？")


def error(message: str) -> None:
    """Print an error for a person on stderr, control characters escaped and secrets removed."""
    click.echo(f"Error: {redact(safe_text(message))}", err=True)


def print_json(value: Any) -> None:
    """Print one JSON document on stdout (pydantic models included), URL credentials masked."""
    from pydantic import BaseModel

    global _json_printed

    def plain(v: Any) -> Any:
        if isinstance(v, BaseModel):
            return v.model_dump(mode="json")
        if isinstance(v, list):
            return [plain(item) for item in v]
        if isinstance(v, dict):
            return {key: plain(item) for key, item in v.items()}
        return v

    value = _masked(plain(value))
    _json_printed = True
    text = json.dumps(value, ensure_ascii=False, indent=2)
    if text != safe_text(text):
        # Lone surrogates (undecodable bytes of a name) cannot be written as UTF-8: escape them.
        text = json.dumps(value, ensure_ascii=True, indent=2)
    click.echo(text)


def _masked(value: Any) -> Any:
    """A JSON value with every string's URL credentials masked (a job's links, a backend URL)."""
    if isinstance(value, str):
        return mask_credentials(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


def secrets_in_env() -> list[str]:
    """Values that must never be shown: NEMO_TOKEN (raw and stripped)."""
    raw = os.environ.get(protocol.ENV_TOKEN, "")
    return [v for v in {raw, raw.strip()} if len(v) >= 4]


def redact(text: str) -> str:
    """Text with every secret in the environment and any bearer credential replaced by ***."""
    return edge_redact(text, secrets_in_env())


def _folder_setting_is_a_file() -> str | None:
    """The line for NEMO_SKILLS_DATA_DIR or NEMO_SKILLS_CONFIG_DIR naming something that is not a folder."""
    from nemo_skills.files.atomic import ENV_CONFIG_DIR, ENV_DATA_DIR

    for var in (ENV_DATA_DIR, ENV_CONFIG_DIR):
        value = os.environ.get(var)
        if value and os.path.exists(value) and not os.path.isdir(value):
            return f"{var} is {shorten(value)}, which is a file, not a folder. Point it at a folder, or unset it."
    return None


def _unexpected(exc: BaseException) -> tuple[str, int, str]:
    """The one line, exit code and error code for an exception nemo-skills did not raise on purpose."""
    if isinstance(exc, UnicodeError):
        return (
            f"input is not valid UTF-8 text ({type(exc).__name__}).",
            ExitCode.BAD_INPUT,
            error_code_of(exc),
        )
    if isinstance(exc, OSError) and (misplaced := _folder_setting_is_a_file()):
        return misplaced, ExitCode.FAILURE, LocalStateError.error_code
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        what = exc.strerror or type(exc).__name__
        hint = ""
        if exc.errno == errno.ENOSPC:
            hint = " Free some space, then run `nemo-skills resume` to fetch what was rendered."
        elif exc.errno in (errno.ENOTDIR, errno.EISDIR, errno.EEXIST):
            hint = " Check NEMO_SKILLS_DATA_DIR / NEMO_SKILLS_CONFIG_DIR and the paths given."
        return f"cannot use{where}: {what}.{hint}", ExitCode.FAILURE, error_code_of(exc)
    detail = shorten(str(exc), 120)
    return (
        f"unexpected failure ({type(exc).__name__}{': ' + detail if detail else ''}); "
        "run again with --debug to see the traceback, and please report it.",
        ExitCode.FAILURE,
        error_code_of(exc),
    )


def error_object(
    exc: BaseException, message: str, exit_code: int, *, name: str | None = None, **context: Any
) -> dict[str, Any]:
    """The one --json object of a failure: the ids it left behind and the `error` (see docs/cli.md)."""
    ids: dict[str, Any] = {"job_id": None, "session_id": None, "render_id": None, **context}
    action = None
    if isinstance(exc, NemoSkillsError):
        ids.update({k: v for k, v in exc.context().items() if v is not None})
        action = exc.action
    if isinstance(exc, JobStillRunning) and exc.status:
        ids.update(exc.status)
    return {
        **ids,
        "error": {
            "type": type(exc).__name__,
            "code": name or error_code_of(exc),
            "protocol_code": protocol_code_of(exc),
            "message": redact(message),
            "action": redact(action) if action else None,
            "exit_code": exit_code,
        },
    }


def run_cli(group: click.Group, argv: list[str] | None) -> int:
    """Run a click group: every failure becomes one line on stderr and its exit code, never a traceback.

    Under --json stdout still gets its one JSON object, with an `error`, whatever failed;
    --debug (or NEMO_SKILLS_DEBUG=1) adds the traceback of an unexpected failure.
    """
    global _json_printed
    args = list(sys.argv[1:] if argv is None else argv)
    words = args[: args.index("--")] if "--" in args else args
    as_json = "--json" in words
    debug = "--debug" in words or os.environ.get("NEMO_SKILLS_DEBUG", "") not in ("", "0")
    _json_printed = False
    try:
        # Without standalone mode, click returns a command's ctx.exit(n) code instead of raising it.
        result = group.main(args=args, prog_name="nemo-skills", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.ClickException as exc:
        code = ExitCode.BAD_INPUT if exc.exit_code == 2 else int(exc.exit_code)
        if as_json and not _json_printed:
            name = InputError.error_code if code == ExitCode.BAD_INPUT else NemoSkillsError.error_code
            print_json(error_object(exc, exc.format_message(), code, name=name))
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f" (see: {exc.ctx.command_path} --help)"
        error(" ".join(exc.format_message().split()) + hint)
        return code
    except (click.Abort, KeyboardInterrupt) as exc:
        return _fail(exc, "interrupted", ExitCode.INTERRUPTED, as_json)
    except NemoSkillsError as exc:
        return _fail(exc, exc.user_message(), int(exc.exit_code), as_json)
    except Exception as exc:
        if debug:
            traceback.print_exc()
        message, code, name = _unexpected(exc)
        return _fail(exc, message, code, as_json, name=name)
    return result if isinstance(result, int) and not isinstance(result, bool) else ExitCode.OK


def _fail(exc: BaseException, message: str, code: int, as_json: bool, *, name: str | None = None) -> int:
    if as_json and not _json_printed:
        text = message if not isinstance(exc, NemoSkillsError) else exc.message
        print_json(error_object(exc, text, code, name=name))
    error(one_line(message))
    return code


def one_line(message: str) -> str:
    """A message and its action as one line: each part ends as a sentence before the next begins."""
    parts = [part.strip() for part in message.splitlines() if part.strip()]
    # "... it was left as it is" + "Add the server by hand" must not read as one run-on sentence;
    # a part ending in a URL gets no period, which a terminal would take into the link.
    return " ".join(
        part
        if i == len(parts) - 1 or part.endswith(_SENTENCE_ENDS) or "://" in part.rsplit(" ", 1)[-1]
        else part + "."
        for i, part in enumerate(parts)
    )


def state(ctx: click.Context) -> Any:
    """The CliState of the root command."""
    return ctx.find_root().obj


def catalog_for(ctx: click.Context) -> Any:
    """The catalog, honouring --registry."""
    from nemo_skills.catalog.registry import get_catalog

    return get_catalog(state(ctx).registry)


def stdout_is_tty() -> bool:
    """Whether stdout is an interactive terminal."""
    return sys.stdout.isatty()
