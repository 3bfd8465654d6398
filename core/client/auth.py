"""Access tokens: NEMO_TOKEN, a host's provider, or a cached anonymous token per client id.

The client id (a uuid) and the anonymous tokens live in `auth.json` in the
user config folder, written atomically with mode 0600. Tokens are held as
pydantic SecretStr, so no repr, log line or exception can show one. Processes
sharing the folder fetch anonymous tokens one at a time (an advisory lock on a
sibling file): the backend gives a client id one token, and the others use it.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, ValidationError

from nemo_skills import protocol
from nemo_skills.errors import AuthError, BackendError, LocalStateError, NemoSkillsError
from nemo_skills.files.atomic import atomic_write_text, config_dir
from nemo_skills.files.edge import TOKEN_PATTERN, check_token
from nemo_skills.files.locks import file_lock_async

log = logging.getLogger(__name__)

AUTH_FILE = "auth.json"
LOCK_SUFFIX = ".lock"
SECRET_FILE_MODE = 0o600

TokenProvider = Callable[[], Awaitable[str] | str]
# Fetches an anonymous token for a client id: (token, expires_at epoch seconds).
AnonymousFetcher = Callable[[str], Awaitable[tuple[str, float]]]


class TokenSource(StrEnum):
    """Where the token in use came from."""

    EXPLICIT = "explicit"
    PROVIDER = "provider"
    ENV = "env"
    ANONYMOUS = "anonymous"


class CachedToken(BaseModel):
    """An anonymous token and when it lapses."""

    token: SecretStr
    expires_at: float
    obtained: float = Field(default_factory=time.time)


class TokenCache:
    """The persisted client id and anonymous tokens (one per API base URL)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.path = (directory if directory is not None else config_dir()) / AUTH_FILE

    def __repr__(self) -> str:
        return f"TokenCache({str(self.path)!r})"

    def _clear_folder(self) -> None:
        """An empty folder where the cache file belongs is removed; one with anything in it is refused."""
        if not self.path.is_dir():
            return
        try:
            self.path.rmdir()
        except OSError as exc:
            raise LocalStateError(
                f"the token cache {self.path} is a folder with files in it, not a file.",
                action="Move that folder elsewhere (nemo-skills reads nothing in it), then run again.",
            ) from exc
        log.info("removed the empty folder %s where the token cache belongs", self.path)

    def _load(self) -> dict[str, Any]:
        self._clear_folder()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.warning("ignoring unreadable token cache %s", self.path)
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self, data: dict[str, Any]) -> None:
        self._clear_folder()
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write_text(self.path, json.dumps(data, indent=2) + "\n", mode=SECRET_FILE_MODE)

    def fetching(self) -> AbstractAsyncContextManager[None]:
        """Hold the cache's cross-process lock while a token is looked up, fetched and stored."""
        return file_lock_async(self.path.with_name(self.path.name + LOCK_SUFFIX))

    def client_id(self) -> str:
        """The persisted client id, created on first use."""
        value = self._load().get("client_id")
        if isinstance(value, str) and _is_uuid(value):
            return value
        return self.new_client_id()

    def new_client_id(self) -> str:
        """Replace the client id with a fresh uuid (and forget tokens issued to the old one)."""
        value = str(uuid.uuid4())
        self._save({"client_id": value, "tokens": {}})
        return value

    def get(self, base_url: str) -> CachedToken | None:
        """The cached token for a backend, if any (expired or not)."""
        tokens = self._load().get("tokens")
        entry = tokens.get(base_url) if isinstance(tokens, dict) else None
        if not isinstance(entry, dict):
            return None
        try:
            return CachedToken.model_validate(entry)
        except ValidationError:
            return None

    def put(self, base_url: str, token: CachedToken) -> None:
        """Cache a token for a backend."""
        data = self._load()
        if not isinstance(data.get("client_id"), str):
            data["client_id"] = str(uuid.uuid4())
        tokens = data.get("tokens") if isinstance(data.get("tokens"), dict) else {}
        assert isinstance(tokens, dict)
        tokens[base_url] = {
            "token": token.token.get_secret_value(),
            "expires_at": token.expires_at,
            "obtained": token.obtained,
        }
        data["tokens"] = tokens
        self._save(data)

    def drop(self, base_url: str) -> None:
        """Forget the token for a backend."""
        data = self._load()
        tokens = data.get("tokens")
        if isinstance(tokens, dict) and tokens.pop(base_url, None) is not None:
            self._save(data)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def token_expiry(data: dict[str, Any], *, now: float | None = None) -> float:
    """When an anonymous token lapses: `expires_at` (epoch or ISO 8601), `expires_in`, else the 7-day TTL."""
    now = time.time() if now is None else now
    at = data.get("expires_at", data.get("expiresAt"))
    if isinstance(at, int | float) and not isinstance(at, bool):
        # Epoch milliseconds are common too.
        return float(at) / 1000 if at > 1e11 else float(at)
    if isinstance(at, str) and at:
        try:
            return datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    within = data.get("expires_in", data.get("expiresIn"))
    if isinstance(within, int | float) and not isinstance(within, bool) and within > 0:
        return now + float(within)
    return now + protocol.ANON_TOKEN_TTL_SECONDS


