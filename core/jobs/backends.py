"""Which server a job talks to: the cloud, a URL, or the local backend started for the job.

`open_backend("local")` starts the offline backend in-process on a free loopback
port for as long as the context lasts; its state lives under the user data
folder, so sessions survive between separate runs. Sessions are remembered
under the backend's `label` ("local", or the URL): the local backend's port
changes from run to run, its label does not.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from nemo_skills import protocol
from nemo_skills.client.settings import ClientOptions
from nemo_skills.errors import InputError
from nemo_skills.files.atomic import data_dir
from nemo_skills.files.links import check_base_url

LOCAL = "local"
CLOUD = "cloud"
LOCAL_BACKEND_DIR = "local-backend"
# JSON object of ClientOptions fields, e.g. '{"poll_initial": 0.05}': tunes waits without code.
ENV_CLIENT_OPTIONS = "NEMO_SKILLS_CLIENT_OPTIONS"
# Credits each token gets from the local backend a run starts: enough to develop
# for a long while. `serve-local --starting-credits 100` behaves like the cloud.
LOCAL_RUN_CREDITS = 10_000.0


class Backend(BaseModel):
    """A server to talk to: where it is, and the stable name sessions are remembered under."""

    label: str
    base_url: str
    token_key: str | None = Field(
        default=None, description="Key anonymous tokens are cached under, when the URL is not stable."
    )
    env_token: bool = Field(
        default=True, description="Send NEMO_TOKEN when set (not to the local backend, which cannot know it)."
    )

    @property
    def is_local(self) -> bool:
        """Whether this is the in-process local backend."""
        return self.label == LOCAL

    def cli_flag(self) -> str:
        """The `--backend` argument that reaches this server again ('' for the default cloud)."""
        if self.label == CLOUD:
            return ""
        return f"--backend {shlex.quote(self.label)}"


def validate_url(url: str) -> str:
    """A `--backend` URL: http(s), without a trailing slash; InputError otherwise."""
    return check_base_url(url, action="Use --backend local, cloud, or an http(s):// URL.")


def cloud_base_url() -> str:
    """The NemoVideo API base URL: NEMO_API_BASE when set, else the production URL."""
    env = os.environ.get(protocol.ENV_API_BASE, "").strip()
    return validate_url(env) if env else protocol.DEFAULT_BASE_URL


def local_backend_dir() -> Path:
    """Where the local backend keeps its state between runs."""
    return data_dir() / LOCAL_BACKEND_DIR


def resolve_backend(spec: str | None) -> Backend | None:
    """The backend a `--backend` value names without starting anything; None for 'local'."""
    value = (spec or CLOUD).strip()
    if value.lower() == LOCAL:
        return None
    if value.lower() == CLOUD:
        return Backend(label=CLOUD, base_url=cloud_base_url())
    url = validate_url(value)
    return Backend(label=url, base_url=url)


def backend_label(spec: str | None) -> str:
    """The name sessions on this backend are remembered under, without starting anything."""
    resolved = resolve_backend(spec)
    return LOCAL if resolved is None else resolved.label


def check_backend(spec: str | None) -> None:
    """Raise now what starting the backend would (a bad URL, the [local] extra missing), not in a worker."""
    if resolve_backend(spec) is not None:
        return
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        from nemo_skills.local.http.server import MISSING_EXTRA_HINT

        raise InputError(f"the local backend cannot start: {exc}", action=MISSING_EXTRA_HINT) from None


@contextmanager
def open_backend(spec: str | None) -> Iterator[Backend]:
    """The backend for `spec` ('local', 'cloud' or a URL), started for the duration when local."""
    resolved = resolve_backend(spec)
    if resolved is not None:
        yield resolved
        return
    # Starting it says what to install when the [local] extra is missing.
    from nemo_skills.local import LocalBackend
    from nemo_skills.local.config import keep_hours_from_env

    keep_hours = keep_hours_from_env()
    state = local_backend_dir()
    with LocalBackend(data_dir=state, starting_credits=LOCAL_RUN_CREDITS, keep_hours=keep_hours) as server:
        yield Backend(label=LOCAL, base_url=server.base_url, token_key=f"local:{state}", env_token=False)


def client_options_from_env(base: ClientOptions | None = None) -> ClientOptions:
    """ClientOptions with the fields named in NEMO_SKILLS_CLIENT_OPTIONS applied."""
    options = base if base is not None else ClientOptions()
    raw = os.environ.get(ENV_CLIENT_OPTIONS, "").strip()
    if not raw:
        return options
    try:
        values = json.loads(raw)
        if not isinstance(values, dict):
            raise ValueError("not a JSON object")
        return ClientOptions.model_validate({**options.model_dump(), **values})
    except (ValueError, ValidationError) as exc:
        raise InputError(f"{ENV_CLIENT_OPTIONS} is not a valid JSON object of client options: {exc}") from exc
