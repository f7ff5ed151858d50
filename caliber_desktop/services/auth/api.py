"""The Firebase Auth REST API (Identity Toolkit and Secure Token), or its local emulator.

Plain HTTPS with the project's Web API key: the same calls the Firebase JS SDK makes, so no service
account is involved. HTTPS is verified with the OS trust store (:mod:`.tls`), so a company's
TLS-inspecting proxy works where the browser does, and a refused certificate is reported as such.
Firebase answers failures as ``{"error": {"message": "CODE : detail"}}``; :func:`_error_for` turns
each code into an :class:`AuthError` with a sentence an analyst can act on. Request bodies
(passwords, refresh tokens) and response tokens never reach a message or log.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from caliber_desktop.config import Settings
from caliber_desktop.errors import AuthError
from caliber_desktop.services.auth.verify import GOOGLE_CERTS_URL
from caliber_desktop.services.tls import os_trust_session, tls_failure

log = logging.getLogger(__name__)

API_KEY_ENV = "CALIBER_FIREBASE_API_KEY"
PROJECT_ENV = "CALIBER_FIREBASE_PROJECT_ID"
#: The variable every Firebase SDK reads: ``host:port`` of a running Auth Emulator.
EMULATOR_ENV = "FIREBASE_AUTH_EMULATOR_HOST"
#: The emulator accepts any key; the SDKs send this one.
EMULATOR_API_KEY = "fake-api-key"

IDENTITY_PATH = "identitytoolkit.googleapis.com/v1"
TOKEN_PATH = "securetoken.googleapis.com/v1/token"


@dataclass(frozen=True)
class AuthConfig:
    """Where sign-in goes: a Firebase project, the emulator, or nowhere (the local profile)."""

    api_key: str
    project_id: str
    emulator_host: str | None = None
    offline_grace_days: int = 7
    certs_url: str = GOOGLE_CERTS_URL

    @classmethod
    def from_settings(
        cls, settings: Settings, environ: Mapping[str, str] | None = None
    ) -> AuthConfig:
        """Settings, overridden by ``CALIBER_FIREBASE_*``; ``FIREBASE_AUTH_EMULATOR_HOST`` switches
        to the emulator (as it does for every Firebase SDK)."""
        env = os.environ if environ is None else environ
        emulator = env.get(EMULATOR_ENV, "").strip() or None
        if emulator is not None:
            emulator = emulator.removeprefix("http://").rstrip("/")
        return cls(
            api_key=env.get(API_KEY_ENV, "").strip() or settings.auth.api_key.strip(),
            project_id=env.get(PROJECT_ENV, "").strip() or settings.auth.project_id.strip(),
            emulator_host=emulator,
            offline_grace_days=settings.auth.offline_grace_days,
        )

    @property
    def configured(self) -> bool:
        """Firebase sign-in is on: key and project, or the emulator and a project."""
        return bool(self.project_id) and (bool(self.api_key) or self.emulator_host is not None)

    @property
    def key(self) -> str:
        return self.api_key or EMULATOR_API_KEY

    @property
    def identity_url(self) -> str:
        if self.emulator_host:
            return f"http://{self.emulator_host}/{IDENTITY_PATH}"
        return f"https://{IDENTITY_PATH}"

    @property
    def token_url(self) -> str:
        if self.emulator_host:
            return f"http://{self.emulator_host}/{TOKEN_PATH}"
        return f"https://{TOKEN_PATH}"

    @property
    def mode(self) -> str:
        """For ``caliber doctor`` and the window: which sign-in this configuration uses."""
        if not self.configured:
            return "local profile (Firebase sign-in is not configured)"
        if self.emulator_host:
            return f"Firebase Auth Emulator at {self.emulator_host} (project {self.project_id})"
        return f"Firebase project {self.project_id}"


#: Firebase error code → (reason, message, hint).
_ERRORS: dict[str, tuple[str, str, str | None]] = {
    "INVALID_PASSWORD": ("wrong_password", "The password is wrong for this email.", None),
    # Returned instead of the two below when the project protects against email enumeration.
    "INVALID_LOGIN_CREDENTIALS": ("wrong_password", "The email or password is wrong.", None),
    "EMAIL_NOT_FOUND": (
        "unknown_email",
        "No account uses this email.",
        "Check the spelling, or create an account.",
    ),
    "EMAIL_EXISTS": (
        "email_exists",
        "An account with this email already exists.",
        "Sign in instead, or reset the password.",
    ),
    "WEAK_PASSWORD": (
        "weak_password",
        "The password is too weak.",
        "Use at least 6 characters (a longer passphrase is better).",
    ),
    "TOO_MANY_ATTEMPTS_TRY_LATER": (
        "too_many_attempts",
        "Too many attempts: Firebase has paused sign-in from this device.",
        "Wait a few minutes, or reset the password.",
    ),
    "INVALID_EMAIL": ("invalid_email", "That is not a valid email address.", None),
    "MISSING_EMAIL": ("invalid_email", "Enter your email address.", None),
    "MISSING_PASSWORD": ("missing_password", "Enter your password.", None),
    # An administrator's actions (``caliber admin users disable|revoke|remove``), as the sign-in
    # and refresh endpoints report them. Real Firebase answers a refresh token revoked by
    # ``revoke_refresh_tokens`` with TOKEN_EXPIRED (it also does after a password change);
    # the emulator keeps refreshing it, which :meth:`AuthService._check_not_revoked` catches.
    "USER_DISABLED": (
        "user_disabled",
        "Your administrator disabled this account.",
        "Ask them to enable it again if you still need Caliber.",
    ),
    "TOKEN_EXPIRED": (
        "session_revoked",
        "Your administrator ended this session.",
        "Sign in again (with the new password, if yours was changed).",
    ),
    "USER_NOT_FOUND": (
        "user_removed",
        "Your administrator removed this account.",
        "Ask them for a new one if you still need Caliber.",
    ),
    "OPERATION_NOT_ALLOWED": (
        "not_allowed",
        "Email and password sign-in is switched off for this Firebase project.",
        "Ask your administrator to enable it in the Firebase console.",
    ),
    "PASSWORD_LOGIN_DISABLED": (
        "not_allowed",
        "Email and password sign-in is switched off for this Firebase project.",
        "Ask your administrator to enable it in the Firebase console.",
    ),
}
_SESSION_ENDED = ("INVALID_REFRESH_TOKEN", "INVALID_ID_TOKEN")
#: Reasons meaning the server ended this sign-in for good: the refresh token is forgotten and the
#: offline grace ends with it (:meth:`AuthService._end_seen`), so a restart without network cannot
#: bring back a session an administrator closed.
ENDED_BY_SERVER = frozenset({"session_expired", "session_revoked", "user_disabled", "user_removed"})
#: Of those, the ones an administrator caused: said as such at start-up, not as a plain sign-in.
ENDED_BY_ADMIN = frozenset({"session_revoked", "user_disabled", "user_removed"})


def _error_for(status: int, body: Any) -> AuthError:
    raw = ""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        raw = str(body["error"].get("message", ""))
    code = raw.split(":")[0].strip().split(" ")[0] if raw else ""
    if code in _ERRORS:
        reason, message, hint = _ERRORS[code]
        return AuthError(message, reason=reason, hint=hint)
    if code in _SESSION_ENDED or code == "CREDENTIAL_TOO_OLD_LOGIN_AGAIN":
        return AuthError("Your session has ended.", reason="session_expired", hint="Sign in again.")
    if raw.startswith("API key not valid") or code in ("API_KEY_INVALID", "INVALID_API_KEY"):
        return AuthError(
            "The Firebase Web API key is not valid.",
            reason="bad_config",
            hint=f"Check auth.api_key in the settings (or {API_KEY_ENV}).",
        )
    if status >= 500 or status == 429:
        return AuthError(
            f"Firebase sign-in is not answering properly (HTTP {status}).",
            reason="server",
            hint="Try again in a minute.",
        )
    return AuthError(
        f"Firebase refused the request ({code or f'HTTP {status}'}).",
        reason="refused",
        hint="Try again; if it keeps happening, check the Firebase settings.",
    )


class FirebaseAuthApi:
    """One method per REST call; each returns Firebase's JSON answer or raises AuthError."""

    def __init__(self, config: AuthConfig, *, timeout: float = 10.0) -> None:
        self.config = config
        self.timeout = timeout
        self._http = os_trust_session()  # a company's TLS-inspecting proxy is trusted like the OS

    def sign_up(self, email: str, password: str, display_name: str) -> dict[str, Any]:
        body: dict[str, Any] = {"email": email, "password": password, "returnSecureToken": True}
        if display_name:
            body["displayName"] = display_name
        return self._post(f"{self.config.identity_url}/accounts:signUp", json_body=body)

    def sign_in(self, email: str, password: str) -> dict[str, Any]:
        body = {"email": email, "password": password, "returnSecureToken": True}
        return self._post(f"{self.config.identity_url}/accounts:signInWithPassword", json_body=body)

    def send_password_reset(self, email: str) -> None:
        body = {"requestType": "PASSWORD_RESET", "email": email}
        self._post(f"{self.config.identity_url}/accounts:sendOobCode", json_body=body)

    def lookup(self, id_token: str) -> dict[str, Any]:
        """The account of ``id_token`` (``validSince``: when its sessions were last revoked).

        The answer also holds fields (the emulator's password hash) that must never be logged:
        callers read what they need and drop it.
        """
        answer = self._post(
            f"{self.config.identity_url}/accounts:lookup", json_body={"idToken": id_token}
        )
        users = answer.get("users")
        if not isinstance(users, list) or not users or not isinstance(users[0], dict):
            raise _error_for(400, {"error": {"message": "USER_NOT_FOUND"}})
        account: dict[str, Any] = users[0]
        return account

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """A refresh token for ``id_token``, ``refresh_token``, ``expires_in`` and ``user_id``."""
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self._post(self.config.token_url, form=form)

    def _post(
        self,
        url: str,
        *,
        json_body: dict[str, Any] | None = None,
        form: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        if not self.config.configured:
            raise AuthError(
                "Firebase sign-in is not configured.",
                reason="not_configured",
                hint=f"Set auth.api_key and auth.project_id in the settings ({API_KEY_ENV}, "
                f"{PROJECT_ENV}), or keep using the local profile.",
            )
        endpoint = url.rsplit("/", 1)[-1]
        try:
            response = self._http.post(
                url,
                params={"key": self.config.key},
                json=json_body,
                data=form,
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            host = urlsplit(url).hostname or url
            refused = tls_failure(exc, host)
            if refused is not None:  # reached, but its certificate is not trusted: say so
                log.warning("Firebase %s: TLS with %s failed: %s", endpoint, host, refused.detail)
                raise AuthError(refused.message, reason="tls", hint=refused.hint) from None
            # The exception text can hold the URL (with the API key); log only its type.
            log.warning("Firebase %s: %s", endpoint, type(exc).__name__)
            raise self._unreachable() from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict):
            error = _error_for(response.status_code, body)
            log.info(
                "Firebase %s refused: %s (HTTP %s)", endpoint, error.reason, response.status_code
            )
            raise error
        return body

    def _unreachable(self) -> AuthError:
        host = self.config.emulator_host
        if host:
            return AuthError(
                f"The Firebase Auth Emulator at {host} is not reachable.",
                reason="emulator_unreachable",
                hint="Start it (npx firebase emulators:start --only auth) or unset "
                f"{EMULATOR_ENV}.",
            )
        return AuthError(
            "Cannot reach Firebase sign-in: the network looks down.",
            reason="network",
            hint="Check the internet connection and try again.",
        )

    def close(self) -> None:
        self._http.close()