def parse_token(data: dict[str, Any], *, now: float | None = None) -> tuple[str, float]:
    """The token and its expiry from an anonymous-token answer."""
    token = data.get("token") or data.get("access_token") or data.get("accessToken")
    if not isinstance(token, str) or not token.strip():
        raise BackendError("The backend issued no anonymous token.")
    return token.strip(), token_expiry(data, now=now)


class Authenticator:
    """Supplies the token for each call and replaces it when the backend rejects it."""

    def __init__(
        self,
        base_url: str,
        fetch_anonymous: AnonymousFetcher,
        *,
        token: str | None = None,
        provider: TokenProvider | None = None,
        cache: TokenCache | None = None,
        refresh_margin: float = 300.0,
        env_token: bool = True,
    ) -> None:
        self._base_url = base_url
        self._fetch = fetch_anonymous
        self._provider = provider
        self._cache = cache or TokenCache()
        self._margin = refresh_margin
        self._lock = asyncio.Lock()
        self._current: SecretStr | None = None
        self._expires_at: float | None = None
        # A backend that cannot know the cloud's tokens (the local one) is not sent NEMO_TOKEN.
        env = os.environ.get(protocol.ENV_TOKEN, "").strip() if env_token else ""
        if token:
            self.source = TokenSource.EXPLICIT
            self._current = SecretStr(check_token(token, "the token given to the client"))
        elif provider is not None:
            self.source = TokenSource.PROVIDER
        elif env:
            self.source = TokenSource.ENV
            self._current = SecretStr(check_token(env, protocol.ENV_TOKEN))
        else:
            self.source = TokenSource.ANONYMOUS

    def __repr__(self) -> str:
        return f"Authenticator(source={self.source.value!r})"

    @property
    def anonymous(self) -> bool:
        """True when the token is an anonymous one (NEMO_TOKEN and providers count as registered)."""
        return self.source is TokenSource.ANONYMOUS

    @property
    def cache(self) -> TokenCache:
        """The persisted client id and token cache."""
        return self._cache

    def secrets(self) -> tuple[str, ...]:
        """Values to redact from anything shown to a user."""
        return (self._current.get_secret_value(),) if self._current is not None else ()

    async def token(self) -> str:
        """The token to send now, fetching or refreshing one when needed."""
        if self._current is not None and not self._expiring():
            return self._current.get_secret_value()
        async with self._lock:
            if self._current is None or self._expiring():
                await self._obtain(force=False)
            assert self._current is not None
            return self._current.get_secret_value()

    def _expiring(self) -> bool:
        return self._expires_at is not None and time.time() >= self._expires_at - self._margin

    async def refresh(self, rejected: str | None = None) -> None:
        """Replace a token the backend rejected; AuthError when the token cannot be replaced."""
        async with self._lock:
            if (
                rejected is not None
                and self._current is not None
                and self._current.get_secret_value() != rejected
            ):
                return  # another call already replaced it
            if self.source in (TokenSource.EXPLICIT, TokenSource.ENV):
                where = "NEMO_TOKEN" if self.source is TokenSource.ENV else "The token given to the client"
                raise AuthError(f"{where} was rejected by the backend (invalid or expired).")
            await self._obtain(force=True)

    async def _obtain(self, *, force: bool) -> None:
        if self.source is TokenSource.PROVIDER:
            assert self._provider is not None
            value = self._provider()
            if inspect.isawaitable(value):
                value = await value
            if not isinstance(value, str) or not value.strip():
                raise AuthError("The token provider returned no token.")
            checked = check_token(value.strip(), "the token provider's token")
            self._current, self._expires_at = SecretStr(checked), None
            return
        async with self._cache.fetching():
            await self._obtain_anonymous(force=force)

    async def _obtain_anonymous(self, *, force: bool) -> None:
        # Read under the lock: another client (a batch job, another process) may have just fetched one;
        # after a rejection, a token other than the rejected one is that fresh fetch.
        cached = self._cache.get(self._base_url)
        rejected = self._current.get_secret_value() if force and self._current is not None else None
        if force and cached is not None and cached.token.get_secret_value() == rejected:
            # Dropped here, under the lock, and only when it is the rejected one: dropping it before
            # would also drop a fresh token another process stored meanwhile.
            if self.source is TokenSource.ANONYMOUS:
                self._cache.drop(self._base_url)
            cached = None
        if cached is not None and time.time() < cached.expires_at - self._margin:
            self._current, self._expires_at = cached.token, cached.expires_at
            return
        try:
            value, expires_at = await self._fetch(self._cache.client_id())
        except NemoSkillsError:
            # An early refresh the backend refuses (429: one token per client at a time)
            # keeps the token that is still valid.
            if cached is not None and time.time() < cached.expires_at:
                log.info("keeping the current anonymous token; a new one was refused")
                self._current, self._expires_at = cached.token, cached.expires_at
                return
            raise
        if not TOKEN_PATTERN.fullmatch(value):
            # A token no header can carry is the backend's fault, not the user's; it is never shown.
            raise BackendError("The backend issued a token that is not printable ASCII.")
        self._current, self._expires_at = SecretStr(value), expires_at
        self._cache.put(self._base_url, CachedToken(token=SecretStr(value), expires_at=expires_at))
