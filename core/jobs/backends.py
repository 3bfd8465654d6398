"""Which server a job talks to: the cloud, a URL, or the local backend started for the job.

`open_backend("local")` starts the offline backend in-process on a free loopback
port for as long as the context lasts; its state lives under the user data
folder, so sessions survive between separate runs. Sessions are remembered
under the backend's `label` ("local", or the URL): the local backend's port
changes from run to run, its label does not.
"""

from __future__ import annotations

import difflib
import json
import math
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
from nemo_skills.files.edge import mask_credentials, shorten
from nemo_skills.files.links import check_base_url

LOCAL = "local"
CLOUD = "cloud"
LOCAL_BACKEND_DIR = "local-backend"
# JSON object of ClientOptions fields, e.g. '{"poll_initial": 0.05}': tunes waits without code.
ENV_CLIENT_OPTIONS = "NEMO_SKILLS_CLIENT_OPTIONS"
# Credits each token gets from the local backend a run starts: enough to develop
# for a long while. `serve-local --starting-credits 100` behaves like the cloud.
LOCAL_RUN_CREDITS = 10_000.0
BACKEND_CHOICES = "Use --backend local, cloud, or an http(s):// URL."


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
        """The `--backend` argument that reaches this server again ('' for the default cloud), as shown.

        It is printed in hints and actions, so a URL's user and password are masked: the user puts
        them back, and no output or log ever holds them.
        """
        if self.label == CLOUD:
            return ""
        return f"--backend {shlex.quote(mask_credentials(self.label))}"


def validate_url(url: str) -> str:
    """A `--backend` URL: http(s), a valid host and port, without a trailing slash; InputError otherwise."""
    return check_base_url(url, action=BACKEND_CHOICES, what="--backend URL")


def cloud_base_url() -> str:
    """The NemoVideo API base URL: NEMO_API_BASE when set, else the production URL."""
    env = os.environ.get(protocol.ENV_API_BASE, "").strip()
    if not env:
        return protocol.DEFAULT_BASE_URL
    return check_base_url(
        env, action=f"Fix or unset {protocol.ENV_API_BASE}.", what=f"{protocol.ENV_API_BASE} URL"
    )


def local_backend_dir() -> Path:
    """Where the local backend keeps its state between runs."""
    return data_dir() / LOCAL_BACKEND_DIR


def resolve_backend(spec: str | None) -> Backend | None:
    """The backend a `--backend` value names without starting anything; None for 'local'.

    None means the default (the cloud); an empty value is a mistake (an unset shell variable), not it.
    """
    if spec is not None and not spec.strip():
        raise InputError("the backend is empty.", action=BACKEND_CHOICES)
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
    """ClientOptions with the fields named in NEMO_SKILLS_CLIENT_OPTIONS applied.

    A bad value is refused in plain words: the option, the value given and what it takes.
    """
    options = base if base is not None else ClientOptions()
    raw = os.environ.get(ENV_CLIENT_OPTIONS, "").strip()
    if not raw:
        return options
    example = '{"poll_max": 10}'
    try:
        values = json.loads(raw)
    except ValueError:
        raise InputError(
            f"{ENV_CLIENT_OPTIONS} is not JSON: give an object of option names and values, such as {example}."
        ) from None
    if not isinstance(values, dict):
        raise InputError(
            f"{ENV_CLIENT_OPTIONS} must be a JSON object of option names and values, such as {example}."
        )
    fields = ClientOptions.model_fields
    for name, value in values.items():
        if name not in fields:
            close = difflib.get_close_matches(name, fields, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise InputError(
                f"{ENV_CLIENT_OPTIONS} names no option {shorten(name, 40)!r}{hint}.",
                action="The option names are the fields of nemo_skills.ClientOptions, such as poll_max.",
            )
        # JSON's NaN and Infinity would pass the bounds (an endless wait), so they are refused here.
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(
                f"{ENV_CLIENT_OPTIONS}: {name} = {value} is not allowed; "
                f"{name} takes {_allowed(name, finite=True)}."
            )
    try:
        return ClientOptions.model_validate({**options.model_dump(), **values})
    except ValidationError as exc:
        name = next((str(e["loc"][0]) for e in exc.errors() if e["loc"] and e["loc"][0] in values), "")
        if not name:
            raise InputError(f"{ENV_CLIENT_OPTIONS} holds a value that is not allowed.") from None
        shown = shorten(json.dumps(values[name], ensure_ascii=False), 40)
        raise InputError(
            f"{ENV_CLIENT_OPTIONS}: {name} = {shown} is not allowed; {name} takes {_allowed(name)}."
        ) from None


def _allowed(name: str, *, finite: bool = False) -> str:
    """What a ClientOptions field takes, in words: 'a number greater than 0', 'a whole number of 1 or more'."""
    field = ClientOptions.model_fields[name]
    kind = "a whole number" if field.annotation is int else "a finite number" if finite else "a number"
    # The bounds are pydantic's constraint objects (annotated_types Gt, Ge, ...), read by attribute.
    words = {
        "gt": "greater than {:g}",
        "ge": "of {:g} or more",
        "lt": "less than {:g}",
        "le": "of {:g} or less",
    }
    bounds = [
        text.format(bound)
        for rule in field.metadata
        for attr, text in words.items()
        if (bound := getattr(rule, attr, None)) is not None
    ]
    return " ".join([kind, *bounds])
