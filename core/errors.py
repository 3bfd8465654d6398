"""One exception tree for everything nemo-skills reports to a user.

Each class carries the user-facing message, the action the seeds prescribe
(`action`), the protocol code or HTTP status it stands for, and the CLI exit
code. Messages never contain a token. `error_code` is the stable snake_case name
a script reads as `error.code` under --json (the list is in docs/cli.md).

    NemoSkillsError
    ├── InputError                      bad input, caught before anything is sent   (exit 2)
    │   ├── NoUsableInputError          nothing the router can route
    │   ├── UnknownSkillError           a skill name nobody registered
    │   ├── RegistryError               registry.yaml does not validate
    │   ├── UnsupportedFileError        4001: a format the backend does not take
    │   ├── FileTooLargeError           4002: over the skill's upload limit
    │   ├── DocumentNotSupportedError   a document given to a skill that takes none
    │   ├── NothingToExportError        the timeline is empty: nothing to render yet
    │   ├── UnknownRenderError          a render id the backend does not know
    │   ├── OutputExistsError           the output file exists and --force was not given
    │   ├── DocumentError               a document that cannot be read or used as a prompt
    │   ├── NotAVideoError              a contact sheet asked of a file that is not a video
    │   └── JobTaken                    another running process is working on the job
    ├── LocalStateError                 a file or folder nemo-skills keeps is unusable (exit 1)
    ├── ApiError                        the backend answered with an error
    │   ├── AuthError                   1001/1010/1011, HTTP 401                    (exit 3)
    │   ├── MissingClientIdError        HTTP 400 for a missing X-Client-Id          (exit 3)
    │   ├── SessionNotFoundError        1002: the session and its timeline are gone (exit 7)
    │   ├── NoCreditsError              2001                                        (exit 4)
    │   ├── PlanTierError               HTTP 402: export blocked by plan tier      (exit 5)
    │   ├── RateLimitedError            HTTP 429                                    (exit 6)
    │   └── BackendError                anything else, or a body that makes no sense (exit 7)
    │       └── ReplyNotAppliedError    the reply broke off or ended empty; the state shows no change
    ├── RenderError                     an export that did not produce a file       (exit 8)
    │   ├── RenderFailedError           the backend says the render failed
    │   ├── SaveError                   rendered, but the file could not be written (disk full)
    │   └── RenderTimeoutError          the deadline passed; carries the render id  (exit 9)
    ├── JobStillRunning                 a bounded wait ended before the job did; it goes on (exit 9)
    ├── JobCancelled                    the job was cancelled (`cancel`, `cancel_job`)  (exit 11)
    ├── OverBudgetError                 starting the work would pass --max-credits    (exit 10)
    ├── PreviewError                    a contact sheet of a video could not be made  (exit 1)
    │   └── PreviewUnavailableError     the bundled ffmpeg that makes them is not installed
    └── InterruptedByUser               Ctrl-C                                      (exit 130)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from nemo_skills import protocol


class ExitCode:
    """Process exit codes of the CLI, one per failure family."""

    OK = 0
    FAILURE = 1
    BAD_INPUT = 2
    AUTH = 3
    NO_CREDITS = 4
    PLAN_TIER = 5
    RATE_LIMITED = 6
    BACKEND = 7
    RENDER_FAILED = 8
    DEADLINE = 9
    OVER_BUDGET = 10
    CANCELLED = 11
    INTERRUPTED = 130

    DESCRIPTIONS: ClassVar[dict[int, str]] = {
        OK: "success",
        FAILURE: "unexpected failure",
        BAD_INPUT: "bad input (unsupported or too large file, unknown skill, bad arguments)",
        AUTH: "authentication failed (token rejected twice, or no client id accepted)",
        NO_CREDITS: "no credits left (2001)",
        PLAN_TIER: "export blocked by the plan tier (402)",
        RATE_LIMITED: "rate limited (429): asked to wait longer than allowed",
        BACKEND: "backend failure (unexpected answer, lost session, connection error)",
        RENDER_FAILED: "the render failed, or its file could not be saved",
        DEADLINE: "a deadline or --timeout passed first; the job or render goes on, to wait for or resume",
        OVER_BUDGET: "--max-credits: starting (more) work would pass the budget; what was not started is listed",
        CANCELLED: "the job was cancelled (nemo-skills cancel, or the MCP tool cancel_job)",
        INTERRUPTED: "interrupted (Ctrl-C)",
    }


class NemoSkillsError(Exception):
    """Base of every error nemo-skills raises on purpose."""

    exit_code: ClassVar[int] = ExitCode.FAILURE
    # The stable name scripts match on (`error.code` under --json); it never changes once published.
    error_code: ClassVar[str] = "internal"
    default_action: ClassVar[str | None] = None
    # What the failed work left behind, set by the job that caught it, so a report can say how to go on.
    job_id: str | None = None
    session_id: str | None = None
    render_id: str | None = None

    def __init__(self, message: str, *, action: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.action = action if action is not None else self.default_action

    def context(self) -> dict[str, str | None]:
        """The job, session and render this failure left behind (None where there is none)."""
        return {"job_id": self.job_id, "session_id": self.session_id, "render_id": self.render_id}

    def user_message(self) -> str:
        """The message and, when there is one, the action, as a user reads them."""
        if self.action and self.action not in self.message:
            return f"{self.message}\n{self.action}"
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class InputError(NemoSkillsError):
    """The input was rejected locally, before anything was sent."""

    exit_code = ExitCode.BAD_INPUT
    error_code = "bad_input"


class NoUsableInputError(InputError):
    """Nothing in the input can be routed to a skill."""

    error_code = "no_usable_input"


class UnknownSkillError(InputError):
    """A skill name that no loaded plugin registers."""

    error_code = "unknown_skill"


class RegistryError(InputError):
    """registry.yaml (or the file named instead) does not validate."""

    error_code = "bad_registry"


def accepted_formats_text(formats: Iterable[str] = protocol.ACCEPTED_UPLOAD_FORMATS) -> str:
    """The accepted upload formats, as the seeds list them."""
    return ", ".join(formats)


class UnsupportedFileError(InputError):
    """4001: the file's format is not one the backend accepts."""

    error_code = "unsupported_file"
    code: ClassVar[int] = protocol.ErrorCode.UNSUPPORTED_FILE
    default_action = f"Supported formats: {accepted_formats_text()}."


