"""What a SKILL.md template reads: one skill's declaration plus the protocol's facts.

Every number, path, header, code and action below comes from `protocol`,
`errors`, `intents` or `draft`, so the published text follows the code.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from nemo_skills import errors, protocol
from nemo_skills.catalog.skill import LanguageMode, Skill
from nemo_skills.draft import Draft
from nemo_skills.files.media import InputKind, upload_format
from nemo_skills.intents import KEYWORDS, Intent
from nemo_skills.skillmd.wording import complete_examples


class Format(StrEnum):
    """Frontmatter dialect of a generated SKILL.md."""

    CLAWHUB = "clawhub"
    AGENTSKILLS = "agentskills"


class Mode(StrEnum):
    """How the generated SKILL.md tells an agent to work."""

    API = "api"  # drive the HTTP API by hand, like the seeds
    CLI = "cli"  # call the installed nemo-skills command


# What OpenClaw runs for a `kind: uv` install entry, and what the cli-mode body tells an agent to run.
INSTALL_COMMAND = "uv tool install nemo-skills"

# How long each agent host lets one tool call or shell command run before cutting it off, in seconds. A video
# takes longer than the shortest of these, so both modes tell the agent to start the work and wait in bounded
# steps.
HOST_TIME_LIMITS: tuple[tuple[str, int], ...] = (
    ("OpenClaw", 30),
    ("MCP clients", 60),
    ("Claude Code's shell", 120),
)

# One bounded wait (`nemo-skills wait --timeout`, `curl --max-time`): a few seconds under the shortest limit
# above, so the command itself has time to start and answer before the host cuts it.
WAIT_STEP_SECONDS = min(seconds for _, seconds in HOST_TIME_LIMITS) - 5


def _duration(seconds: int) -> str:
    return f"{seconds // 60} minutes" if seconds >= 120 and seconds % 60 == 0 else f"{seconds} s"


def time_limits_note() -> str:
    """The sentence both modes open their time-limit section with: the hosts' limits against a video's time."""
    limits = ", ".join(f"{host} after {_duration(seconds)}" for host, seconds in HOST_TIME_LIMITS)
    return (
        f"Agent hosts cut off a tool call or shell command after a fixed time ({limits}), "
        "while a generation can take 1-3 minutes and a render 30-90 seconds."
    )


class Row(BaseModel):
    """One row of a table in the generated text."""

    model_config = ConfigDict(frozen=True)

    cells: tuple[str, ...]


class SkillMdContext(BaseModel):
    """Everything a SKILL.md template may reference."""

    model_config = ConfigDict(frozen=True)

    skill: Skill
    format: Format
    mode: Mode
    spoken_name: str
    examples: tuple[str, ...]
    install_command: str
    api_base: str
    env_token: str
    env_api_base: str
    env_platform: str
    paths: dict[str, str]
    session_body: str
    language_note: str
    chat_body: str
    upload_url_body: str
    upload_field: str
    render_body: str
    sse_accept: str
    headers: dict[str, str]
    platform_dirs: tuple[Row, ...]
    anon_credits: int
    anon_days: int
    sse_max_minutes: int
    still_working_minutes: int
    poll_seconds: int
    rate_limit_wait_seconds: int
    time_limits_note: str
    wait_step_seconds: int
    still_running_exit: int
    accepted_formats: str
    upload_recommended: tuple[str, ...]
    document_recommended: tuple[str, ...]
    reads_documents: bool
    document_formats: str
    statuses: dict[str, str]
    intents: tuple[Row, ...]
    errors: tuple[Row, ...]
    draft_keys: dict[str, str]
    track_types: str
    timeline_example: str
    exit_codes: tuple[Row, ...]
    unsupported_action: str
    too_large_action: str
    plan_tier_action: str
    top_up_action: str
    registration_url: str

    def variables(self) -> dict[str, Any]:
        """The template variables: the top-level fields, nested values left as they are."""
        return {name: getattr(self, name) for name in type(self).model_fields}


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# A JSON placeholder shown unquoted, as the seeds write `"draft":<json>`.
_DRAFT_PLACEHOLDER = "\x00draft\x00"


def _render_body() -> str:
    body = protocol.render_body("render_<ts>", "<sid>", _DRAFT_PLACEHOLDER)
    return _compact(body).replace(_compact(_DRAFT_PLACEHOLDER), "<json>")


def _session(skill: Skill) -> tuple[str, str]:
    """The create-session body this skill sends, and a sentence on its `language`."""
    if skill.language_mode is LanguageMode.OMIT:
        return _compact(protocol.session_body(None)), "This skill sends no `language` in the body."
    if skill.language_mode is LanguageMode.DETECTED:
        note = (
            'Replace `<detected>` with the language of the user\'s request: `"zh"` for Chinese text, '
            f'otherwise `"{skill.language}"`.'
        )
        return _compact(protocol.session_body("<detected>")), note
    return _compact(protocol.session_body(skill.language)), f'This skill always sends `"{skill.language}"`.'


_INTENT_ACTIONS: dict[Intent, str] = {
    Intent.EXPORT: f"→ Export (`POST {protocol.PATH_RENDER}`)",
    Intent.CREDITS: f"→ Credits (`GET {protocol.PATH_CREDITS}`)",
    Intent.STATE: f"→ State (`GET {protocol.state_path('<sid>')}`)",
    Intent.UPLOAD: f"→ Upload (`POST {protocol.upload_path('<sid>')}`)",
}


def _intent_rows() -> tuple[Row, ...]:
    rows = []
    for intent, words in KEYWORDS:
        says = " / ".join(f'"{w}"' for w in words)
        if intent is Intent.UPLOAD:
            says += " / user sends file"
        rows.append(Row(cells=(says, _INTENT_ACTIONS[intent], "✅")))
    rows.append(
        Row(
            cells=(
                "Everything else (generate, edit, add BGM…)",
                f"→ SSE chat (`POST {protocol.PATH_RUN_SSE}`)",
                "❌",
            )
        )
    )
    return tuple(rows)


def _error_rows(skill: Skill) -> tuple[Row, ...]:
    days = protocol.ANON_TOKEN_TTL_SECONDS // 86400
    token_codes = "/".join(str(int(c)) for c in sorted(protocol.TOKEN_ERROR_CODES))
    wait = int(protocol.RATE_LIMIT_WAIT_SECONDS)
    code = protocol.ErrorCode
    return (
        Row(cells=(str(int(code.SUCCESS)), "Success", "Continue")),
        Row(
            cells=(
                f"{token_codes}, HTTP {protocol.HTTP_UNAUTHORIZED}",
                "Bad/expired token",
                f"Re-auth via anonymous-token (`POST {protocol.PATH_ANON_TOKEN}`; tokens expire after {days} days) "
                f'and retry once. If a NEMO_TOKEN you were given is still rejected: "{errors.AuthError.default_action}"',
            )
        ),
        Row(
            cells=(
                str(int(code.SESSION_NOT_FOUND)),
                "Session not found",
                f'Create a new session and say so: "{errors.SessionNotFoundError.default_action}"',
            )
        ),
        Row(
            cells=(
                str(int(code.NO_CREDITS)),
                "No credits",
                f"Anonymous: show the registration URL with ?bind=<id> ({errors.registration_url('<id>')}; "
                "get <id> from the create-session or state response when needed). "
                f'Registered: "{errors.NoCreditsError.default_action}"',
            )
        ),
        Row(
            cells=(
                str(int(code.UNSUPPORTED_FILE)),
                "Unsupported file",
                f'Show supported formats: "{errors.UnsupportedFileError.default_action}"',
            )
        ),
        Row(
            cells=(
                str(int(code.FILE_TOO_LARGE)),
                "File too large",
                f"Suggest compress/trim (the limit is {skill.max_upload_mb}MB): "
                f'"{errors.FileTooLargeError.default_action}"',
            )
        ),
        Row(
            cells=(
                str(protocol.HTTP_MISSING_CLIENT_ID),
                f"Missing {protocol.HEADER_CLIENT_ID}",
                "Generate a Client-Id (a new UUID) and retry once",
            )
        ),
        Row(
            cells=(
                str(protocol.HTTP_PLAN_TIER),
                "Free plan export blocked",
                "Subscription tier issue, NOT credits. Missing attribution headers also make export fail with "
                f"{protocol.HTTP_PLAN_TIER}, but you send them on every request, so a {protocol.HTTP_PLAN_TIER} "
                f'means the plan tier: "{errors.PlanTierError.default_action}"',
            )
        ),
        Row(
            cells=(
                str(protocol.HTTP_RATE_LIMITED),
                f"Rate limit (1 token/client/{days} days)",
                f"Retry in {wait}s once (wait {wait}s, then retry once)",
            )
        ),
    )


def _timeline_example() -> str:
    """The seeds' example summary, produced by the same code that summarises real drafts."""
    draft = Draft.model_validate(
        {
            protocol.DRAFT_TRACKS: [
                {
                    protocol.DRAFT_TRACK_TYPE: protocol.TrackType.VIDEO,
                    protocol.DRAFT_SEGMENTS: [{"st": 0, "d": 10_000, "m": {"label": "city timelapse"}}],
                },
                {
                    protocol.DRAFT_TRACK_TYPE: protocol.TrackType.AUDIO,
                    protocol.DRAFT_SEGMENTS: [
                        {"st": 0, "d": 10_000, "m": {"label": "Lo-fi", "volume": 0.35}}
                    ],
                },
                {
                    protocol.DRAFT_TRACK_TYPE: protocol.TrackType.TEXT,
                    protocol.DRAFT_SEGMENTS: [{"st": 0, "d": 3_000, "m": {"text": "Urban Dreams"}}],
                },
            ]
        }
    )
    return draft.summary()


