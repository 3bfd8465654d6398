"""`chat`: the seeds' iterative workflow in one session, a line at a time.

Each line goes through the intent router: export, credits, status and
`upload PATH` go straight to the API; anything else is sent to the chat.
Reads stdin, so it works piped as well as at a terminal.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nemo_skills.cli.display import Reporter, human_bytes
from nemo_skills.cli.options import (
    backend_option,
    check_session_flags,
    deadline_option,
    progress_option,
    reporter_for,
    session_options,
)
from nemo_skills.cli.output import catalog_for, one_line
from nemo_skills.cli.params import GivenPath
from nemo_skills.errors import ExitCode, InputError, NemoSkillsError
from nemo_skills.files.edge import check_prompt, safe_text

if TYPE_CHECKING:
    from nemo_skills.jobs.skill_session import SkillSession

QUIT_WORDS = frozenset({"quit", "exit", ":q", "bye", "退出"})
HELP_WORDS = frozenset({"help", "?", "帮助"})
HELP_TEXT = """\
Type what you want, e.g. "add lo-fi background music at 35%".
  status              show the timeline          (also: show tracks, 状态)
  credits             show the credit balance    (also: balance, 积分)
  upload PATH         add a local file           (also: 上传 PATH, or just a file path)
  export [FILE.mp4]   render and download        (also: download, 导出)
  quit                leave; the session is kept (also: exit, Ctrl-D)"""


def _upload_path(line: str, keyword: str | None) -> Path | None:
    """The file a line names: the text after the upload keyword, or the whole line."""
    rest = line
    if keyword:
        at = line.lower().find(keyword.lower())
        rest = line[at + len(keyword) :] if at >= 0 else line
    rest = rest.strip()
    if not rest:
        return None
    try:
        parts = shlex.split(rest)
    except ValueError:
        parts = [rest]
    return Path(" ".join(parts)).expanduser() if parts else None


def _export_target(line: str) -> Path | None:
    """An output file named in an export line ('export sunset.mp4')."""
    try:
        words = shlex.split(line)
    except ValueError:
        words = line.split()
    for word in words:
        if word.lower().endswith(".mp4"):
            return Path(word).expanduser()
    return None


def _is_existing_file(line: str) -> bool:
    try:
        words = shlex.split(line)
    except ValueError:
        return False
    if len(words) != 1:
        return False
    path = Path(words[0]).expanduser()
    return path.suffix != "" and path.is_file()


def _read_line() -> str:
    """The next line of stdin; bytes that are not UTF-8 stay as surrogates for check_prompt to refuse."""
    raw = getattr(sys.stdin, "buffer", None)
    if raw is None:
        return sys.stdin.readline()
    # Decoding each line ourselves keeps one bad line from ending the session (a strict locale would raise).
    data: bytes = raw.readline()
    return data.decode("utf-8", "surrogateescape")


class ChatLoop:
    """Reads lines and answers each through the session; async steps run on one event loop."""

    def __init__(
        self,
        runner: asyncio.Runner,
        session: SkillSession,
        reporter: Reporter,
        *,
        output: Path | None,
        force: bool,
        deadline: float | None,
        interactive: bool,
    ) -> None:
        self.runner = runner
        self.session = session
        self.reporter = reporter
        self.output = output
        self.force = force
        self.deadline = deadline
        self.interactive = interactive
        self.written: set[Path] = set()
        self.last_error = 0

    def say(self, text: str) -> None:
        """Print to stdout, with the live display out of the way."""
        self.reporter.pause()
        click.echo(safe_text(text))

    def handle(self, line: str) -> None:
        """Answer one line; an error is reported and the loop goes on."""
        from nemo_skills.intents import Intent, classify

        try:
            # A line of bytes that are not UTF-8, or past the prompt limit, is refused here, not sent.
            check_prompt(line, what="that line")
            if _is_existing_file(line):
                self.upload(_upload_path(line, None))
                return
            match = classify(line)
            if match.intent is Intent.EXPORT:
                self.export(_export_target(line))
            elif match.intent is Intent.CREDITS:
                credits = self.runner.run(self.session.credits())
                self.say(
                    f"Credits: {credits.available:g} available, {credits.frozen:g} frozen, {credits.total:g} total"
                )
            elif match.intent is Intent.STATE:
                state = self.runner.run(self.session.state())
                self.say(state.timeline)
            elif match.intent is Intent.UPLOAD and _upload_path(line, match.keyword) is not None:
                self.upload(_upload_path(line, match.keyword))
            else:
                self.chat(line)
            self.last_error = 0
        except NemoSkillsError as exc:
            self.reporter.pause()
            click.echo(f"Error: {safe_text(one_line(exc.user_message()))}", err=True)
            self.last_error = exc.exit_code

    def upload(self, path: Path | None) -> None:
        """Upload a file into the session."""
        if path is None:
            raise InputError("upload what? Type: upload PATH")
        from nemo_skills.files.documents import is_document

        if is_document(path):
            # Documents are never uploaded: their text is the request (for skills that accept documents).
            from nemo_skills.jobs.inputs import build_prompt, prepare_input

            prepared = prepare_input(self.session.skill, "", [path])
            self.chat(build_prompt(self.session.skill, prepared, []))
            return
        names = self.runner.run(self.session.upload_file(path))
        self.say(f"Uploaded {', '.join(names)}. Tell me what to do with it.")

    def chat(self, text: str) -> None:
        """Send a message and print the reply."""
        from nemo_skills.cli.reports import reply_block

        reply = self.runner.run(self.session.send(text))
        self.say(reply_block(reply.text, reply.changes, reply.timeline))

    def export(self, target: Path | None) -> None:
        """Render and download the timeline."""
        from nemo_skills.files.naming import resolve_output

        title = self.session.title or ""
        wanted = target if target is not None else self.output
        if wanted is not None and target is None and (Path.cwd() / wanted) in self.written:
            # -o names the first export; later ones get numbered names beside it.
            title, wanted = Path(wanted).stem, Path(wanted).parent
        dest = resolve_output(
            wanted, title, force=self.force, fallback=self.session.skill.name, taken=self.written
        )
        result = self.runner.run(self.session.export(dest, deadline=self.deadline))
        self.written.add(result.path)
        self.say(f"Saved: {result.path} ({human_bytes(result.size)}, {result.render_id})")

    def loop(self) -> None:
        """Read and answer lines until quit or end of input."""
        while True:
            if self.interactive:
                self.reporter.pause()
                click.echo("> ", nl=False, err=True)
            line = _read_line()
            if not line:
                break
            line = line.strip()
            if not line:
                continue
            if line.lower() in QUIT_WORDS:
                break
            if line.lower() in HELP_WORDS:
                self.say(HELP_TEXT)
                continue
            self.handle(line)


@click.command("chat")
@click.argument("skill", required=False)
@backend_option
@session_options
@click.option(
    "-o",
    "--output",
    type=GivenPath(path_type=Path),
    help="Where `export` saves the MP4 (default: a name from the first request, here).",
)
@click.option("--force", is_flag=True, help="Let `export` replace an existing file.")
@deadline_option
@progress_option
@click.pass_context
def chat_cmd(
    ctx: click.Context,
    skill: str | None,
    backend: str,
    session_id: str | None,
    continue_last: bool,
    output: Path | None,
    force: bool,
    deadline: float | None,
    progress_mode: str,
) -> None:
    """Talk to SKILL line by line: edit, check status and credits, upload, export.

    Lines come from stdin, so requests can be piped in. The session is kept:
    continue it later with --session ID, or --continue for the last one of SKILL.
    Exits 0, or with the exit code of the last line that failed.
    """
    check_session_flags(session_id, continue_last)
    from nemo_skills.jobs.backends import client_options_from_env, open_backend
    from nemo_skills.jobs.interrupts import cancel_means_ctrl_c
    from nemo_skills.jobs.session_store import SessionStore
    from nemo_skills.jobs.skill_session import SkillSession, locate_session

    catalog = catalog_for(ctx)
    store = SessionStore()
    interactive = sys.stdin.isatty()
    code = 0
    with (
        cancel_means_ctrl_c(),
        open_backend(backend) as server,
        reporter_for(progress_mode) as reporter,
        asyncio.Runner() as runner,
    ):
        if skill is not None and skill.strip().lower() != "auto":
            chosen = catalog.get(skill)
        elif session_id or continue_last:
            chosen, _ = locate_session(store, server, catalog, session_id=session_id)
        else:
            raise click.UsageError("name a SKILL (see `nemo-skills list`), or give --session / --continue.")
        session = SkillSession(
            chosen, server, store=store, options=client_options_from_env(), on_progress=reporter
        )
        try:
            info = runner.run(session.open(session_id, continue_last=continue_last))
            flag = f" {server.cli_flag()}" if server.cli_flag() else ""
            reporter.pause()
            click.echo(
                f"{chosen.emoji} {chosen.title}: session {info.session_id}. Type `help` for commands.",
                err=True,
            )
            chat = ChatLoop(
                runner,
                session,
                reporter,
                output=output,
                force=force,
                deadline=deadline,
                interactive=interactive,
            )
            try:
                chat.loop()
            except KeyboardInterrupt:
                code = ExitCode.INTERRUPTED
            code = code or chat.last_error
            reporter.pause()
            click.echo(
                f"Session kept. Continue with: nemo-skills chat {chosen.name} --session {session.session_id}{flag}",
                err=True,
            )
        finally:
            runner.run(session.aclose())
    if code:
        ctx.exit(code)
