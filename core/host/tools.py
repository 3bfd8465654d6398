"""The tools a host exposes, each declared once: schema, description, handler and instruction line.

`nemo-skills tools`, the MCP server's tool list and instructions, and the
`Toolbox` dispatch are all read from `TOOLS`. A new tool is one `ToolSpec`
here, pointing at its argument model (`tool_args`), result model
(`tool_results`) and handler (`handlers`); nothing else lists the tools but
`tool_listing.json`, which is rewritten from this list (see `tool_listing`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nemo_skills.host import handlers
from nemo_skills.host.tool_args import (
    CancelJobArgs,
    ChatArgs,
    ExportArgs,
    GetCreditsArgs,
    GetStateArgs,
    ListJobsArgs,
    ListSkillsArgs,
    RouteInputArgs,
    RunBatchArgs,
    RunSkillArgs,
    UploadArgs,
    VideoChunkArgs,
    WaitJobArgs,
)
from nemo_skills.host.tool_results import (
    BatchOutput,
    CancelOutput,
    ChatOutput,
    CreditsOutput,
    JobList,
    RouteOutput,
    RunSkillOutput,
    SkillList,
    StateOutput,
    UploadOutput,
    VideoChunk,
)
from nemo_skills.host.tool_spec import SchemaFormat, ToolSpec, tool_schema

TOOLS: tuple[ToolSpec[Any, Any], ...] = (
    ToolSpec(
        name="route_input",
        description="Pick the NemoVideo skill that suits a request (text, URLs, local files) and explain why, "
        "with every skill's score. Nothing is sent anywhere.",
        args=RouteInputArgs,
        result=RouteOutput,
        handler=handlers.route_input,
        instruction="picks the skill for a request (nothing is sent).",
        read_only=True,
        offline=True,
    ),
    ToolSpec(
        name="run_skill",
        description="Make a video: route the input to a skill (or use the one named), upload the files and URLs, "
        "send the prompt, and render the result to an MP4. Returns the editor's reply, the timeline "
        'summary and the MP4 path; a video not finished within wait_seconds comes back as status "running" '
        "with a job_id for wait_job. Calling it again with the same request joins the running job: "
        "it never pays twice.",
        args=RunSkillArgs,
        result=RunSkillOutput,
        handler=handlers.run_skill,
        instruction="makes a video end to end (upload, prompt, render to MP4) and opens a session; "
        'answers within wait_seconds, with status "running" and a job_id when the video takes longer.',
        view=True,
    ),
    ToolSpec(
        name="run_batch",
        description="Make several videos at once (at most 20), each its own job and its own session, with the "
        'same answer per item as run_skill: the MP4 path, or status "running" with a job_id for wait_job. '
        "Asking the same requests again joins their running jobs: nothing is paid twice.",
        args=RunBatchArgs,
        result=BatchOutput,
        handler=handlers.run_batch,
        instruction="makes several videos at once, one job each; follow running ones with wait_job.",
        view=True,
    ),
    ToolSpec(
        name="wait_job",
        description="Wait up to wait_seconds for a job that run_skill or export answered as running, and return "
        'its result: status "completed" with the MP4 path (the same fields as run_skill), or status '
        '"running" again; then call wait_job again. The job goes on between calls, even across server restarts.',
        args=WaitJobArgs,
        result=RunSkillOutput,
        handler=handlers.wait_job,
        instruction="waits a bounded time for a running job and returns its video, or its status again.",
        read_only=True,
        view=True,
    ),
    ToolSpec(
        name="cancel_job",
        description="Cancel a job that run_skill or export started: a queued job never starts, a running one "
        "stops within seconds and nothing more is sent for it. What the backend already started is not "
        "recalled and the credits it spent stay spent. A finished job is left as it is.",
        args=CancelJobArgs,
        result=CancelOutput,
        handler=handlers.cancel_job,
        instruction="stops a job the user no longer wants (credits already spent stay spent).",
        offline=True,
    ),
    ToolSpec(
        name="list_jobs",
        description="List recent video jobs, newest first: state, skill, request, and the MP4 or the error.",
        args=ListJobsArgs,
        result=JobList,
        handler=handlers.list_jobs,
        instruction="lists recent jobs and where each is.",
        read_only=True,
        offline=True,
    ),
    ToolSpec(
        name="chat",
        description="Send the next instruction to the video editor of a session (e.g. 'add lo-fi music at 35%') "
        "and return its reply, what changed and the timeline summary.",
        args=ChatArgs,
        result=ChatOutput,
        handler=handlers.chat,
        instruction="sends the next instruction to the same session.",
    ),
    ToolSpec(
        name="upload",
        description="Upload local files or URLs into a session. Formats are checked before anything is sent.",
        args=UploadArgs,
        result=UploadOutput,
        handler=handlers.upload,
        instruction="adds files or URLs to the same session.",
    ),
    ToolSpec(
        name="get_state",
        description="Show a session's timeline: a track summary and whether it is ready to export.",
        args=GetStateArgs,
        result=StateOutput,
        handler=handlers.get_state,
        instruction="shows the same session's timeline.",
        read_only=True,
    ),
    ToolSpec(
        name="export",
        description="Render a session's timeline to a 1080p MP4 and download it (export is free). Sends progress "
        'while rendering; a render not finished within wait_seconds comes back as status "running" with a '
        "job_id for wait_job.",
        args=ExportArgs,
        result=RunSkillOutput,
        handler=handlers.export,
        instruction="renders the same session to an MP4 (free).",
        view=True,
    ),
    ToolSpec(
        name="video_chunk",
        description="For the job view (MCP Apps): a piece of a completed job's MP4, base64. Agents do not need "
        "it: the result of run_skill or wait_job names the MP4's path.",
        args=VideoChunkArgs,
        result=VideoChunk,
        handler=handlers.video_chunk,
        instruction="serves the job view the video's bytes (not for agents).",
        read_only=True,
        offline=True,
        app_only=True,
    ),
    ToolSpec(
        name="get_credits",
        description="Show the credit balance: available, frozen and total.",
        args=GetCreditsArgs,
        result=CreditsOutput,
        handler=handlers.get_credits,
        instruction="shows the balance.",
        read_only=True,
    ),
    ToolSpec(
        name="list_skills",
        description="List the video skills this host serves, with what each accepts, its upload limit and "
        "examples.",
        args=ListSkillsArgs,
        result=SkillList,
        handler=handlers.list_skills,
        instruction="lists the skills.",
        read_only=True,
        offline=True,
    ),
)

TOOLS_BY_NAME: dict[str, ToolSpec[Any, Any]] = {spec.name: spec for spec in TOOLS}


def tool_schemas(fmt: SchemaFormat | str = SchemaFormat.MCP) -> list[dict[str, Any]]:
    """Every tool's declaration in a host's dialect, in a stable order."""
    return [tool_schema(spec, fmt) for spec in TOOLS]


def instruction_lines(specs: Iterable[ToolSpec[Any, Any]]) -> list[str]:
    """Each tool's line of a server's instructions: its name and what it is for."""
    return [f"{spec.name} {spec.instruction}" for spec in specs]
