"""The backend's store: accounts, tokens and sessions in the data folder's SQLite database.

Any number of backend processes may use one data folder at once: every change
is one transaction, and every read-modify-write holds the database's write
lock from its first read (see `db`), so none loses or mixes another's state.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from nemo_skills.local import owners
from nemo_skills.local.config import BackendSettings
from nemo_skills.local.db import DB_FILE, Database
from nemo_skills.local.faults import FaultState
from nemo_skills.local.job_store import RenderJobStore
from nemo_skills.local.legacy import LEGACY_STATE_FILE, import_legacy_state
from nemo_skills.local.private import claim_data_dir, private_dir, tighten
from nemo_skills.local.problems import ApiProblem, session_problem, token_problem
from nemo_skills.local.records import Account, BackendSession, MediaRecord, TokenRecord
from nemo_skills.protocol import HTTP_RATE_LIMITED, ErrorCode

PORT_KEY = "port"
T = TypeVar("T")


def token_key(token: str) -> str:
    """The key a token is stored under: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def registered_user_id(key: str) -> str:
    """The user id of a registered token, from the token's key."""
    return f"user_{key[:16]}"


class Store(RenderJobStore):
    """The state of the backends using one data folder, kept in `<data_dir>/backend.db`."""

    def __init__(self, data_dir: Path, settings: BackendSettings, faults: FaultState) -> None:
        self.data_dir = data_dir
        self.settings = settings
        self.faults = faults
        claim_data_dir(data_dir)
        for folder in (self.uploads_dir, self.renders_dir):
            private_dir(folder)
            tighten(folder)
        self.db = Database(data_dir / DB_FILE)
        self.owner = owners.new_owner_id()
        self._closed = False
        with self.db.write() as conn:
            owners.register(conn, self.owner)
        import_legacy_state(self.db, data_dir / LEGACY_STATE_FILE)

    def __repr__(self) -> str:
        return f"Store({str(self.data_dir)!r})"

    @property
    def uploads_dir(self) -> Path:
        """Where uploaded files are kept, one folder per session."""
        return self.data_dir / "uploads"

    @property
    def renders_dir(self) -> Path:
        """Where finished renders are kept."""
        return self.data_dir / "renders"

    def close(self) -> None:
        """Hand this backend's unfinished render jobs back to the folder, and close the database."""
        if self._closed:
            return
        self._closed = True
        with self.db.write() as conn:
            conn.execute("UPDATE renders SET owner = NULL WHERE owner = ?", (self.owner,))
            owners.unregister(conn, self.owner)
        self.db.close()

    # The remembered port of `serve-local --data-dir`.

    def remembered_port(self) -> int | None:
        """The port the first `serve-local` on this folder chose, if any."""
        row = self.db.connection().execute("SELECT value FROM meta WHERE key = ?", (PORT_KEY,)).fetchone()
        return int(row[0]) if row and str(row[0]).isdigit() else None

    def remember_port(self, port: int) -> int:
        """Keep a port for later starts unless one is remembered already; returns the one kept."""
        with self.db.write() as conn:
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (PORT_KEY, str(port)))
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (PORT_KEY,)).fetchone()
        return int(row[0])

    # Tokens and accounts.

    @staticmethod
    def _account(conn: sqlite3.Connection, user_id: str) -> Account:
        row = conn.execute("SELECT data FROM accounts WHERE user_id = ?", (user_id,)).fetchone()
        if row is None:
            raise token_problem("the account of this token is gone", http_401=False)
        return Account.model_validate_json(row[0])

    @staticmethod
    def _put_account(conn: sqlite3.Connection, acct: Account) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO accounts (user_id, data) VALUES (?, ?)",
            (acct.user_id, acct.model_dump_json()),
        )

    @staticmethod
    def _put_token(conn: sqlite3.Connection, key: str, rec: TokenRecord) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO tokens (key, client_id, expires_at, data) VALUES (?, ?, ?, ?)",
            (key, rec.client_id, rec.expires_at, rec.model_dump_json()),
        )

    def issue_anonymous_token(self, client_id: str) -> tuple[str, TokenRecord, Account]:
        """A new token for a client id; 429 while the client's previous token is still valid."""
        now = time.time()
        with self.db.write() as conn:
            for (raw,) in conn.execute("SELECT data FROM tokens WHERE client_id = ?", (client_id,)):
                rec = TokenRecord.model_validate_json(raw)
                if rec.valid(now):
                    wait = max(1, int(rec.expires_at - now))
                    raise ApiProblem(
                        HTTP_RATE_LIMITED,
                        "this client already has a valid token (1 token per client per 7 days)",
                        status=HTTP_RATE_LIMITED,
                        headers={"Retry-After": str(wait)},
                    )
            row = conn.execute("SELECT user_id FROM clients WHERE client_id = ?", (client_id,)).fetchone()
            known = (
                row is not None
                and conn.execute("SELECT 1 FROM accounts WHERE user_id = ?", (row[0],)).fetchone()
            )
            if row is None or not known:
                acct = Account(
                    user_id=f"anon_{uuid.uuid4().hex[:16]}",
                    anonymous=True,
                    available=self.settings.starting_credits,
                    bind_id=f"bind_{uuid.uuid4().hex[:16]}",
                )
                self._put_account(conn, acct)
                conn.execute("INSERT OR REPLACE INTO clients VALUES (?, ?)", (client_id, acct.user_id))
            else:
                acct = self._account(conn, row[0])
            token = f"nemo_local_{secrets.token_urlsafe(24)}"
            rec = TokenRecord(
                user_id=acct.user_id,
                client_id=client_id,
                issued_at=now,
                expires_at=now + self.settings.token_ttl,
            )
            self._put_token(conn, token_key(token), rec)
        return token, rec, acct

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
        limit = self.faults.faults.expire_token_after
        counting = limit is not None or token in self.settings.registered_tokens
        # Only the fault's call counting and a first registered login write; plain calls just read.
        with self.db.write() if counting else self.db.read() as conn:
            row = conn.execute("SELECT data FROM tokens WHERE key = ?", (key,)).fetchone()
            rec = TokenRecord.model_validate_json(row[0]) if row else None
            if rec is None and token in self.settings.registered_tokens:
                rec = self._register(conn, key, token, now)
            if rec is None:
                raise token_problem("invalid token", http_401=http_401)
            if not rec.valid(now):
                raise token_problem("token expired; get a new anonymous token", http_401=http_401)
            if limit is not None:
                rec.calls += 1
                if rec.calls > limit:
                    rec.revoked = True
                self._put_token(conn, key, rec)
            acct = self._account(conn, rec.user_id)
        if rec.revoked:
            raise token_problem("token expired; get a new anonymous token", http_401=http_401)
        return acct

    def token_user(self, authorization: str | None) -> str | None:
        """The user id behind a valid bearer token, without counting a call; None for any other header."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        token = authorization[7:].strip()
        row = (
            self.db.connection()
            .execute("SELECT data FROM tokens WHERE key = ?", (token_key(token),))
            .fetchone()
        )
        if row is None:
            registered = token in self.settings.registered_tokens
            return registered_user_id(token_key(token)) if registered else None
        rec = TokenRecord.model_validate_json(row[0])
        return rec.user_id if rec.valid(time.time()) else None

    def _register(self, conn: sqlite3.Connection, key: str, token: str, now: float) -> TokenRecord:
        user_id = registered_user_id(key)
        conn.execute(
            "INSERT OR IGNORE INTO accounts (user_id, data) VALUES (?, ?)",
            (
                user_id,
                Account(
                    user_id=user_id, anonymous=False, available=self.settings.registered_tokens[token]
                ).model_dump_json(),
            ),
        )
        rec = TokenRecord(user_id=user_id, issued_at=now, expires_at=now + self.settings.token_ttl)
        self._put_token(conn, key, rec)
        return rec

    def account(self, user_id: str) -> Account:
        """An account as it stands."""
        return self._account(self.db.connection(), user_id)

    def _change_account(self, user_id: str, fn: Callable[[Account], None]) -> None:
        with self.db.write() as conn:
            acct = self._account(conn, user_id)
            fn(acct)
            self._put_account(conn, acct)

    def reserve_credits(self, user_id: str, cost: float, *, bind_id: str | None) -> None:
        """Freeze credits for work about to be done; 2001 when the balance cannot cover it."""

        def apply(acct: Account) -> None:
            if acct.available < cost:
                extra = {"bind_id": bind_id or acct.bind_id} if acct.anonymous else {}
                raise ApiProblem(
                    ErrorCode.NO_CREDITS,
                    f"not enough credits: this edit needs {cost:g}, {acct.available:g} available",
                    data={"available": acct.available, "needed": cost, **extra},
                )
            acct.available -= cost
            acct.frozen += cost

        self._change_account(user_id, apply)

    def settle_credits(self, user_id: str, cost: float) -> None:
        """Spend credits frozen by reserve_credits, now that the work is done."""

        def apply(acct: Account) -> None:
            acct.frozen = max(0.0, acct.frozen - cost)

        self._change_account(user_id, apply)

    def release_credits(self, user_id: str, cost: float) -> None:
        """Give back credits frozen for work that was not done."""

        def apply(acct: Account) -> None:
            back = min(cost, acct.frozen)
            acct.frozen -= back
            acct.available += back

        self._change_account(user_id, apply)

    # Sessions.

    @staticmethod
    def _put_session(conn: sqlite3.Connection, sess: BackendSession) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO sessions (session_id, user_id, data) VALUES (?, ?, ?)",
            (sess.session_id, sess.user_id, sess.model_dump_json()),
        )

    @staticmethod
    def _get_session(conn: sqlite3.Connection, session_id: str) -> BackendSession | None:
        row = conn.execute("SELECT data FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
        return BackendSession.model_validate_json(row[0]) if row else None

    def create_session(self, user_id: str, language: str | None) -> BackendSession:
        """A new session for a user, with an empty draft."""
        now = time.time()
        with self.db.write() as conn:
            acct = self._account(conn, user_id)
            sess = BackendSession(
                session_id=f"sess_{uuid.uuid4().hex}",
                task_id=f"task_{uuid.uuid4().hex[:20]}",
                bind_id=acct.bind_id,
                user_id=user_id,
                language=language,
                created=now,
                updated=now,
            )
            self._put_session(conn, sess)
        return sess

    def session(self, session_id: str, user_id: str, *, count: bool = True) -> BackendSession:
        """A user's session; 1002 when it is unknown, someone else's, or just lost."""
        limit = self.faults.faults.lose_session_after if count else None
        with self.db.write() if limit is not None else self.db.read() as conn:
            sess = self._get_session(conn, session_id)
            if sess is None or sess.user_id != user_id:
                raise session_problem(session_id)
            if limit is not None:
                sess.calls += 1
                self._put_session(conn, sess)
        if limit is not None and sess.calls > limit:
            self.lose_session(session_id)
            raise session_problem(session_id)
        return sess

    def session_any(self, session_id: str) -> BackendSession:
        """A session whoever owns it, without counting a call; KeyError if unknown."""
        sess = self._get_session(self.db.connection(), session_id)
        if sess is None:
            raise KeyError(session_id)
        return sess

    def lose_session(self, session_id: str) -> bool:
        """Forget a session and its uploads, as the cloud does when one expires."""
        with self.db.write() as conn:
            gone = conn.execute("DELETE FROM sessions WHERE session_id = ?", (session_id,)).rowcount > 0
        if gone:
            folder = self.uploads_dir / session_id
            for item in folder.glob("*") if folder.is_dir() else ():
                with contextlib.suppress(OSError):
                    item.unlink()
            with contextlib.suppress(OSError):
                folder.rmdir()
        return gone

    def update_session(self, session_id: str, fn: Callable[[BackendSession], T]) -> T:
        """Change a session in one transaction; 1002 if it vanished meanwhile."""
        with self.db.write() as conn:
            sess = self._get_session(conn, session_id)
            if sess is None:
                raise session_problem(session_id)
            result = fn(sess)
            sess.updated = time.time()
            self._put_session(conn, sess)
        return result

    def add_media(self, session_id: str, items: list[MediaRecord]) -> None:
        """Record uploaded files or links in a session."""
        self.update_session(session_id, lambda s: s.media.extend(items))

    def media_path(self, item: MediaRecord) -> Path | None:
        """Where an uploaded file is on disk (None for links)."""
        return self.data_dir / item.path if item.path else None