class FileTooLargeError(InputError):
    """4002: the file is larger than the skill's upload limit."""

    error_code = "file_too_large"
    code: ClassVar[int] = protocol.ErrorCode.FILE_TOO_LARGE
    default_action = "Try compressing the file or trimming it to a shorter clip, then upload again."


_DOCUMENTS = "Documents (" + ", ".join(f.upper() for f in protocol.DOCUMENT_FORMATS) + ")"


class DocumentNotSupportedError(InputError):
    """A document was given to a skill that does not read documents; `readers` are the skills that do."""

    error_code = "document_not_supported"
    default_action = f"{_DOCUMENTS} are read only by a skill that accepts documents: see nemo-skills list."

    def __init__(
        self,
        message: str,
        *,
        readers: Iterable[str] = (),
        file: str | None = None,
        action: str | None = None,
    ) -> None:
        self.readers = tuple(readers)
        if action is None and self.readers:
            # The caller knows which served skills read documents; this layer cannot look them up.
            first = self.readers[0]
            command = f"nemo-skills run {first}" + (f" --file {file}" if file else "")
            action = f"{_DOCUMENTS} are read by {', '.join(self.readers)}: {command}"
        super().__init__(message, action=action)


class NothingToExportError(InputError):
    """The timeline has no segment yet, so there is nothing to render."""

    error_code = "nothing_to_export"
    default_action = "Describe the video you want (or upload media) first, then export."


class UnknownRenderError(InputError):
    """A render id the backend does not know (mistyped, or its render has since been removed)."""

    error_code = "unknown_render"


class OutputExistsError(InputError):
    """The output file exists and --force was not given."""

    error_code = "output_exists"


class DocumentError(InputError):
    """A document that cannot be read, or whose text is unusable as a prompt."""

    error_code = "bad_document"


class JobTaken(InputError):
    """Another running process is already working on this job."""

    error_code = "job_busy"


