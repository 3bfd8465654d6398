"""One job end to end in this process: plan, journal, steps; what the Python API and batches run.

    result = await run_job(RunRequest(skill="auto", text="a 5-second sunset", backend="local"))

The CLI's `run`, `wait` and `resume` and the MCP tools do not run a job here: they hand it to a worker
pool (`jobs.attach`, `jobs.pool`) and follow it, so it outlives them. Both paths take the same
steps (`jobs.steps`) after the same plan (`jobs.plan`).
"""

from __future__ import annotations

from nemo_skills.catalog.registry import Catalog
from nemo_skills.client.settings import ClientOptions
from nemo_skills.errors import NemoSkillsError
from nemo_skills.jobs.backends import Backend, backend_label, client_options_from_env, open_backend
from nemo_skills.jobs.journal import Job, JobSpec, Journal, owner_alive
from nemo_skills.jobs.plan import AUTO as AUTO
from nemo_skills.jobs.plan import JobPlan as JobPlan
from nemo_skills.jobs.plan import RunRequest as RunRequest
from nemo_skills.jobs.plan import job_spec as job_spec
from nemo_skills.jobs.plan import job_stores as job_stores
from nemo_skills.jobs.plan import plan_job as plan_job
from nemo_skills.jobs.plan import record_plan as record_plan
from nemo_skills.jobs.progress_events import Notice, ProgressCallback, ignore
from nemo_skills.jobs.results import RunResult as RunResult
from nemo_skills.jobs.session_store import SessionStore
from nemo_skills.jobs.steps import JobContext as JobContext
from nemo_skills.jobs.steps import execute as execute
from nemo_skills.jobs.steps import note_job as note_job


def resumable(journal: Journal, spec: JobSpec) -> Job | None:
    """The interrupted job of the same request, whose process is gone, if there is one."""
    latest = journal.latest_for(spec)
    if latest is None or latest.state == "done":
        return None
    if latest.state != "failed" and owner_alive(latest.owner):
        return None
    return latest


async def run_job(
    request: RunRequest,
    *,
    on_progress: ProgressCallback | None = None,
    catalog: Catalog | None = None,
    store: SessionStore | None = None,
    options: ClientOptions | None = None,
    backend: Backend | None = None,
    journal: Journal | None = None,
) -> RunResult:
    """Run one request end to end and return what it produced.

    The same request run again after a crash or Ctrl-C finishes the interrupted job (no second export).
    `backend` overrides `request.backend` with a server already running. Raises the NemoSkillsError
    subclass that matches what went wrong (see nemo_skills.errors), with `session_id` and `render_id`
    attributes set when the job had them.
    """
    report = on_progress or ignore
    catalog, store, journal = job_stores(catalog, store, journal)
    label = backend.label if backend is not None else backend_label(request.backend)
    spec = job_spec(request, label, catalog)
    earlier = resumable(journal, spec)
    plan: JobPlan | None = None
    if earlier is not None:
        job = journal.claim(earlier.job_id)
        report(Notice(message=f"Finishing job {job.job_id}, interrupted earlier ({job.state})."))
    else:
        # Checks that need nothing sent (skill, files, output) fail before the job is recorded.
        plan = plan_job(spec, catalog, store, cwd=request.cwd, force=request.force)
        job = record_plan(journal, journal.add(spec), plan)
    opts = options if options is not None else client_options_from_env()

    async def go(server: Backend) -> RunResult:
        ctx = JobContext(
            server, catalog, store, journal, opts, report, request.deadline, request.force, request.cwd
        )
        try:
            return await execute(job, ctx, plan)
        except NemoSkillsError as exc:
            note_job(exc, journal.get(job.job_id) or job)
            raise

    if backend is not None:
        return await go(backend)
    with open_backend(request.backend) as started:
        return await go(started)