def build_context(skill: Skill, *, format: Format, mode: Mode) -> SkillMdContext:
    """The template context for one skill, format and mode."""
    session_body, language_note = _session(skill)
    document_recommended = tuple(
        f
        for f in skill.recommended_formats
        if f.lower() in protocol.DOCUMENT_FORMATS and upload_format(f) is None
    )
    upload_recommended = tuple(f for f in skill.recommended_formats if f not in document_recommended)
    return SkillMdContext(
        skill=skill,
        format=format,
        mode=mode,
        spoken_name=skill.name.replace("-", " "),
        examples=complete_examples(skill),
        install_command=INSTALL_COMMAND,
        api_base=protocol.DEFAULT_BASE_URL,
        env_token=protocol.ENV_TOKEN,
        env_api_base=protocol.ENV_API_BASE,
        env_platform=protocol.ENV_PLATFORM,
        paths={
            "token": protocol.PATH_ANON_TOKEN,
            "session": protocol.PATH_CREATE_SESSION,
            "chat": protocol.PATH_RUN_SSE,
            "upload": protocol.upload_path("<sid>"),
            "credits": protocol.PATH_CREDITS,
            "state": protocol.state_path("<sid>"),
            "render": protocol.PATH_RENDER,
            "render_status": protocol.render_status_path("<id>"),
        },
        session_body=session_body,
        language_note=language_note,
        chat_body=_compact(protocol.chat_body("<sid>", "<msg>")),
        upload_url_body=_compact({"urls": ["<url>"], "source_type": protocol.UPLOAD_URL_SOURCE_TYPE}),
        upload_field=protocol.UPLOAD_FIELD,
        render_body=_render_body(),
        sse_accept=protocol.SSE_ACCEPT,
        headers={
            "auth": protocol.HEADER_AUTH,
            "client_id": protocol.HEADER_CLIENT_ID,
            "source": protocol.HEADER_SKILL_SOURCE,
            "version": protocol.HEADER_SKILL_VERSION,
            "platform": protocol.HEADER_SKILL_PLATFORM,
        },
        platform_dirs=tuple(Row(cells=(d, p)) for d, p in protocol.PLATFORM_INSTALL_DIRS),
        anon_credits=protocol.ANON_TOKEN_CREDITS,
        anon_days=protocol.ANON_TOKEN_TTL_SECONDS // 86400,
        sse_max_minutes=protocol.SSE_MAX_SECONDS // 60,
        still_working_minutes=int(protocol.STILL_WORKING_SECONDS // 60),
        poll_seconds=int(protocol.RENDER_POLL_MAX_SECONDS),
        rate_limit_wait_seconds=int(protocol.RATE_LIMIT_WAIT_SECONDS),
        time_limits_note=time_limits_note(),
        wait_step_seconds=WAIT_STEP_SECONDS,
        # The exit code of a bounded wait that ended before its job did (the job goes on).
        still_running_exit=errors.ExitCode.DEADLINE,
        accepted_formats=errors.accepted_formats_text(),
        upload_recommended=upload_recommended,
        document_recommended=document_recommended,
        reads_documents=skill.accepts(InputKind.DOCUMENT),
        document_formats=", ".join(f.upper() for f in protocol.DOCUMENT_FORMATS),
        statuses={
            "pending": protocol.RenderStatus.PENDING,
            "processing": protocol.RenderStatus.PROCESSING,
            "completed": protocol.RenderStatus.COMPLETED,
            "failed": protocol.RenderStatus.FAILED,
        },
        intents=_intent_rows(),
        errors=_error_rows(skill),
        draft_keys={
            "tracks": protocol.DRAFT_TRACKS,
            "track_type": protocol.DRAFT_TRACK_TYPE,
            "segments": protocol.DRAFT_SEGMENTS,
            "duration": protocol.DRAFT_DURATION,
            "meta": protocol.DRAFT_META,
        },
        track_types=", ".join(f"{int(t)}={t.name.lower()}" for t in protocol.TrackType),
        timeline_example=_timeline_example(),
        exit_codes=tuple(Row(cells=(str(c), text)) for c, text in errors.ExitCode.DESCRIPTIONS.items()),
        unsupported_action=str(errors.UnsupportedFileError.default_action),
        too_large_action=str(errors.FileTooLargeError.default_action),
        plan_tier_action=str(errors.PlanTierError.default_action),
        top_up_action=str(errors.NoCreditsError.default_action),
        registration_url=errors.registration_url("<id>"),
    )