class LocalStateError(NemoSkillsError):
    """A file or folder nemo-skills keeps (token cache, data folder) is in a state it cannot use."""

    error_code = "local_state"


class JobsDatabaseError(NemoSkillsError):
    """The shared jobs database (NEMO_SKILLS_JOBS_URL) cannot be reached or used."""

    exit_code = ExitCode.BACKEND
    error_code = "jobs_database"


class ApiError(NemoSkillsError):
    """The backend answered with an error; `code` and `status` say which."""

    exit_code = ExitCode.BACKEND
    error_code = "backend_error"
    # Class defaults, so an error restored from the job journal (see restore_error) reads like a raised one.
    code: int | None = None
    status: int | None = None

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        status: int | None = None,
        action: str | None = None,
    ) -> None:
        super().__init__(message, action=action)
        self.code = code
        self.status = status


class AuthError(ApiError):
    """1001/1010/1011 or HTTP 401: the token was rejected, even after a fresh one."""

    exit_code = ExitCode.AUTH
    error_code = "auth_failed"
    default_action = "Check NEMO_TOKEN; without one, a fresh anonymous token (100 free credits) is fetched on the next run."


class MissingClientIdError(ApiError):
    """HTTP 400: the backend wanted an X-Client-Id and did not accept ours."""

    exit_code = ExitCode.AUTH
    error_code = "client_id_refused"
    default_action = "A new client id was generated and the request retried once; it still failed."


class SessionNotFoundError(ApiError):
    """1002: the session is gone, and with it its timeline."""

    error_code = "session_not_found"
    default_action = "A new session is needed; the previous timeline is gone."


class NoCreditsError(ApiError):
    """2001: no credits left; anonymous users get a registration link."""

    exit_code = ExitCode.NO_CREDITS
    error_code = "no_credits"
    default_action = "Top up credits in your account."
    bind_id: str | None = None
    anonymous: bool = True

    def __init__(
        self,
        message: str,
        *,
        bind_id: str | None = None,
        anonymous: bool = True,
        code: int | None = protocol.ErrorCode.NO_CREDITS,
        status: int | None = None,
    ) -> None:
        action = (
            f"Register to get more credits: {registration_url(bind_id)}"
            if anonymous
            else "Top up credits in your account."
        )
        super().__init__(message, code=code, status=status, action=action)
        self.bind_id = bind_id
        self.anonymous = anonymous


def registration_url(bind_id: str | None) -> str:
    """The registration URL that binds an anonymous user's work to a new account."""
    base = protocol.REGISTRATION_URL
    return f"{base}?bind={bind_id}" if bind_id else base


class PlanTierError(ApiError):
    """HTTP 402: export is blocked by the plan tier; this is not about credits."""

    exit_code = ExitCode.PLAN_TIER
    error_code = "plan_tier"
    default_action = "Register or upgrade your plan to unlock export."


class RateLimitedError(ApiError):
    """HTTP 429: still rate limited after waiting and retrying once."""

    exit_code = ExitCode.RATE_LIMITED
    error_code = "rate_limited"
    default_action = "Wait a little and try again (anonymous tokens: 1 per client per 7 days)."
    retry_after: float | None = None

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        code: int | None = None,
        status: int | None = protocol.HTTP_RATE_LIMITED,
    ) -> None:
        super().__init__(message, code=code, status=status)
        self.retry_after = retry_after


class BackendError(ApiError):
    """The backend failed, or answered with something that is not its protocol."""

    error_code = "backend_error"


class ReplyNotAppliedError(BackendError):
    """The reply stream broke off or ended without text, and the settled state shows no change.

    `cut` is True when the stream was cut (connection dropped, silence, the reply's cap) rather than
    ended by the backend: the generation may then still be running, so nothing may be sent again yet.
    """

    error_code = "not_applied"
    cut: bool = False

    def __init__(self, message: str, *, action: str | None = None, cut: bool = False) -> None:
        super().__init__(message, action=action)
        self.cut = cut


class RenderError(NemoSkillsError):
    """An export did not produce a file."""

    exit_code = ExitCode.RENDER_FAILED
    error_code = "render_failed"

    def __init__(self, message: str, *, render_id: str | None = None, action: str | None = None) -> None:
        super().__init__(message, action=action)
        self.render_id = render_id


