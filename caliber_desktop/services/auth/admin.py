"""Team administration with the Firebase Admin SDK: the accounts of the analysts, their role, and
cutting off a lost laptop.

Why firebase-admin here when sign-in uses the REST API: listing, creating, disabling, deleting
accounts, revoking their refresh tokens and setting custom claims are the Admin API, which needs a
privileged credential. The SDK signs those calls, retries, maps Firebase's errors to typed
exceptions and knows the emulator (``FIREBASE_AUTH_EMULATOR_HOST``); hand-written calls would
redo all of that. Only ``firebase_admin.auth`` is used (not Firestore or Storage).

**Credentials** (the first that applies):

1. the Firebase Auth Emulator (``FIREBASE_AUTH_EMULATOR_HOST``): the SDK acts as the project's
   owner and needs none;
2. a service-account key imported once into the OS keyring (``caliber admin credentials import
   FILE``, :class:`ServiceAccountKey`): validated, then kept only in the keyring (never in the
   data dir, never logged); the file itself can then be deleted;
3. Application Default Credentials: ``GOOGLE_APPLICATION_CREDENTIALS`` or ``gcloud auth
   application-default login``. The metadata server of a cloud VM is not probed: this is a
   desktop, and probing it costs seconds of time-outs.

**Who may act** (:func:`check_caller`): a signed-in account whose verified ID token carries the
``role`` claim ``admin``; or, when nobody is signed in to Caliber on this computer, whoever holds
the credentials above (the service account itself: its key is the power to administer the
project, and the Admin API cannot be called without it). A signed-in analyst is refused
(:class:`~caliber_desktop.errors.AdminRequiredError`, exit 5) even where a key is present, and
so is an offline session, whose role cannot be checked. This guards against an analyst's session
using a key left on a shared computer; it does not stop someone who holds the key, which is why
the key lives only in the keyring.

No Qt here: the CLI calls this directly, the window on workers (``workers/admin.py``).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from caliber_desktop.errors import (
    AdminRequiredError,
    AuthError,
    ConfigError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from caliber_desktop.services.auth.api import EMULATOR_ENV, AuthConfig
from caliber_desktop.services.auth.secrets import SecretStore
from caliber_desktop.services.auth.service import Session
from caliber_desktop.services.auth.verify import ROLES, role_of

log = logging.getLogger(__name__)
_T = TypeVar("_T")

#: The keyring entry saying how many parts the imported key was split into.
KEY_ENTRY = "admin-service-account"
#: Characters per keyring entry. Windows Credential Manager holds at most 2,560 bytes of UTF-16
#: (1,280 characters) per entry, and a service-account key is about 2,300; so it is split.
PART_CHARS = 1000
#: The fields of a key file the SDK needs; nothing else of the file is kept.
KEY_FIELDS = (
    "type",
    "project_id",
    "private_key_id",
    "private_key",
    "client_email",
    "client_id",
    "token_uri",
)
ADC_ENV = "GOOGLE_APPLICATION_CREDENTIALS"


def _part_name(index: int) -> str:
    return f"{KEY_ENTRY}:{index}"


# --------------------------------------------------------------------------- the key


@dataclass(frozen=True)
class KeyInfo:
    """What may be said about an imported key: whose it is, never the key."""

    client_email: str
    project_id: str


class ServiceAccountKey:
    """A service-account key kept in the OS keyring (split into parts, see :data:`PART_CHARS`)."""

    def __init__(self, secrets: SecretStore) -> None:
        self.secrets = secrets

    def import_file(self, path: Path) -> KeyInfo:
        """Validate the key file and keep it in the keyring; the file itself is not copied.

        Refused when no keyring works: a key kept "for this run only" would be gone when the
        command ends, and writing it anywhere else is what the keyring is for.
        """
        fields = _read_key_file(path)
        _certificate(fields)  # the SDK parses the private key: a damaged key fails here
        if not self.secrets.available:
            raise ConfigError(
                "No working keyring to keep the service-account key in.",
                hint=(self.secrets.problem or "")
                + f" Or use Application Default Credentials ({ADC_ENV}).",
            )
        text = json.dumps(fields, separators=(",", ":"))
        parts = [text[i : i + PART_CHARS] for i in range(0, len(text), PART_CHARS)]
        self.forget()
        stored = all(self.secrets.set(_part_name(i), part) for i, part in enumerate(parts))
        stored = stored and self.secrets.set(KEY_ENTRY, str(len(parts)))
        if not stored:  # kept in memory by SecretStore: drop it, and say why
            self.forget()
            raise ConfigError(
                "The keyring refused the service-account key.",
                hint=self.secrets.problem or "Unlock the keyring and try again.",
            )
        log.info("service-account key of %s imported into the keyring", fields["client_email"])
        return KeyInfo(fields["client_email"], fields["project_id"])

    def load(self) -> dict[str, str] | None:
        """The key's fields from the keyring, or None when none was imported (or it is damaged)."""
        count = self.secrets.get(KEY_ENTRY)
        if not count or not count.isdigit():
            return None
        parts = [self.secrets.get(_part_name(i)) for i in range(int(count))]
        if any(part is None for part in parts):
            log.warning("the stored service-account key is incomplete; import it again")
            return None
        try:
            fields = json.loads("".join(p for p in parts if p is not None))
        except ValueError:
            log.warning("the stored service-account key is damaged; import it again")
            return None
        return fields if isinstance(fields, dict) else None

    def info(self) -> KeyInfo | None:
        fields = self.load()
        if fields is None:
            return None
        return KeyInfo(str(fields.get("client_email", "")), str(fields.get("project_id", "")))

    def forget(self) -> bool:
        """Delete the key from the keyring; True when there was one."""
        count = self.secrets.get(KEY_ENTRY)
        had = count is not None
        total = int(count) if count and count.isdigit() else 0
        self.secrets.delete(KEY_ENTRY)
        index = 0
        while index < total or self.secrets.get(_part_name(index)) is not None:
            self.secrets.delete(_part_name(index))
            index += 1
        if had:
            log.info("service-account key forgotten")
        return had


