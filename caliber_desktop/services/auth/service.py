"""Sign-in with Firebase email/password: sessions, refresh, sign-out and the offline grace.

Who holds what:

* the **ID token** lives only in the :class:`Session` object (memory), and is verified by
  :class:`~caliber_desktop.services.auth.verify.TokenVerifier` before anything trusts it;
* the **refresh token** goes only through :class:`SecretStore` (the OS keyring; for this run only
  when no keyring works or "remember me" is off);
* the **last verified identity** (uid, email, name, when verified — no token) is the ``users``
  row, whose ``last_login_at`` is the time of the last online verification. A restart without
  network may reuse it for ``offline_grace_days``; after that, sign-in is required.

What an administrator does (``caliber admin``, :mod:`.admin`) reaches the analyst at the next
refresh (the ID token lives an hour; the window refreshes it before it runs out, and at start-up
when online): a disabled account, revoked sessions and a removed account are refused with
"Your administrator …". Firebase refuses a revoked refresh token itself; its emulator does not,
so after each refresh the token's ``auth_time`` is also compared with the account's
``validSince`` (:meth:`AuthService._check_not_revoked`, one more request an hour). A refusal that
was seen is kept: the refresh token is forgotten and ``last_login_at`` cleared
(:meth:`AuthService._end_seen`), so no offline restart brings the session back through the grace.
The ``role`` custom claim (``"admin"`` or ``"analyst"``) comes with each verified token.

No Qt here: the GUI runs these calls on workers, the CLI calls them directly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.dialects.sqlite import insert

from caliber_desktop.errors import AuthError
from caliber_desktop.models import User
from caliber_desktop.models.base import utcnow as utc_now
from caliber_desktop.models.store import Store
from caliber_desktop.services.auth.api import (
    ENDED_BY_ADMIN,
    ENDED_BY_SERVER,
    AuthConfig,
    FirebaseAuthApi,
)
from caliber_desktop.services.auth.profiles import to_ref
from caliber_desktop.services.auth.secrets import LAST_USER, SecretStore, refresh_token_name
from caliber_desktop.services.auth.verify import TokenError, TokenVerifier, unverified_parts
from caliber_desktop.services.records import UserRef

__all__ = [
    "AuthConfig",
    "AuthError",
    "AuthService",
    "Identity",
    "Session",
    "TokenError",
    "TokenVerifier",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Identity:
    """What was verified about the signed-in user, and when."""

    uid: str
    email: str
    display_name: str
    verified_at: datetime
    auth_time: datetime
    #: The ``role`` claim of the last verified token ("admin", "analyst"); "" when not verified
    #: this run (an offline session: the role is not known, so nothing an admin may do is offered).
    role: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass
class Session:
    """A signed-in analyst. ``offline``: restored without network from the last verified identity
    (no ID token); ``remembered``: the refresh token is in the OS keyring, so it survives a
    restart."""

    identity: Identity
    id_token: str = field(repr=False)
    expires_at: datetime
    offline: bool = False
    remembered: bool = False


class AuthService:
    """Firebase email/password sign-in for one data dir (``store``) and one keyring."""

    def __init__(
        self,
        config: AuthConfig,
        secrets: SecretStore,
        store: Store,
        *,
        timeout: float = 10.0,
        clock: Callable[[], datetime] = utc_now,
        verifier: TokenVerifier | None = None,
    ) -> None:
        self.config = config
        self.secrets = secrets
        self.store = store
        self._clock = clock
        self._api = FirebaseAuthApi(config, timeout=timeout)
        if verifier is None and config.project_id:
            verifier = TokenVerifier(
                config.project_id,
                certs_url=config.certs_url,
                allow_unsigned=config.emulator_host is not None,
                timeout=timeout,
            )
        self._verifier = verifier
        self._lock = threading.Lock()
        #: Refresh tokens of this run, by uid: sessions without "remember me" and the fallback
        #: when the keyring cannot be read later in the run.
        self._memory: dict[str, str] = {}

    @property
    def grace(self) -> timedelta:
        return timedelta(days=self.config.offline_grace_days)

    # ------------------------------------------------------------------ sign-in

    def sign_up(
        self, email: str, password: str, display_name: str = "", *, remember: bool = True
    ) -> Session:
        email, password = _credentials(email, password)
        answer = self._api.sign_up(email, password, display_name.strip())
        log.info("created Firebase account %s", answer.get("localId", "?"))
        return self._establish(answer["idToken"], answer["refreshToken"], answer, remember)

    def sign_in(self, email: str, password: str, *, remember: bool = True) -> Session:
        email, password = _credentials(email, password)
        answer = self._api.sign_in(email, password)
        return self._establish(answer["idToken"], answer["refreshToken"], answer, remember)

    def send_password_reset(self, email: str) -> None:
        """Ask Firebase to email a reset link.

        An unknown email is not reported: saying "no such account" would tell anyone which
        emails have accounts (real Firebase projects with enumeration protection do the same).
        """
        email = email.strip()
        if not email:
            raise AuthError("Enter your email address.", reason="invalid_email")
        try:
            self._api.send_password_reset(email)
        except AuthError as exc:
            if exc.reason != "unknown_email":
                raise

    # ------------------------------------------------------------------ refresh

    def refresh(self, session: Session) -> Session:
        """A new ID token from the refresh token (keyring, or this run's memory)."""
        uid = session.identity.uid
        token = self._refresh_token(uid)
        if token is None:
            raise AuthError(
                "Your session has ended.", reason="session_expired", hint="Sign in again."
            )
        try:
            return self._refresh_with(uid, token)
        except AuthError as exc:
            if exc.reason in ENDED_BY_SERVER:
                self._end_seen(uid)
            raise

    def ensure_fresh(self, session: Session, margin_s: int = 300) -> Session:
        """``session`` while its ID token has more than ``margin_s`` left, else a refreshed one.

        When the refresh cannot reach Firebase the session goes (or stays) offline while the
        grace period lasts; after it, :class:`AuthError` ``session_expired``.
        """
        if not session.offline and self._clock() + timedelta(seconds=margin_s) < session.expires_at:
            return session
        try:
            return self.refresh(session)
        except AuthError as exc:
            if not exc.unreachable:
                raise
            offline = self._offline_session(session.identity.uid)
            if offline is None:
                raise AuthError(
                    "You have been offline longer than the grace period.",
                    reason="session_expired",
                    hint="Connect to the internet and sign in again.",
                ) from None
            return offline

    # ------------------------------------------------------------------ sign-out, start-up

    def sign_out(self, session: Session) -> None:
        """Forget the refresh token (keyring and memory); the user row and their data stay."""
        self._forget(session.identity.uid)
        session.id_token = ""
        log.info("signed out %s", session.identity.uid)

    def forget_remembered(self) -> str | None:
        """Sign out the remembered user without a session or network (``caliber logout``).

        Returns the uid that was forgotten, or None when nobody was remembered.
        """
        uid = self.secrets.get(LAST_USER)
        if uid:
            self._forget(uid)
            log.info("signed out %s", uid)
        return uid

    def restore(self) -> Session | None:
        """At start-up: the remembered user, refreshed online; offline within the grace; or None.

        None means "show the sign-in dialog". A refresh token Firebase rejected is deleted.
        """
        if not self.config.configured:
            return None
        uid = self.secrets.get(LAST_USER)
        token = self._refresh_token(uid) if uid else None
        if not uid or not token:
            return None
        try:
            return self._refresh_with(uid, token)
        except AuthError as exc:
            if exc.unreachable:
                offline = self._offline_session(uid)
                if offline is None:
                    log.info("offline and the grace period is over: sign-in required")
                return offline
            log.info("stored session of %s not restored: %s", uid, exc.reason)
            if exc.reason in ENDED_BY_SERVER:
                self._end_seen(uid)
            elif exc.reason == "invalid_token":
                self._forget(uid)
            if exc.reason in ENDED_BY_ADMIN:
                raise  # "Your administrator …": the analyst must learn why, not just see sign-in
            return None

    # ------------------------------------------------------------------ users

    def user_for(self, session: Session) -> UserRef:
        """The ``users`` row of this session, created or updated (email, name) in one statement.

        ``INSERT … ON CONFLICT(firebase_uid) DO UPDATE`` is atomic, so two windows signing in
        at once end up with one row. ``last_login_at`` only moves forward: an offline session
        carries the old verification time and never extends its own grace.
        """
        return self._record(session.identity)

    def _record(self, identity: Identity) -> UserRef:
        now = self._clock()
        email = identity.email or None
        with self.store.write() as db:
            if email is not None:
                # A Firebase account deleted and re-created gets a new uid with the same email:
                # the old row keeps its data but gives up the (unique) email.
                db.execute(
                    update(User)
                    .where(User.email == email, User.firebase_uid != identity.uid)
                    .values(email=None, updated_at=now)
                )
            statement = insert(User).values(
                firebase_uid=identity.uid,
                email=email,
                display_name=identity.display_name,
                is_local=False,
                created_at=now,
                updated_at=now,
                last_login_at=identity.verified_at,
            )
            excluded = statement.excluded
            db.execute(
                statement.on_conflict_do_update(
                    index_elements=[User.firebase_uid],
                    set_={
                        "email": excluded.email,
                        "display_name": excluded.display_name,
                        "updated_at": excluded.updated_at,
                        "last_login_at": case(
                            (User.last_login_at.is_(None), excluded.last_login_at),
                            (excluded.last_login_at > User.last_login_at, excluded.last_login_at),
                            else_=User.last_login_at,
                        ),
                    },
                )
            )
            row = db.scalars(select(User).where(User.firebase_uid == identity.uid)).one()
            return to_ref(row)

    # ------------------------------------------------------------------ internals

    def _refresh_with(self, uid: str, token: str) -> Session:
        answer = self._api.refresh(token)
        if answer.get("user_id") not in (None, uid):
            raise AuthError(
                "Your session has ended.", reason="session_expired", hint="Sign in again."
            )
        self._check_not_revoked(answer["id_token"])
        remember = self.secrets.get(refresh_token_name(uid)) is not None
        fields = {"expiresIn": answer.get("expires_in"), "localId": answer.get("user_id", uid)}
        return self._establish(
            answer["id_token"], answer.get("refresh_token") or token, fields, remember
        )

    def _establish(
        self, id_token: str, refresh_token: str, answer: dict[str, Any], remember: bool
    ) -> Session:
        """Verify the ID token, keep the refresh token, record the verified identity."""
        if self._verifier is None:
            raise AuthError("Firebase sign-in is not configured.", reason="not_configured")
        claims = self._verifier.verify(id_token)
        if answer.get("localId") not in (None, claims.uid):
            raise TokenError("claims", "the token names another user than the answer")
        now = self._clock()
        name = claims.name or str(answer.get("displayName") or "") or claims.email.split("@")[0]
        identity = Identity(
            claims.uid,
            claims.email,
            name,
            verified_at=now,
            auth_time=claims.auth_time,
            role=claims.role,
        )
        lifetime = _seconds(answer.get("expiresIn"), default=3600)
        expires_at = min(now + timedelta(seconds=lifetime), claims.expires_at)
        remembered = self._keep(claims.uid, refresh_token, remember)
        self._record(identity)
        log.info("signed in %s (remembered: %s)", claims.uid, remembered)
        return Session(identity, id_token, expires_at, offline=False, remembered=remembered)

    def _keep(self, uid: str, refresh_token: str, remember: bool) -> bool:
        with self._lock:
            self._memory[uid] = refresh_token
        name = refresh_token_name(uid)
        if not remember:
            self.secrets.delete(name)
            if self.secrets.get(LAST_USER) == uid:
                self.secrets.delete(LAST_USER)
            return False
        stored = self.secrets.set(name, refresh_token)
        self.secrets.set(LAST_USER, uid)
        return stored

    def _check_not_revoked(self, id_token: str) -> None:
        """Refuse a refreshed token whose sign-in predates the account's last revocation.

        Firebase compares ``auth_time`` with ``validSince`` in whole seconds (firebase-admin's
        ``verify_id_token(check_revoked=True)`` does the same). The token is only read here to
        refuse it; :meth:`_establish` verifies it before anything trusts it. When the lookup cannot
        reach Firebase the refresh stands: the production server refuses revoked tokens itself.
        """
        try:
            _, payload = unverified_parts(id_token)
            account = self._api.lookup(id_token)
        except AuthError as exc:
            if exc.unreachable:
                log.info("revocation not checked (%s)", exc.reason)
                return
            raise
        auth_time = payload.get("auth_time")
        valid_since = _seconds(account.get("validSince"), default=0)
        if isinstance(auth_time, int | float) and auth_time < valid_since:
            raise AuthError(
                "Your administrator ended this session.",
                reason="session_revoked",
                hint="Sign in again (with the new password, if yours was changed).",
            )

    def _end_seen(self, uid: str) -> None:
        """The server ended this sign-in: forget its token and its offline grace, for good.

        ``last_login_at`` (the last online verification, which the grace counts from) is cleared,
        so even a refresh token the keyring failed to delete cannot be used offline; the next
        online sign-in sets it again.
        """
        self._forget(uid)
        with self.store.write() as db:
            db.execute(
                update(User)
                .where(User.firebase_uid == uid)
                .values(last_login_at=None, updated_at=self._clock())
            )
        log.info("sign-in of %s ended by the server; offline use revoked", uid)

    def _forget(self, uid: str) -> None:
        with self._lock:
            self._memory.pop(uid, None)
        self.secrets.delete(refresh_token_name(uid))
        if self.secrets.get(LAST_USER) == uid:
            self.secrets.delete(LAST_USER)

    def _refresh_token(self, uid: str) -> str | None:
        with self._lock:
            remembered = self._memory.get(uid)
        return remembered or self.secrets.get(refresh_token_name(uid))

    def _offline_session(self, uid: str) -> Session | None:
        """The last verified identity while ``now - verified_at`` is within the grace period."""
        with self.store.read() as db:
            row = db.scalars(select(User).where(User.firebase_uid == uid)).one_or_none()
            if row is None or row.last_login_at is None:
                return None
            verified_at = row.last_login_at
            identity = Identity(
                uid,
                row.email or "",
                row.display_name,
                verified_at=verified_at,
                auth_time=verified_at,
            )
        ends = verified_at + self.grace
        if self.config.offline_grace_days <= 0 or self._clock() > ends:
            return None
        log.info("offline: using %s verified at %s until %s", uid, verified_at, ends)
        return Session(identity, "", ends, offline=True, remembered=True)


def _credentials(email: str, password: str) -> tuple[str, str]:
    email = email.strip()
    if not email:
        raise AuthError("Enter your email address.", reason="invalid_email")
    if not password:
        raise AuthError("Enter your password.", reason="missing_password")
    return email, password


def _seconds(raw: object, *, default: int) -> int:
    try:
        return int(str(raw))
    except ValueError:
        return default


def offline_session_label(session: Session) -> str:
    """The banner text of an offline session (shared by the window and ``caliber whoami``)."""
    return (
        f"Offline: signed in as {session.identity.email or session.identity.uid} from the last "
        f"verification ({session.identity.verified_at:%Y-%m-%d %H:%M} UTC); sign-in is needed "
        f"after {session.expires_at:%Y-%m-%d %H:%M} UTC."
    )