class RenderFailedError(RenderError):
    """The backend reports the render job as failed."""

    error_code = "render_failed"
    default_action = "The timeline is kept: run `nemo-skills export` again to start a new render of it."


class SaveError(RenderError):
    """The render is done but its file could not be written (a full disk, say); `render_id` fetches it later."""

    error_code = "save_failed"


class RenderTimeoutError(RenderError):
    """The deadline passed before the render finished; `render_id` resumes it."""

    exit_code = ExitCode.DEADLINE
    error_code = "deadline"


class NotAVideoError(InputError):
    """The file is missing, or is not a video: not media at all, audio only, or a still image."""

    error_code = "not_a_video"


class PreviewError(NemoSkillsError):
    """A contact sheet could not be made of a video ffmpeg reads (a broken file, a failing ffmpeg)."""

    error_code = "preview_failed"


class PreviewUnavailableError(PreviewError):
    """The bundled ffmpeg (imageio-ffmpeg, the [local] extra) that makes contact sheets is missing."""

    error_code = "preview_unavailable"
    default_action = "Install it: pip install 'nemo-skills[local]'"


class OverBudgetError(NemoSkillsError):
    """Starting the work would pass the budget (--max-credits): it was not started; nothing running was cut."""

    exit_code = ExitCode.OVER_BUDGET
    error_code = "over_budget"
    default_action = "Raise --max-credits, or run fewer requests."


class JobStillRunning(NemoSkillsError):
    """A bounded wait for a job ended before the job did; the job goes on in its worker.

    `status` is what `run --detach --json` says of a running job (status, stage, progress, skill, output),
    so a script reads one shape for the same state.
    """

    exit_code = ExitCode.DEADLINE
    error_code = "still_running"
    status: dict[str, object] | None = None


class JobCancelled(NemoSkillsError):
    """The job was cancelled: nothing more is sent for it; what the backend already did stays done."""

    exit_code = ExitCode.CANCELLED
    error_code = "cancelled"


class InterruptedByUser(NemoSkillsError):
    """The user pressed Ctrl-C; whatever can be resumed has been kept."""

    exit_code = ExitCode.INTERRUPTED
    error_code = "interrupted"


IO_ERROR = "io_error"


def error_codes() -> dict[str, type[NemoSkillsError]]:
    """Every `error_code` name of this tree, with the first (most general) class that carries it."""
    found: dict[str, type[NemoSkillsError]] = {}
    pending: list[type[NemoSkillsError]] = [NemoSkillsError]
    while pending:
        cls = pending.pop(0)
        if cls.__module__ == __name__:
            found.setdefault(cls.error_code, cls)
        pending.extend(cls.__subclasses__())
    return found


def restore_error(code: str, message: str, *, action: str | None = None) -> NemoSkillsError:
    """The error a job recorded (its `error_code`, message and action), raised again by whoever waits.

    The class is the most general one carrying the code, so the exit code and `error.code` match what
    the worker that ran the job would have reported; an unknown code restores as a plain failure.
    """
    cls = error_codes().get(code, NemoSkillsError)
    # Subclasses take their own constructor arguments; the base fields are all a report reads.
    restored = cls.__new__(cls)
    NemoSkillsError.__init__(restored, message, action=action)
    return restored


def error_code_of(exc: BaseException) -> str:
    """The `error_code` name of any exception: its own, else the family an unforeseen one falls in."""
    if isinstance(exc, NemoSkillsError):
        return exc.error_code
    if isinstance(exc, KeyboardInterrupt):
        return InterruptedByUser.error_code
    if isinstance(exc, UnicodeError):
        return InputError.error_code
    if isinstance(exc, OSError):
        # A file or folder the system refused (full disk, a file where a folder should be, permissions).
        return IO_ERROR
    return NemoSkillsError.error_code


def protocol_code_of(exc: BaseException) -> int | None:
    """The backend's numeric code (or HTTP status) an error stands for, when there is one."""
    code = getattr(exc, "code", None)
    return code if isinstance(code, int) and not isinstance(code, bool) else None
