"""The backend's store: accounts, tokens, sessions and render jobs, persisted as one JSON file.

Every public method takes the store's lock, so the server's event loop and the
render workers can share one store. Writes go to a temp file and are moved into
place, so a crash never leaves a half-written state behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from nemo_skills.files.atomic import atomic_write_bytes
from nemo_skills.local.config import BackendSettings
from nemo_skills.local.faults import FaultState
from nemo_skills.local.problems import ApiProblem, session_problem, token_problem
from nemo_skills.local.records import Account, MediaRecord, RenderJob, SessionRecord, StoreData, TokenRecord
from nemo_skills.protocol import HTTP_RATE_LIMITED, ErrorCode, RenderStatus

STATE_FILE = "state.json"
T = TypeVar("T")


def token_key(token: str) -> str:
    """The key a token is stored under: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Store:
    """In-memory state of one backend, saved to `<data_dir>/state.json` after each change."""

    def __init__(self, data_dir: Path, settings: BackendSettings, faults: FaultState) -> None:
        self.data_dir = data_dir
        self.settings = settings
        self.faults = faults
        self._lock = threading.RLock()
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        self.renders_dir.mkdir(parents=True, exist_ok=True)
        self._data = self._load()

    @property
    def uploads_dir(self) -> Path:
        """Where uploaded files are kept, one folder per session."""
        return self.data_dir / "uploads"

    @property
    def renders_dir(self) -> Path:
        """Where finished renders are kept."""
        return self.data_dir / "renders"

    def _load(self) -> StoreData:
        path = self.data_dir / STATE_FILE
        if not path.exists():
            return StoreData()
        try:
            return StoreData.model_validate_json(path.read_bytes())
        except (OSError, ValidationError, ValueError):
            # Keep the unreadable file for inspection and start afresh rather than refuse to start.
            path.replace(path.with_suffix(f".broken-{int(time.time())}.json"))
            return StoreData()

    def save(self) -> None:
        """Persist the whole state atomically."""
        with self._lock:
            payload = self._data.model_dump_json(indent=1).encode("utf-8")
            atomic_write_bytes(self.data_dir / STATE_FILE, payload, mode=0o600)

    def _mutate(self, fn: Callable[[StoreData], T]) -> T:
        with self._lock:
            result = fn(self._data)
            self.save()
            return result

    # Tokens and accounts.

    def issue_anonymous_token(self, client_id: str) -> tuple[str, TokenRecord, Account]:
        """A new token for a client id; 429 while the client's previous token is still valid."""
        now = time.time()
        with self._lock:
            data = self._data
            for rec in data.tokens.values():
                if rec.client_id == client_id and rec.valid(now):
                    wait = max(1, int(rec.expires_at - now))
                    raise ApiProblem(
                        HTTP_RATE_LIMITED,
                        "this client already has a valid token (1 token per client per 7 days)",
                        status=HTTP_RATE_LIMITED,
                        headers={"Retry-After": str(wait)},
                    )
            user_id = data.clients.get(client_id)
            if user_id is None or user_id not in data.accounts:
                user_id = f"anon_{uuid.uuid4().hex[:16]}"
                data.accounts[user_id] = Account(
                    user_id=user_id,
                    anonymous=True,
                    available=self.settings.starting_credits,
                    bind_id=f"bind_{uuid.uuid4().hex[:16]}",
                )
                data.clients[client_id] = user_id
            token = f"nemo_local_{secrets.token_urlsafe(24)}"
            rec = TokenRecord(
                user_id=user_id, client_id=client_id, issued_at=now, expires_at=now + self.settings.token_ttl
            )
            data.tokens[token_key(token)] = rec
            self.save()
            return token, rec, data.accounts[user_id]

    def authenticate(self, authorization: str | None) -> Account:
        """The account behind an `Authorization: Bearer` header; 1001 when there is none."""
        http_401 = self.settings.auth_http_401
        if not authorization or not authorization.lower().startswith("bearer "):
            raise token_problem("missing bearer token", http_401=http_401)
        token = authorization[7:].strip()
        if not token:
            raise token_problem("missing bearer token", http_401=http_401)
        key = token_key(token)
        now = time.time()
        with self._lock:
            data = self._data
            rec = data.tokens.get(key)
            if rec is None and token in self.settings.registered_tokens:
                rec = self._register(key, token, now)
            if rec is None:
                raise token_problem("invalid token", http_401=http_401)
            if not rec.valid(now):
                raise token_problem("token expired; get a new anonymous token", http_401=http_401)
            rec.calls += 1
            limit = self.faults.faults.expire_token_after
            if limit is not None and rec.calls > limit:
                rec.revoked = True
                self.save()
                raise token_problem("token expired; get a new anonymous token", http_401=http_401)
            return data.accounts[rec.user_id].model_copy()

    def _register(self, key: str, token: str, now: float) -> TokenRecord:
        user_id = f"user_{key[:16]}"
        self._data.accounts.setdefault(
            user_id,
            Account(user_id=user_id, anonymous=False, available=self.settings.registered_tokens[token]),
        )
        rec = TokenRecord(user_id=user_id, issued_at=now, expires_at=now + self.settings.token_ttl)
        self._data.tokens[key] = rec
        self.save()
        return rec

    def account(self, user_id: str) -> Account:
        """A copy of an account as it stands."""
        with self._lock:
            return self._data.accounts[user_id].model_copy()

    def reserve_credits(self, user_id: str, cost: float, *, bind_id: str | None) -> None:
        """Freeze credits for work about to be done; 2001 when the balance cannot cover it."""

        def apply(data: StoreData) -> None:
            acct = data.accounts[user_id]
            if acct.available < cost:
                extra = {"bind_id": bind_id or acct.bind_id} if acct.anonymous else {}
                raise ApiProblem(
                    ErrorCode.NO_CREDITS,
                    f"not enough credits: this edit needs {cost:g}, {acct.available:g} available",
                    data={"available": acct.available, "needed": cost, **extra},
                )
            acct.available -= cost
            acct.frozen += cost

        self._mutate(apply)

    def settle_credits(self, user_id: str, cost: float) -> None:
        """Spend credits frozen by reserve_credits, now that the work is done."""

        def apply(data: StoreData) -> None:
            acct = data.accounts[user_id]
            acct.frozen = max(0.0, acct.frozen - cost)

        self._mutate(apply)

    def release_credits(self, user_id: str, cost: float) -> None:
        """Give back credits frozen for work that was not done."""

        def apply(data: StoreData) -> None:
            acct = data.accounts[user_id]
            back = min(cost, acct.frozen)
            acct.frozen -= back
            acct.available += back

        self._mutate(apply)

    # Sessions.

    def create_session(self, user_id: str, language: str | None) -> SessionRecord:
        """A new session for a user, with an empty draft."""
        now = time.time()
        with self._lock:
            acct = self._data.accounts[user_id]
            sess = SessionRecord(
                session_id=f"sess_{uuid.uuid4().hex}",
                task_id=f"task_{uuid.uuid4().hex[:20]}",
                bind_id=acct.bind_id,
                user_id=user_id,
                language=language,
                created=now,
                updated=now,
            )
            self._data.sessions[sess.session_id] = sess
            self.save()
            return sess.model_copy(deep=True)

    def session(self, session_id: str, user_id: str, *, count: bool = True) -> SessionRecord:
        """A copy of a user's session; 1002 when it is unknown, someone else's, or just lost."""
        with self._lock:
            sess = self._data.sessions.get(session_id)
            if sess is None or sess.user_id != user_id:
                raise session_problem(session_id)
            if count:
                sess.calls += 1
                limit = self.faults.faults.lose_session_after
                if limit is not None and sess.calls > limit:
                    self.lose_session(session_id)
                    raise session_problem(session_id)
            return sess.model_copy(deep=True)

    def session_any(self, session_id: str) -> SessionRecord:
        """A copy of a session whoever owns it, without counting a call; KeyError if unknown."""
        with self._lock:
            return self._data.sessions[session_id].model_copy(deep=True)

    def lose_session(self, session_id: str) -> bool:
        """Forget a session and its uploads, as the cloud does when one expires."""
        with self._lock:
            gone = self._data.sessions.pop(session_id, None)
            self.save()
        if gone is not None:
            folder = self.uploads_dir / session_id
            for item in folder.glob("*") if folder.is_dir() else ():
                with contextlib.suppress(OSError):
                    item.unlink()
            with contextlib.suppress(OSError):
                folder.rmdir()
        return gone is not None

    def update_session(self, session_id: str, fn: Callable[[SessionRecord], T]) -> T:
        """Change a session in place under the lock; 1002 if it vanished meanwhile."""

        def apply(data: StoreData) -> T:
            sess = data.sessions.get(session_id)
            if sess is None:
                raise session_problem(session_id)
            result = fn(sess)
            sess.updated = time.time()
            return result

        return self._mutate(apply)

    def add_media(self, session_id: str, items: list[MediaRecord]) -> None:
        """Record uploaded files or links in a session."""
        self.update_session(session_id, lambda s: s.media.extend(items))

    def media_path(self, item: MediaRecord) -> Path | None:
        """Where an uploaded file is on disk (None for links)."""
        return self.data_dir / item.path if item.path else None

    # Render jobs.

    def add_render(self, job: RenderJob) -> RenderJob:
        """Record a new render job; an existing id of the same user returns the existing job."""

        def apply(data: StoreData) -> RenderJob:
            existing = data.renders.get(job.id)
            if existing is not None:
                if existing.user_id != job.user_id:
                    raise ApiProblem(409, f"render id {job.id!r} is already used", status=409)
                return existing.model_copy(deep=True)
            data.renders[job.id] = job
            return job.model_copy(deep=True)

        return self._mutate(apply)

    def render(self, render_id: str) -> RenderJob | None:
        """A copy of a render job, or None."""
        with self._lock:
            job = self._data.renders.get(render_id)
            return job.model_copy(deep=True) if job else None

    def update_render(self, render_id: str, *, persist: bool = True, **changes: Any) -> None:
        """Change fields of a render job; progress ticks skip the save."""
        with self._lock:
            job = self._data.renders.get(render_id)
            if job is None:
                return
            for name, value in changes.items():
                setattr(job, name, value)
            job.updated = time.time()
            if persist:
                self.save()

    def unfinished_renders(self) -> list[RenderJob]:
        """Jobs that were queued or running when the state was saved."""
        with self._lock:
            return [
                j.model_copy(deep=True)
                for j in self._data.renders.values()
                if j.status not in RenderStatus.TERMINAL
            ]