def _read_key_file(path: Path) -> dict[str, str]:
    """The key file's needed fields; every refusal names the file, never its content."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError(f"There is no file {path}.", field="file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(
            f"{path} cannot be read ({type(exc).__name__}).", field="file"
        ) from None
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    hint = (
        "Download it from the Firebase console: Project settings › Service accounts › "
        "Generate new private key."
    )
    if not isinstance(data, dict) or data.get("type") != "service_account":
        raise ValidationError(
            f"{path} is not a service-account key (a JSON file whose type is service_account).",
            field="file",
            hint=hint,
        )
    missing = [name for name in KEY_FIELDS if name != "client_id" and not data.get(name)]
    if missing:
        raise ValidationError(
            f"{path} lacks {', '.join(missing)}: it is not a complete service-account key.",
            field="file",
            hint=hint,
        )
    return {name: str(data[name]) for name in KEY_FIELDS if data.get(name)}


def _certificate(fields: Mapping[str, str]) -> Any:
    from firebase_admin import credentials

    try:
        return credentials.Certificate(dict(fields))
    except ValueError:  # its text may quote the key: say only which key failed
        raise ValidationError(
            f"The private key of {fields.get('client_email', 'the service account')} cannot be "
            "read: the file is damaged or was edited.",
            field="file",
            hint="Generate a new private key in the Firebase console and import that.",
        ) from None


def application_default_path(environ: Mapping[str, str] | None = None) -> str | None:
    """The Application Default Credentials file, if one is set up (without asking any server)."""
    env = os.environ if environ is None else environ
    if env.get(ADC_ENV):
        return env[ADC_ENV]
    from google.auth import _cloud_sdk

    # Where ``gcloud auth application-default login`` writes it, on each OS.
    path: str = _cloud_sdk.get_application_default_credentials_path()  # type: ignore[no-untyped-call]
    return path if os.path.isfile(path) else None


# --------------------------------------------------------------------------- who may act


def check_caller(caller: Session | None) -> None:
    """Refuse anyone but a verified admin, or nobody signed in (the credentials' holder)."""
    if caller is None:
        return
    who = caller.identity.email or caller.identity.uid
    if caller.offline:
        raise AdminRequiredError(
            f"Managing the team needs a connection: {who}'s administrator role cannot be "
            "checked offline.",
            reason="offline",
            hint="Connect to the internet and try again.",
        )
    if not caller.identity.is_admin:
        raise AdminRequiredError(
            f"Only a Caliber administrator can manage the team; {who} is an analyst.",
            reason="not_admin",
            hint="Ask your team's administrator.",
        )


# --------------------------------------------------------------------------- the team


@dataclass(frozen=True)
class TeamMember:
    """One Firebase account as the team list shows it (machine names in ``--json``)."""

    uid: str
    email: str
    display_name: str
    role: str
    disabled: bool
    created_at: datetime | None
    last_sign_in_at: datetime | None
    #: Sessions signed in before this moment were revoked (``users revoke``).
    sessions_valid_since: datetime | None


@dataclass(frozen=True)
class Invitation:
    """A new account and the link its analyst opens to choose a password.

    Firebase's Admin API makes the link; it does not send it. The administrator sends it.
    """

    member: TeamMember
    password_link: str = field(repr=False)


def _when(millis: object) -> datetime | None:
    if not isinstance(millis, int | float) or millis <= 0:
        return None
    return datetime.fromtimestamp(millis / 1000, UTC)


def _member(record: Any) -> TeamMember:
    return TeamMember(
        uid=str(record.uid),
        email=str(record.email or ""),
        display_name=str(record.display_name or ""),
        role=role_of(record.custom_claims or {}),
        disabled=bool(record.disabled),
        created_at=_when(record.user_metadata.creation_timestamp),
        last_sign_in_at=_when(record.user_metadata.last_sign_in_timestamp),
        sessions_valid_since=_when(record.tokens_valid_after_timestamp),
    )


def _role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(
            f"{role!r} is not a role; use one of: {', '.join(ROLES)}.", field="role"
        )
    return role


class TeamAdmin:
    """The team's Firebase accounts, managed through firebase-admin for one caller.

    Built cheaply (the window builds it on the GUI thread); the credentials are read from the
    keyring and the SDK's app is made at the first call, on whatever thread makes it.
    """

    def __init__(
        self,
        config: AuthConfig,
        secrets: SecretStore,
        *,
        caller: Session | None,
        timeout: float = 10.0,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        check_caller(caller)
        self.config = config
        self.key = ServiceAccountKey(secrets)
        self.caller = caller
        self.timeout = timeout
        self._environ = os.environ if environ is None else environ
        self._lock = threading.Lock()
        self._app: Any = None
        self._source = ""

    # ------------------------------------------------------------------ the SDK's app

    @property
    def source(self) -> str:
        """Which credentials the calls use, for the CLI and the Team dialog (after a call)."""
        return self._source

    def _ensure_app(self) -> Any:
        with self._lock:
            if self._app is not None:
                return self._app
            import firebase_admin
            from firebase_admin import credentials

            project = self.config.project_id
            credential: Any
            emulator = self._environ.get(EMULATOR_ENV, "").strip()
            fields = None if emulator else self.key.load()
            if emulator:
                credential = credentials.ApplicationDefault()  # never loaded: the SDK uses none
                self._source = f"the Firebase Auth Emulator at {emulator}"
            elif fields is not None:
                credential = _certificate(fields)
                key_project = fields.get("project_id", "")
                if project and key_project != project:
                    raise ConfigError(
                        f"The service-account key is for the Firebase project {key_project}, but "
                        f"Caliber signs in to {project}.",
                        hint="Import the key of the same project (caliber admin credentials "
                        "import FILE).",
                    )
                project = project or key_project
                self._source = f"the service account {fields.get('client_email', '')}"
            elif application_default_path(self._environ) is not None:
                credential = credentials.ApplicationDefault()
                self._source = "Application Default Credentials"
            else:
                raise AuthError(
                    "No administrator credentials on this computer.",
                    reason="no_admin_credentials",
                    hint="Import the project's service-account key once with: caliber admin "
                    f"credentials import FILE (or set {ADC_ENV}).",
                )
            if not project and not emulator:  # the emulator's credential is never loaded
                from google.auth.exceptions import GoogleAuthError

                try:
                    project = str(getattr(credential, "project_id", "") or "")
                except GoogleAuthError as exc:
                    raise ConfigError(
                        f"The Application Default Credentials cannot be used ({exc}).",
                        hint=f"Check {ADC_ENV}, or import the service-account key: caliber "
                        "admin credentials import FILE.",
                    ) from None
            if not project:
                raise ConfigError(
                    "Which Firebase project to administer is not set.",
                    hint="Set auth.project_id in the settings (or CALIBER_FIREBASE_PROJECT_ID).",
                )
            options = {"projectId": project, "httpTimeout": self.timeout}
            self._app = firebase_admin.initialize_app(
                credential, options, name=f"caliber-admin-{uuid.uuid4().hex}"
            )
            log.info("team administration of %s with %s", project, self._source)
            return self._app

    def close(self) -> None:
        with self._lock:
            app, self._app = self._app, None
        if app is not None:
            import firebase_admin

            firebase_admin.delete_app(app)

    def _call(self, what: str, target: str, operation: Callable[[Any], _T]) -> _T:
        """Run one SDK call; its failures become the app's typed errors (module docstring)."""
        from firebase_admin import auth, exceptions
        from google.auth import exceptions as google_exceptions

        app = self._ensure_app()
        try:
            return operation(app)
        except (auth.UserNotFoundError, auth.EmailNotFoundError):
            raise NotFoundError("Team member", target) from None
        except auth.EmailAlreadyExistsError:
            raise ConflictError(
                f"An account with {target} already exists.",
                hint="Enable it, or give it a role, instead of adding it again.",
            ) from None
        except (exceptions.UnavailableError, exceptions.DeadlineExceededError) as exc:
            log.warning("admin %s: %s", what, type(exc).__name__)
            raise AuthError(
                "Cannot reach Firebase to manage the team: the network looks down.",
                reason="network",
                hint="Check the internet connection and try again.",
            ) from None
        except (
            exceptions.PermissionDeniedError,
            exceptions.UnauthenticatedError,
            google_exceptions.GoogleAuthError,
        ) as exc:
            log.warning("admin %s refused: %s", what, type(exc).__name__)
            raise AuthError(
                f"Firebase refused {self._source or 'the administrator credentials'}.",
                reason="admin_refused",
                hint="Check that the key belongs to this project and its service account may "
                "administer Firebase Authentication (or import a new key).",
            ) from None
        except (exceptions.InvalidArgumentError, ValueError) as exc:
            raise ValidationError(
                f"Firebase refused {target}: {_first_sentence(exc)}", field="email"
            ) from None
        except exceptions.FirebaseError as exc:
            log.warning("admin %s failed: %s %s", what, exc.code, type(exc).__name__)
            raise AuthError(
                f"Firebase could not {what} ({exc.code}).",
                reason="refused",
                hint="Try again; if it keeps happening, check the project in the Firebase console.",
            ) from None

    def _uid(self, email: str) -> str:
        from firebase_admin import auth

        email = _email(email)
        record = self._call(
            "find the account", email, lambda app: auth.get_user_by_email(email, app=app)
        )
        return str(record.uid)

    def _get(self, uid: str, email: str) -> TeamMember:
        from firebase_admin import auth

        return _member(
            self._call("read the account", email, lambda app: auth.get_user(uid, app=app))
        )

    def _not_self(self, uid: str, action: str) -> None:
        if self.caller is not None and self.caller.identity.uid == uid:
            raise ConflictError(
                f"You cannot {action} your own account.",
                hint="Another administrator can do it.",
            )

    # ------------------------------------------------------------------ the commands

    def list_members(self) -> list[TeamMember]:
        from firebase_admin import auth

        records = self._call(
            "list the accounts",
            "the team",
            lambda app: list(auth.list_users(app=app).iterate_all()),
        )
        return sorted((_member(r) for r in records), key=lambda m: (m.email.lower(), m.uid))

    def add(self, email: str, name: str = "", role: str = "analyst") -> Invitation:
        """Create a passwordless account with its role; the link lets the analyst set one."""
        from firebase_admin import auth

        email, role = _email(email), _role(role)
        record = self._call(
            "create the account",
            email,
            lambda app: auth.create_user(email=email, display_name=name.strip() or None, app=app),
        )
        uid = str(record.uid)
        self._call(
            "set the role",
            email,
            lambda app: auth.set_custom_user_claims(uid, {"role": role}, app=app),
        )
        link = self._call(
            "make the password link",
            email,
            lambda app: auth.generate_password_reset_link(email, app=app),
        )
        log.info("added account %s (%s)", uid, role)
        return Invitation(self._get(uid, email), str(link))

    def set_disabled(self, email: str, disabled: bool) -> TeamMember:
        from firebase_admin import auth

        uid = self._uid(email)
        if disabled:
            self._not_self(uid, "disable")
        self._call(
            "disable the account" if disabled else "enable the account",
            email,
            lambda app: auth.update_user(uid, disabled=disabled, app=app),
        )
        log.info("account %s %s", uid, "disabled" if disabled else "enabled")
        return self._get(uid, email)

    def revoke(self, email: str) -> TeamMember:
        """End every session of the account at its next refresh (the lost-laptop case)."""
        from firebase_admin import auth

        uid = self._uid(email)
        self._call("end the sessions", email, lambda app: auth.revoke_refresh_tokens(uid, app=app))
        log.info("sessions of %s revoked", uid)
        return self._get(uid, email)

    def set_role(self, email: str, role: str) -> TeamMember:
        """Set the ``role`` claim, keeping any other claims; it reaches the analyst's next token."""
        from firebase_admin import auth

        role = _role(role)
        uid = self._uid(email)
        if role != "admin":
            self._not_self(uid, "take the administrator role from")
        record = self._call("read the account", email, lambda app: auth.get_user(uid, app=app))
        claims = {**(record.custom_claims or {}), "role": role}
        self._call(
            "set the role", email, lambda app: auth.set_custom_user_claims(uid, claims, app=app)
        )
        log.info("role of %s set to %s", uid, role)
        return self._get(uid, email)

    def remove(self, email: str) -> None:
        from firebase_admin import auth

        uid = self._uid(email)
        self._not_self(uid, "remove")
        self._call("remove the account", email, lambda app: auth.delete_user(uid, app=app))
        log.info("account %s removed", uid)


def _email(email: str) -> str:
    email = email.strip()
    if "@" not in email:
        raise ValidationError(f"{email!r} is not an email address.", field="email")
    return email


def _first_sentence(exc: BaseException) -> str:
    text = str(exc).strip().split("\n")[0]
    return text if text.endswith(".") else text + "."
