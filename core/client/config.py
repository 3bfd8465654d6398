"""ClientConfig: every argument a client is built from, declared once.

AsyncNemoClient and NemoClient (through `client_keywords`) and open_session /
open_session_sync (through `session_keywords`) take these fields as keyword
arguments, with the fields' names, types and defaults as their signature (for
mypy, IDEs and help()), so an argument is added by adding a field here.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from nemo_skills.client.settings import ClientOptions

if TYPE_CHECKING:
    import httpx

    from nemo_skills.catalog.skill import Skill
    from nemo_skills.client.auth import TokenProvider

P = ParamSpec("P")
C = TypeVar("C", bound="ClientConfig")
S = TypeVar("S")
R = TypeVar("R")


# A dataclass rather than a pydantic model: its annotations stay unevaluated, so
# building the public API does not import httpx.
@dataclass(frozen=True, kw_only=True)
class ClientConfig:
    """How a client reaches the API and authenticates; every field is optional."""

    base_url: str | None = None
    """The API base URL; default NEMO_API_BASE, else the NemoVideo cloud."""
    token: str | None = field(default=None, repr=False)
    """A fixed bearer token (never shown in a repr)."""
    token_provider: TokenProvider | None = field(default=None, repr=False)
    """A callable, sync or async, returning a token."""
    platform: str | None = None
    """The X-Skill-Platform header; default: detected from the install path."""
    transport: httpx.AsyncBaseTransport | None = None
    """An httpx transport (proxies, test doubles)."""
    http_client: httpx.AsyncClient | None = None
    """The host's own httpx.AsyncClient, left open on close."""
    config_dir: Path | None = None
    """Where the client id and cached anonymous tokens live; default: the user config folder."""
    registry: Path | None = None
    """A registry.yaml whose overrides apply to a skill given by name."""
    options: ClientOptions | None = None
    """Timeouts, SSE caps, polling backoff and retry waits."""
    token_cache_key: str | None = None
    """Key anonymous tokens are cached under when the base URL is not stable (the local backend's)."""
    env_token: bool = True
    """Send NEMO_TOKEN when it is set."""

    def arguments(self) -> dict[str, Any]:
        """The fields as keyword arguments, values as they are (options stay a ClientOptions)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass(frozen=True, kw_only=True)
class SessionConfig(ClientConfig):
    """A client's arguments, plus which session to open."""

    session_id: str | None = None
    """Continue this session (a new one starts when the backend no longer has it)."""
    language_hint: str = ""
    """Text the session's language is guessed from, for skills that send one."""

    def client_config(self) -> ClientConfig:
        """The client's part of these arguments."""
        names = {f.name for f in dataclasses.fields(ClientConfig)}
        return ClientConfig(**{k: v for k, v in self.arguments().items() if k in names})


def _keywords(model: type[ClientConfig]) -> list[inspect.Parameter]:
    # Annotations stay strings (no httpx import); help() shows them as written.
    return [
        inspect.Parameter(
            f.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=f.default,
            annotation=f.type,
        )
        for f in dataclasses.fields(model)
    ]


def _with_keywords(func: Callable[..., R], model: type[ClientConfig], leading: int) -> Callable[..., R]:
    positional = list(inspect.signature(func).parameters.values())[:leading]
    signature = inspect.Signature([*positional, *_keywords(model)])

    def wrapper(*args: Any, **kwargs: Any) -> R:
        try:
            given = dict(signature.bind(*args, **kwargs).arguments)
        except TypeError as exc:
            raise TypeError(f"{func.__qualname__.removesuffix('.__init__')}(): {exc}") from None
        return func(*(given.pop(p.name) for p in positional), model(**given))

    wrapper.__signature__ = signature  # type: ignore[attr-defined]
    for name in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(wrapper, name, getattr(func, name))
    return wrapper


def client_keywords(
    model: Callable[P, C],
) -> Callable[[Callable[[S, Skill | str, C], None]], Callable[Concatenate[S, Skill | str, P], None]]:
    """Turn `__init__(self, skill, config)` into `__init__(self, skill, **fields of config)`."""

    def decorate(init: Callable[[S, Skill | str, C], None]) -> Callable[Concatenate[S, Skill | str, P], None]:
        return _with_keywords(init, _config_type(model), leading=2)

    return decorate


def session_keywords(
    model: Callable[P, C],
) -> Callable[[Callable[[Skill | str, C], R]], Callable[Concatenate[Skill | str, P], R]]:
    """Turn `f(skill, config)` into `f(skill, **fields of config)`."""

    def decorate(func: Callable[[Skill | str, C], R]) -> Callable[Concatenate[Skill | str, P], R]:
        return _with_keywords(func, _config_type(model), leading=1)

    return decorate


def _config_type(model: Callable[..., ClientConfig]) -> type[ClientConfig]:
    if not (isinstance(model, type) and issubclass(model, ClientConfig)):
        raise TypeError(f"{model!r} is not a ClientConfig class")
    return model
